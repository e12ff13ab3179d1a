"""Strong ETags, ``If-None-Match`` and rendered JSON kept for the next request.

A representation's ETag is a digest of its bytes, so equal tags mean equal
bytes whichever process, path or rebuild produced them. Rendered bytes are kept
by what determines them: a flight detail by the document's content hash and
the request's hosts and ``format``; a list page by the cache's generation and
the request's path and query. Bytes holding a running duration change every
second, so they are kept for the second they were rendered in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable
from dataclasses import dataclass

from aiohttp import web

from projections.cache_docs import DocumentCache
from projections.encoding import Filler, Segments
from projections.store import ReadModel


@dataclass(frozen=True)
class Representation:
    """JSON bytes ready to send, their strong ETag, and the second they hold."""

    body: bytes
    etag: str
    second: int | None = None  # set when the bytes hold a running duration

    @classmethod
    def of(cls, text: str, second: int | None = None) -> Representation:
        body = text.encode()
        digest = hashlib.blake2b(body, digest_size=16).hexdigest()
        return cls(body, f'"{digest}"', second)


def respond(request: web.Request, found: Representation) -> web.Response:
    """200 with the bytes, or 304 when ``If-None-Match`` names their ETag."""
    headers = {"ETag": found.etag}
    if _matches(request.headers.get("If-None-Match"), found.etag):
        return web.Response(status=304, headers=headers)
    return web.Response(
        body=found.body, headers=headers, content_type="application/json"
    )


async def detail(
    model: ReadModel, flight_id: int, filler: Filler
) -> Representation | None:
    """The flight's detail as JSON, rendered at most once per version and second."""
    if not isinstance(model, DocumentCache):
        document = await model.detail(flight_id)
        return None if document is None else _render(document, filler)

    version = await model.version(flight_id)
    if version is None:
        return None
    kept = _recall(model, ("detail", flight_id, version, *_variant(filler)), filler)
    if kept is not None:
        return kept
    # Bytes with a running duration are rendered again every second: the
    # document they are filled from is kept too, so that costs no database call.
    document = model.rendered.get(("document", flight_id, version))
    if document is None:
        found = await model.tagged_detail(flight_id)
        if found is None:
            return None
        version, document = found
        if _running(document):
            size = sum(len(part) for part in document[::2]) + 64 * len(document)
            model.rendered.put(("document", flight_id, version), document, size)
    return _keep(
        model, ("detail", flight_id, version, *_variant(filler)), document, filler
    )


async def page_key(model: ReadModel, request: web.Request, filler: Filler) -> Hashable:
    """What determines a list page's bytes, or None when they cannot be kept."""
    if not isinstance(model, DocumentCache) or not await model.settle():
        return None
    url = request.rel_url
    return (
        "list",
        model.generation,
        url.raw_path,
        url.raw_query_string,
        *_variant(filler),
    )


def recall_page(
    model: ReadModel, key: Hashable, filler: Filler
) -> Representation | None:
    """A list page rendered earlier for ``key``, while memory is still current."""
    if key is None or not isinstance(model, DocumentCache) or not model.fresh():
        return None
    return _recall(model, key, filler)


def keep_page(
    model: ReadModel, key: Hashable, text: str, items: list[Segments], filler: Filler
) -> Representation:
    """The list page's representation, kept when nothing changed meanwhile."""
    second = _second(filler) if any(_running(item) for item in items) else None
    found = Representation.of(text, second)
    if (
        key is not None
        and isinstance(model, DocumentCache)
        and model.fresh()
        and key[1] == model.generation  # type: ignore[index]
        and second != -1
    ):
        model.rendered.put(key, found, len(found.body))
    return found


def _render(document: Segments, filler: Filler) -> Representation:
    second = _second(filler) if _running(document) else None
    return Representation.of(filler.fill(document), second)


def _keep(
    model: DocumentCache, key: Hashable, document: Segments, filler: Filler
) -> Representation:
    found = _render(document, filler)
    if found.second != -1:
        model.rendered.put(key, found, len(found.body))
    return found


def _recall(
    model: DocumentCache, key: Hashable, filler: Filler
) -> Representation | None:
    found: Representation | None = model.rendered.get(key)
    if found is None or (found.second is not None and found.second != _second(filler)):
        return None
    return found


def _variant(filler: Filler) -> tuple[str, str, str]:
    return filler.self_base, filler.upstream_base, filler.format_suffix


def _second(filler: Filler) -> int:
    # Running durations count whole seconds (``Elapsed.at``); without a fixed
    # request time (-1) the bytes are not kept.
    return int(filler.now.timestamp()) if filler.now is not None else -1


def _running(document: Segments) -> bool:
    return any("link" not in slot for slot in document[1::2])


def _matches(header: str | None, etag: str) -> bool:
    # If-None-Match compares weakly (RFC 9110, 13.1.2): W/ prefixes are ignored.
    if not header:
        return False
    for candidate in header.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False

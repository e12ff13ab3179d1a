"""The browsable page: what ``?format=api`` or a browser gets instead of JSON.

It shows what LL2's page shows: the view's name and description, the status
and headers of the JSON response, and the JSON itself indented by four spaces
with every URL a link. Styles come from ``/static/browsable.css``; no script.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from http import HTTPStatus

STYLESHEET = "/static/browsable.css"
SITE = "Flightlog"
LIST_TITLE = "Spacecraft Flight List"
DETAIL_TITLE = "Spacecraft Flight Instance"
DESCRIPTION = """\
API endpoint that allows a flight of a specific Spacecraft instances to be viewed.

GET:
Return a list of all the existing Spacecraft flights.

FILTERS:
Parameters - 'spacecraft'
Example - /api/2.2.0/spacecraft/flight/?spacecraft=37"""

JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
URL = re.compile(r"^https?://[^\s\"'<>]+$")


def page(
    title: str,
    status: int,
    headers: Mapping[str, str],
    content: str,
    formats: Mapping[str, str],
    pager: tuple[str | None, str | None] = (None, None),
) -> str:
    """The whole HTML page for one JSON response."""
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{html.escape(title)} – {SITE}</title>",
            f'<link rel="stylesheet" href="{STYLESHEET}">',
            # No icon: otherwise browsers fetch /favicon.ico, a 404 in the console.
            '<link rel="icon" href="data:,">',
            "</head>",
            "<body>",
            f'<header class="site"><span class="brand">{SITE}</span>'
            " <span>Launch Library 2.2.0 compatible API</span></header>",
            "<main>",
            _formats(formats),
            f"<h1>{html.escape(title)}</h1>",
            _description(DESCRIPTION),
            _pager(*pager),
            '<div class="response-info">',
            f'<pre class="response">{_meta(status, headers)}{linked(pretty(content))}'
            "</pre>",
            "</div>",
            "</main>",
            "</body>",
            "</html>",
            "",
        ]
    )


def pretty(content: str) -> str:
    """JSON text indented by four spaces, non-ASCII kept, as LL2's page shows it."""
    text = json.dumps(json.loads(content), indent=4, ensure_ascii=False)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def linked(text: str) -> str:
    """HTML of JSON text whose http(s) string values are clickable links."""
    out: list[str] = []
    position = 0
    for found in JSON_STRING.finditer(text):
        out.append(html.escape(text[position : found.start()], quote=False))
        token = found.group()
        value = json.loads(token)
        if URL.match(value):
            href = html.escape(value)
            shown = html.escape(token[1:-1], quote=False)
            out.append(f'"<a href="{href}" rel="nofollow">{shown}</a>"')
        else:
            out.append(html.escape(token, quote=False))
        position = found.end()
    out.append(html.escape(text[position:], quote=False))
    return "".join(out)


def _meta(status: int, headers: Mapping[str, str]) -> str:
    lines = [f"<b>HTTP {status} {HTTPStatus(status).phrase}</b>"]
    for name in sorted(headers):
        value = html.escape(headers[name], quote=False)
        lines.append(f'<b>{html.escape(name)}:</b> <span class="lit">{value}</span>')
    return '<span class="meta">' + "\n".join(lines) + "\n\n</span>"


def _description(text: str) -> str:
    paragraphs = [
        "<br>\n".join(html.escape(line, quote=False) for line in block.split("\n"))
        for block in text.split("\n\n")
    ]
    inner = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    return f'<div class="description">{inner}</div>'


def _formats(formats: Mapping[str, str]) -> str:
    links = " ".join(
        f'<a href="{html.escape(url)}">{html.escape(name)}</a>'
        for name, url in formats.items()
    )
    return f'<nav class="formats"><span class="method">GET</span> {links}</nav>'


def _pager(previous: str | None, following: str | None) -> str:
    if previous is None and following is None:
        return ""
    parts = []
    if previous is not None:
        parts.append(f'<a rel="prev" href="{html.escape(previous)}">« Previous</a>')
    if following is not None:
        parts.append(f'<a rel="next" href="{html.escape(following)}">Next »</a>')
    return '<nav class="pager">' + " ".join(parts) + "</nav>"

"""The ceiling of the read rows: a bare aiohttp app serving the same bytes.

It holds, in memory, the exact bodies and ETags the service answered for each
path, and answers 200 with them, or 304 when ``If-None-Match`` is present: the
least work any aiohttp handler can do for the same request.

    python -m bench.ceiling --port 8201 --bodies bench/out/bodies.pickle
"""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path

from aiohttp import web

Bodies = dict[str, tuple[bytes, str]]
BODIES = web.AppKey("bodies", dict)


async def serve_bytes(request: web.Request) -> web.Response:
    body, etag = request.app[BODIES][request.path_qs]
    headers = {"ETag": etag}
    if "If-None-Match" in request.headers:
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, headers=headers, content_type="application/json")


def create_app(bodies: Bodies) -> web.Application:
    app = web.Application()
    app[BODIES] = bodies
    app.router.add_get("/{tail:.*}", serve_bytes)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bodies", type=Path, required=True)
    args = parser.parse_args()
    bodies: Bodies = pickle.loads(args.bodies.read_bytes())
    web.run_app(
        create_app(bodies),
        host="127.0.0.1",
        port=args.port,
        access_log=None,
        print=None,
    )


if __name__ == "__main__":
    main()

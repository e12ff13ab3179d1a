"""The interactive API page at ``/2.2.0/docs/``: Swagger UI, served locally.

The assets come from the ``swagger-ui-bundle-v2`` package (Swagger UI 5, which
reads OpenAPI 3.1); nothing is loaded from another host. The page reads the
description from ``../schema/`` so it works under any path prefix a proxy adds,
and under ``/api/2.2.0/docs/``, where every path is also served.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from swagger_ui_bundle import swagger_ui_path

from service.read_api import PREFIXES, append_slash

DOCS_PATH = "/2.2.0/docs/"
# The bundle is a plain directory inside the installed package.
ASSET_DIR = Path(str(swagger_ui_path))
ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}
PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Flightlog API</title>
<link rel="stylesheet" href="swagger-ui.css">
<link rel="icon" type="image/png" href="favicon-32x32.png" sizes="32x32">
<link rel="icon" type="image/png" href="favicon-16x16.png" sizes="16x16">
</head>
<body>
<div id="swagger-ui"></div>
<script src="swagger-ui-bundle.js"></script>
<script src="swagger-ui-standalone-preset.js"></script>
<script>
window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "../schema/",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout",
    validatorUrl: null
  });
};
</script>
</body>
</html>
"""


def add_docs_routes(app: web.Application) -> None:
    """Serve the page and its assets under ``/2.2.0/docs/`` and
    ``/api/2.2.0/docs/``; the path without its slash redirects to it."""
    for prefix in PREFIXES:
        path = prefix + DOCS_PATH
        app.router.add_get(path, docs_page)
        app.router.add_get(path + "{asset}", docs_asset)
        app.router.add_route("*", path.rstrip("/"), append_slash)


async def docs_page(request: web.Request) -> web.Response:
    """``GET /2.2.0/docs/``: the Swagger UI page."""
    return web.Response(text=PAGE, content_type="text/html")


async def docs_asset(request: web.Request) -> web.StreamResponse:
    """One of the page's stylesheets, scripts or icons."""
    name = request.match_info["asset"]
    content_type = ASSETS.get(name)
    if content_type is None:
        raise web.HTTPNotFound()
    return web.FileResponse(
        ASSET_DIR / name,
        headers={"Content-Type": content_type, "Cache-Control": "max-age=86400"},
    )

"""`/docs` (Swagger UI) and `/redoc` (ReDoc) served from local files, so they work offline.

The assets come from `fastapi-offline`, a package made to ship them; nothing is fetched from a
CDN and no web fonts are linked. Each page carries a Content-Security-Policy allowing exactly
what it loads: its own scripts and styles, the served contract, inline styles (both UIs set
style attributes) and, for ReDoc, the blob: worker it searches with.
"""

from __future__ import annotations

import html
from importlib import resources
from importlib.resources.abc import Traversable

from fastapi import FastAPI, Request
from starlette.responses import Response

__all__ = ["DOCS_CSP", "REDOC_CSP", "install_docs"]

_ASSET_PACKAGE = "fastapi_offline"
_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
_COMMON_CSP = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:;"
    " connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
DOCS_CSP = f"{_COMMON_CSP}; script-src 'self'"
REDOC_CSP = f"{_COMMON_CSP}; script-src 'self'; worker-src blob:"

# Swagger UI needs a line of set-up; served as a file so no inline script is allowed.
_SWAGGER_INIT = """\
const root = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({
  url: root.dataset.url,
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  layout: "BaseLayout",
});
"""

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" type="image/png" href="{assets}/favicon.png">
{head}
</head>
<body>
{body}
</body>
</html>
"""


def _asset(name: str) -> Traversable:
    return resources.files(_ASSET_PACKAGE).joinpath("static", name)


def install_docs(
    app: FastAPI, *, docs_url: str | None, redoc_url: str | None, openapi_url: str
) -> None:
    """Add the docs pages (either may be None to leave it out) and their assets."""
    if docs_url is None and redoc_url is None:
        return
    assets = (docs_url or redoc_url or "").rstrip("/") + "/assets"

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name == "swagger-init.js":
            return Response(_SWAGGER_INIT, media_type="text/javascript; charset=utf-8")
        if name not in _ASSETS:
            return Response(status_code=404)
        headers = {"Cache-Control": "public, max-age=86400"}
        return Response(_asset(name).read_bytes(), media_type=_ASSETS[name], headers=headers)

    app.add_route(assets + "/{name}", asset, methods=["GET"], include_in_schema=False)
    title = html.escape(app.title)
    if docs_url is not None:

        async def swagger_ui(request: Request) -> Response:
            base = request.scope.get("root_path", "")
            page = _PAGE.format(
                title=f"{title} - Swagger UI",
                assets=base + assets,
                head=f'<link rel="stylesheet" href="{base}{assets}/swagger-ui.css">',
                body=(
                    f'<div id="swagger-ui" data-url="{html.escape(base + openapi_url)}"></div>\n'
                    f'<script src="{base}{assets}/swagger-ui-bundle.js"></script>\n'
                    f'<script src="{base}{assets}/swagger-init.js"></script>'
                ),
            )
            return _html(page, DOCS_CSP)

        app.add_route(docs_url, swagger_ui, methods=["GET"], include_in_schema=False)
    if redoc_url is not None:

        async def redoc(request: Request) -> Response:
            base = request.scope.get("root_path", "")
            page = _PAGE.format(
                title=f"{title} - ReDoc",
                assets=base + assets,
                head="",
                body=(
                    f'<redoc spec-url="{html.escape(base + openapi_url)}"></redoc>\n'
                    f'<script src="{base}{assets}/redoc.standalone.js"></script>'
                ),
            )
            return _html(page, REDOC_CSP)

        app.add_route(redoc_url, redoc, methods=["GET"], include_in_schema=False)


def _html(page: str, csp: str) -> Response:
    return Response(
        page,
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": csp},
    )

"""The API docs UI at /docs, with Swagger UI's scripts and styles served by this app.

Government networks are often offline: the page must make no request to any other host.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import swagger_ui
from litestar import Request
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.router import Router
from litestar.static_files import create_static_files_router

from govservice.api.security import SECURITY_COMPONENTS

ASSETS_PATH = "/docs/assets"
_ASSETS_DIR = Path(swagger_ui.__file__).parent / "static"
_FILES = ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css", "favicon-32x32.png")


class OfflineSwaggerRenderPlugin(SwaggerRenderPlugin):
    """Swagger UI with its one runtime call to another host switched off: by default it asks
    validator.swagger.io to validate the document (the badge) whenever the spec is loaded by URL."""

    _ANCHOR = b"dom_id: '#swagger-container',"

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        page = super().render(request, openapi_schema)
        if self._ANCHOR not in page:  # Litestar changed its template: fail loudly, never go online
            raise RuntimeError("cannot configure Swagger UI offline: template anchor not found")
        return page.replace(self._ANCHOR, self._ANCHOR + b"\n                  validatorUrl: null,", 1)


def assets_router() -> Router:
    return create_static_files_router(
        path=ASSETS_PATH,
        directories=[_ASSETS_DIR],
        include_in_schema=False,
        send_as_attachment=False,
    )


def openapi_config(version: str) -> OpenAPIConfig:
    swagger = OfflineSwaggerRenderPlugin(
        path="/",
        js_url=f"{ASSETS_PATH}/{_FILES[0]}",
        standalone_preset_js_url=f"{ASSETS_PATH}/{_FILES[1]}",
        css_url=f"{ASSETS_PATH}/{_FILES[2]}",
        favicon=f"<link rel='icon' type='image/png' href='{ASSETS_PATH}/{_FILES[3]}'>",
    )
    return OpenAPIConfig(
        title="govservice",
        version=version,
        description=(
            "Online permits and one-stop services of a fire & rescue department: catalogue and service "
            "guides, applications on the standard, tolerant-deficiency and commitment routes, e-licences, "
            "enforcement with first-offense waivers, key-enterprise service, ratings and indicators.\n\n"
            "Errors are RFC 9457 `application/problem+json` with a stable `code`."
        ),
        path="/docs",
        render_plugins=[swagger],
        components=[SECURITY_COMPONENTS],
        use_handler_docstrings=False,
    )

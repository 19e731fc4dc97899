"""The OpenAPI document with what the project adds to Litestar's (bounds, webhooks, examples, clean
names), finished the first time it is built: on the first request for it or ``govservice openapi``.

Building and finishing it takes about a second of CPU, which a server start, a worker and each test
app paid before, whether or not anyone read the document.
"""

from __future__ import annotations

from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.openapi.spec import OpenAPI

from govservice.api.controllers.action_bodies import publish_action_bodies
from govservice.api.openapi_bounds import publish_item_bounds
from govservice.api.openapi_examples import publish_examples
from govservice.api.openapi_polish import polish_openapi
from govservice.api.request_id_docs import publish_request_id
from govservice.api.webhook_docs import publish_webhooks


def finish_openapi_when_built(app: Litestar) -> None:
    # Litestar always adds its own plugin instance; a subclass with no slots of its own can take its
    # place on that instance (Litestar offers no hook between building the document and serving it)
    app.plugins.get(OpenAPIPlugin).__class__ = _FinishingOpenAPIPlugin


def _finish(app: Litestar) -> None:
    publish_item_bounds(app)
    publish_webhooks(app, app.state.settings.workflows_dir)
    publish_request_id(app)
    polish_openapi(app)  # renames components that publish_item_bounds matches by title
    publish_action_bodies(app)
    publish_examples(app)


class _FinishingOpenAPIPlugin(OpenAPIPlugin):
    __slots__ = ()

    def provide_openapi(self) -> OpenAPI:
        if not self._openapi:
            self._openapi = self._build_openapi()
            _finish(self.app)  # reads app.openapi_schema, which is now the document being finished
        return self._openapi

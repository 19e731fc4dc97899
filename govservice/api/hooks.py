"""The app's ``before_request`` hook: the checks every operation gets before its handler runs.

* the body must be in the media type the operation declares (415, :mod:`govservice.api.media`);
* a ``cursor`` query parameter that is present must be a cursor: ``?cursor=`` is not "no cursor"
  but the same 400 ``invalid_cursor`` as any other text the strict codec
  (:mod:`govservice.services.cursors`) refuses. The lists treat a missing cursor as the first page,
  so without this an empty one would silently restart the listing;
* a JSON body nested deeper than :data:`~govservice.api.json_depth.MAX_DEPTH` is a 400
  ``json_too_deep`` before anything decodes it.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from govservice.api.json_depth import MAX_DEPTH, too_deep
from govservice.api.media import require_declared_media_type
from govservice.errors import BadRequest
from govservice.services.cursors import invalid_cursor


async def before_request(request: Request[Any, Any, Any]) -> None:
    await require_declared_media_type(request)
    if "" in request.query_params.getall("cursor", []):
        raise invalid_cursor()
    if (
        request.method in _WITH_BODY
        and "json" in request.headers.get("content-type", "")
        and too_deep(await request.body())
    ):
        raise BadRequest(f"the JSON body is nested more than {MAX_DEPTH} levels deep", code="json_too_deep")


_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})

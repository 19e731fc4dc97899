"""The app's ``before_request`` hook: the checks every operation gets before its handler runs.

* the body must be in the media type the operation declares (415, :mod:`govservice.api.media`);
* a ``cursor`` query parameter that is present must be a cursor: ``?cursor=`` is not "no cursor"
  but the same 400 ``invalid_cursor`` as any other text the strict codec
  (:mod:`govservice.services.cursors`) refuses. The lists treat a missing cursor as the first page,
  so without this an empty one would silently restart the listing.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from govservice.api.media import require_declared_media_type
from govservice.services.cursors import invalid_cursor


async def before_request(request: Request[Any, Any, Any]) -> None:
    await require_declared_media_type(request)
    if "" in request.query_params.getall("cursor", []):
        raise invalid_cursor()

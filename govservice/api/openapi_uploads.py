"""The file part of each upload, as the OpenAPI document states it: the media types the service
accepts there, as the multipart ``encoding`` of the ``file`` property (a comma-separated list, as
OpenAPI 3.1 allows). Litestar declares every ``UploadFile`` as ``application/octet-stream``, which
told a generated client nothing of what a material, a photo or a report may be.

The service reads the content itself (its first bytes and the name's extension must agree, see
:func:`govservice.services.applications.uploads.check_file`), not the part's declared type.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from litestar.openapi.spec import Components, Encoding, Operation, Reference, RequestBody, Schema

from govservice.domain.catalogue import MEDIA_TYPES, FileFormat
from govservice.services.enforcement.evidence import ALLOWED as EVIDENCE_FORMATS
from govservice.services.key_enterprises.care import REPORT_FORMATS

FILE = "file"

# By operation id. A material's own formats are in its matter's service guide (GET
# /api/v1/matters/{code}); the operation accepts the union and refuses the others with a 422.
UPLOADS: dict[str, Collection[FileFormat]] = {
    "uploadMaterial": tuple(FileFormat),
    "addEvidence": EVIDENCE_FORMATS,
    "fileCheckupReport": REPORT_FORMATS,
}


def declare_upload_types(operations: Iterable[Operation], components: Components) -> None:
    found = set()
    for operation in operations:
        formats = UPLOADS.get(operation.operation_id or "")
        body = operation.request_body
        if formats is None or not isinstance(body, RequestBody):
            continue
        found.add(operation.operation_id)
        accepted = ", ".join(MEDIA_TYPES[f] for f in formats)
        for media in body.content.values():
            media.encoding = {FILE: Encoding(content_type=accepted)}
            if isinstance(media.schema, Reference):  # to a component: its name ends the ref
                _without_octet_stream((components.schemas or {}).get(media.schema.ref.rpartition("/")[2]))
    if missing := set(UPLOADS) - found:
        raise RuntimeError(f"uploads not found among the operations: {sorted(missing)}")


def _without_octet_stream(schema: Schema | Reference | None) -> None:
    """The file property's ``contentMediaType`` (octet-stream) would contradict the encoding."""
    if isinstance(schema, Schema) and schema.properties:
        part = schema.properties.get(FILE)
        if isinstance(part, Schema):
            part.content_media_type = None

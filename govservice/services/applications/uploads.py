"""Upload checks: the declared format must be one the matter allows, the bytes must be that
format, and the size within the material's limit. A failed check changes nothing."""

from __future__ import annotations

from pathlib import PurePath

from govservice.domain.catalogue import FileFormat, Material
from govservice.errors import RuleViolation

# How each format begins (its "magic number"); OFD is a ZIP container, DWG starts with AC10xx.
_SIGNATURES: dict[FileFormat, tuple[bytes, ...]] = {
    FileFormat.PDF: (b"%PDF-",),
    FileFormat.PNG: (b"\x89PNG\r\n\x1a\n",),
    FileFormat.JPG: (b"\xff\xd8\xff",),
    FileFormat.OFD: (b"PK\x03\x04",),
    FileFormat.DWG: (b"AC10",),
}
_EXTENSIONS = {
    ".pdf": FileFormat.PDF,
    ".png": FileFormat.PNG,
    ".jpg": FileFormat.JPG,
    ".jpeg": FileFormat.JPG,
    ".ofd": FileFormat.OFD,
    ".dwg": FileFormat.DWG,
}


def detect_format(content: bytes) -> FileFormat | None:
    for fmt, signatures in _SIGNATURES.items():
        if content.startswith(signatures):
            return fmt
    return None


def check_upload(material: Material, filename: str, content_type: str, content: bytes) -> FileFormat:
    if not content:
        raise RuleViolation("the file is empty", code="empty_file")
    if len(content) > material.max_bytes:
        raise RuleViolation(
            f"{material.name}: {len(content)} bytes is more than the {material.max_bytes} allowed",
            code="file_too_large",
        )
    declared = _EXTENSIONS.get(PurePath(filename).suffix.lower())
    detected = detect_format(content)
    allowed = ", ".join(f.value for f in material.formats)
    if detected is None or detected not in material.formats:
        raise RuleViolation(
            f"{material.name} must be one of: {allowed}; this file is "
            f"{detected.value if detected else 'of an unrecognised type'}",
            code="file_type_not_allowed",
        )
    if declared is not None and declared is not detected:
        raise RuleViolation(
            f"the file is named .{declared.value} but its content is {detected.value}",
            code="file_type_mismatch",
        )
    return detected

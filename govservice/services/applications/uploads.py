"""Upload checks shared by applications' materials and inspection evidence: the file's type is
judged by its bytes (magic number) AND its name's extension, which must agree and be a format the
caller allows; the size within the limit; the name stored sanitised. A failed check changes nothing
and is a 422 problem naming the field ``file``.

A ``%PDF-`` file named ``setup.exe`` or ``plan.html`` is refused: a name without a known extension
or with another type's is a mismatch, whatever the content. The stored name is the last path
component, without control or formatting characters (bidi overrides included) or characters that
are special in file names, at most :data:`MAX_NAME` characters, ending in the extension it was
checked with (the extension is judged on that sanitised name).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from pathlib import PurePath

from govservice.domain.catalogue import FileFormat, Material
from govservice.errors import RuleViolation

FIELD = "file"
MAX_NAME = 120  # characters of a stored name, extension included

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
_SEPARATORS = re.compile(r"[\\/]")
_SPECIAL = re.compile(r'[<>:"|?*;`$]')
_SAFE_SUFFIX = re.compile(r"\.[a-z0-9]{1,10}")


def detect_format(content: bytes) -> FileFormat | None:
    for fmt, signatures in _SIGNATURES.items():
        if content.startswith(signatures):
            return fmt
    return None


def _refused(message: str, code: str) -> RuleViolation:
    return RuleViolation(message, code=code, errors=[{"field": FIELD, "message": message}])


def _clean(filename: str) -> str:
    """The last path component, NFC, with no control/format/unassigned characters, the characters
    special in file names replaced, whitespace collapsed, and no leading or trailing dots or spaces."""
    name = _SEPARATORS.split(unicodedata.normalize("NFC", filename))[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = " ".join(_SPECIAL.sub("_", name).split())
    return name.strip(" .")


def sanitise_filename(filename: str) -> str:
    """The name to store: cleaned, at most :data:`MAX_NAME` characters, its extension (if it has a
    plausible one) kept in lower case at the end; never empty. The checks below judge this name."""
    name = _clean(filename)
    suffix = PurePath(name).suffix if name else ""
    if not _SAFE_SUFFIX.fullmatch(suffix.lower()):
        suffix = ""
    stem = name[: len(name) - len(suffix)].rstrip(" .")[: MAX_NAME - len(suffix)].rstrip(" .")
    return (stem or "file") + suffix.lower()


def check_file(
    filename: str, content: bytes, allowed: Collection[FileFormat], *, max_bytes: int, what: str
) -> tuple[FileFormat, str]:
    """The file's format and its name to store, or the 422 saying why not: empty, over ``max_bytes``,
    content not one of ``allowed``, or a name whose extension does not say what the content is."""
    if not content:
        raise _refused("the file is empty", "empty_file")
    if len(content) > max_bytes:
        raise _refused(f"{what}: {len(content)} bytes is more than the {max_bytes} allowed", "file_too_large")
    detected = detect_format(content)
    if detected is None or detected not in allowed:
        names = ", ".join(f.value for f in allowed)
        raise _refused(
            f"{what} must be one of: {names}; this file is "
            f"{detected.value if detected else 'of an unrecognised type'}",
            "file_type_not_allowed",
        )
    safe_name = sanitise_filename(filename)
    suffix = PurePath(safe_name).suffix
    if _EXTENSIONS.get(suffix) is not detected:
        shown = f"named {suffix}" if suffix else "named without an extension"
        raise _refused(
            f"the file is {shown} but its content is {detected.value}: name it "
            + " or ".join(ext for ext, fmt in _EXTENSIONS.items() if fmt is detected),
            "file_type_mismatch",
        )
    return detected, safe_name


def check_upload(material: Material, filename: str, content_type: str, content: bytes) -> FileFormat:
    """A material's upload (``content_type`` is the client's say, not trusted: the bytes and the
    name's extension decide). The caller stores :func:`sanitise_filename` of the name."""
    detected, _ = check_file(
        filename, content, material.formats, max_bytes=material.max_bytes, what=material.name
    )
    return detected

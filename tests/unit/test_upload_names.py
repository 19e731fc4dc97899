"""The upload checks and the name sanitiser, without the API (control characters a multipart
client would escape included)."""

from __future__ import annotations

import pytest

from govservice.domain.catalogue import FileFormat
from govservice.errors import RuleViolation
from govservice.services.applications.uploads import MAX_NAME, check_file, sanitise_filename

PDF = b"%PDF-1.7\n"
ALL = (FileFormat.PDF, FileFormat.JPG, FileFormat.PNG)


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("plan.pdf", "plan.pdf"),
        ("Plan.PDF", "Plan.pdf"),
        ("/etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\a.pdf", "a.pdf"),
        ("a\x00b\x1fc\x7f\x85d.pdf", "abcd.pdf"),
        ("tab\there.pdf", "tabhere.pdf"),
        ("rlo\u202egpj.pdf", "rlogpj.pdf"),
        ("zero\u200bwidth.pdf", "zerowidth.pdf"),
        ("...hidden.pdf", "hidden.pdf"),
        ("trailing. . .pdf", "trailing.pdf"),
        ("", "file"),
        ("../", "file"),
        ("plan.p df", "plan.p df"),
        ("e\u0301.pdf", "\u00e9.pdf"),  # NFC
        ("x" * 500 + ".pdf", "x" * (MAX_NAME - 4) + ".pdf"),
        ("x" * 500, "x" * MAX_NAME),
    ],
)
def test_names_are_sanitised(sent: str, stored: str) -> None:
    assert sanitise_filename(sent) == stored
    assert sanitise_filename(stored) == stored  # sanitising is idempotent


@pytest.mark.parametrize(
    "name", ["setup.exe", "plan.html", "plan", "plan.pdf\x00.exe", "plan.pdf/", "plan.pdf\u202e"]
)
def test_pdf_bytes_need_a_pdf_name(name: str) -> None:
    if name == "plan.pdf\u202e":  # the invisible character goes; the name is then plan.pdf
        assert check_file(name, PDF, ALL, max_bytes=100, what="x") == (FileFormat.PDF, "plan.pdf")
        return
    with pytest.raises(RuleViolation) as caught:
        check_file(name, PDF, ALL, max_bytes=100, what="x")
    assert caught.value.code == "file_type_mismatch"
    assert [e["field"] for e in caught.value.extra["errors"]] == ["file"]


def test_formats_outside_the_allowed_ones_are_refused_before_the_name() -> None:
    with pytest.raises(RuleViolation) as caught:
        check_file("plan.pdf", PDF, (FileFormat.JPG,), max_bytes=100, what="a photo")
    assert caught.value.code == "file_type_not_allowed"
    with pytest.raises(RuleViolation) as caught:
        check_file("plan.pdf", PDF * 20, ALL, max_bytes=100, what="a photo")
    assert caught.value.code == "file_too_large"

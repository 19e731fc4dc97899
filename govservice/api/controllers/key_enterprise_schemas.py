"""Shared request shapes and path types of the key-enterprise package's controllers."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec
from litestar.datastructures import UploadFile
from litestar.params import PathParameter, QueryParameter

from govservice.api.schemas import Schema
from govservice.domain.actor import Role
from govservice.domain.uscc import UsccText
from govservice.services.key_enterprises.care import Finding, RecordKind
from govservice.services.key_enterprises.requests import RequestKind
from govservice.services.key_enterprises.restraint import Purpose

Uscc = Annotated[str, PathParameter(pattern=r"^[0-9A-Z]{18}$")]
Id = Annotated[int, PathParameter(ge=1, le=2**53)]
Year = Annotated[int, PathParameter(ge=2000, le=2100)]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
Short = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Limit = Annotated[int, QueryParameter(ge=1, le=200)]
Cursor = Annotated[str | None, QueryParameter(max_length=64)]

MANAGERS = (Role.ADMIN, Role.SUPERVISOR)
SERVING = (Role.ADVISER, Role.SUPERVISOR, Role.ADMIN)
SEEING = (Role.ADVISER, Role.SUPERVISOR, Role.ADMIN, Role.APPLICANT)
INSPECTING = (Role.INSPECTOR, Role.SUPERVISOR)
ADVISER_EXAMPLE = {"sub": "adviser-li", "name": "李专员", "unit": "FR-UNIT-02"}


class AdviserIn(Schema):
    sub: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    name: Short
    unit: Code


class EnrolmentIn(Schema):
    """Enrol an enterprise (USCC with a valid GB 32100 check character) in the package."""

    uscc: UsccText
    name: Short
    industries: Annotated[list[Code], msgspec.Meta(max_length=20)]
    enrolled_from: date
    adviser: AdviserIn
    enrolled_until: date | None = None


class EnrolmentChangeIn(Schema):
    """Only what is given changes; ``enrolledUntil: null`` makes the enrolment open-ended."""

    industries: Annotated[list[Code], msgspec.Meta(max_length=20)] | None = None
    enrolled_until: date | None | msgspec.UnsetType = msgspec.UNSET
    adviser: AdviserIn | None = None


class RequestIn(Schema):
    kind: RequestKind
    subject: Short
    detail: Text


class ResponseIn(Schema):
    response: Text


class CheckupIn(Schema):
    year: Annotated[int, msgspec.Meta(ge=2000, le=2100)]
    scheduled_on: date


class CompletionIn(Schema):
    completed_on: date
    findings: Annotated[list[Finding], msgspec.Meta(max_length=200)]


class ReportUpload(msgspec.Struct):
    file: UploadFile


class ServiceRecordIn(Schema):
    kind: RecordKind
    title: Short
    held_on: date
    summary: Text
    attendees: Annotated[int, msgspec.Meta(ge=0, le=100000)] | None = None


class PlanIn(Schema):
    uscc: UsccText
    planned_on: Annotated[date, msgspec.Meta(description="today or later (a local date; else 422)")]
    scope: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    purpose: Purpose = Purpose.ROUTINE
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)] | None = None


class MergeIn(Schema):
    into: Annotated[int, msgspec.Meta(ge=1, le=2**53, description="another open plan, not this one")]

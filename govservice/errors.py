"""Errors the services raise; the API turns each into an RFC 9457 problem.

* GovServiceError            (base; never shown as 500)
  x BadRequest           400  bad_request
  x NotAuthenticated     401  not_authenticated
  x Forbidden            403  forbidden
  x NotFound             404  not_found
  x Conflict             409  conflict        (someone else changed it first)
  x Gone                 410  matter_cancelled (the replacement is named)
  x PreconditionFailed   412  precondition_failed (If-Match did not match)
  x PayloadTooLarge      413  payload_too_large (the body is over the request size limit)
  x RuleViolation        422  rule_violation  (a rule or guard said no; the message says which)
"""

from __future__ import annotations

from typing import Any, ClassVar


class GovServiceError(Exception):
    status: ClassVar[int] = 400
    code: str = "bad_request"  # a class default; an instance may name its own
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.extra = extra


class BadRequest(GovServiceError):
    pass


class NotAuthenticated(GovServiceError):
    status = 401
    code = "not_authenticated"
    title = "Not authenticated"


class Forbidden(GovServiceError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class NotFound(GovServiceError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(GovServiceError):
    status = 409
    code = "conflict"
    title = "Conflict"


class Gone(GovServiceError):
    status = 410
    code = "matter_cancelled"
    title = "Gone"


class PreconditionFailed(GovServiceError):
    status = 412
    code = "precondition_failed"
    title = "Precondition failed"


class PayloadTooLarge(GovServiceError):
    status = 413
    code = "payload_too_large"  # the same code as the framework's own 413 (problems.py)
    title = "Content too large"


class RuleViolation(GovServiceError):
    status = 422
    code = "rule_violation"
    title = "Rule violation"

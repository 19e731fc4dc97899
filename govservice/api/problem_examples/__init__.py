"""What each operation answers with when it says no: the examples of its 403, 409, 410, 412 and 422.

One table keyed by operation id, kept per context in this package. Each entry is a problem the
operation's own code raises, with the code and the detail as the service writes them (the ids, dates
and names in them are examples). :mod:`govservice.api.openapi_problems` puts them into the document
beside the route guard's 403 and an Idempotency-Key's 409/422; ``tests/api/test_openapi_problems.py``
checks that every code here is one the code base raises and that operations on different resources
do not share an example.
"""

from __future__ import annotations

from govservice.api.problem_examples.applications import APPLICATIONS
from govservice.api.problem_examples.enforcement import ENFORCEMENT
from govservice.api.problem_examples.quality_review import QUALITY_REVIEW
from govservice.api.problem_examples.said import Said

PROBLEM_EXAMPLES: dict[str, tuple[Said, ...]] = {**APPLICATIONS, **ENFORCEMENT, **QUALITY_REVIEW}

__all__ = ["PROBLEM_EXAMPLES", "Said"]

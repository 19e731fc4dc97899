"""Applications (办件): filing, materials, the acceptance review, the three routes, visits,
decisions and e-licences. The workflow engine moves the case; this package supplies what the
engine cannot know (the facts its guards read) and does what it cannot do (notices, licences,
credit records), registered under the names the process files use."""

from govservice.services.applications.service import ApplicationService

__all__ = ["ApplicationService"]

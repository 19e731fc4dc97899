"""Applications (办件): filing, materials, the acceptance review, the three routes, visits,
decisions and e-licences. The workflow engine moves the case; this package supplies what the
engine cannot know (the facts its guards read) and does what it cannot do (notices, licences,
credit records), under the names the process files use: :data:`ENGINE_EXTENSION`."""

from govservice.services.applications.inspection import INSPECTION
from govservice.services.applications.notices import NOTICES
from govservice.services.applications.plugins import APPLICATIONS
from govservice.services.applications.service import ApplicationService
from govservice.services.engine import EngineExtension

ENGINE_EXTENSION = EngineExtension.combine("applications", APPLICATIONS, INSPECTION, NOTICES)

__all__ = ["ENGINE_EXTENSION", "ApplicationService"]

"""The key-enterprise service package ("五个一"): registry, response line, check-ups, plan and
training records, restrained inspection. The green channel is applied by the workflow engine
(:mod:`.plugins`; the context hands the engine :data:`ENGINE_EXTENSION`)."""

from __future__ import annotations

from pathlib import Path

from govservice.config import ConfigError
from govservice.domain.packages import PackageError, ServicePackage, load_package_in_force
from govservice.services.key_enterprises.care import CareService
from govservice.services.key_enterprises.plugins import KEY_ENTERPRISES as ENGINE_EXTENSION
from govservice.services.key_enterprises.registry import KeyEnterpriseRegistry
from govservice.services.key_enterprises.requests import RequestService
from govservice.services.key_enterprises.restraint import InspectionPlans


def load_service_package(workflows_dir: Path) -> ServicePackage:
    """The package in force, or a configuration error naming the file and what is wrong."""
    try:
        return load_package_in_force(workflows_dir / "packages")
    except PackageError as exc:
        raise ConfigError(f"service package: {exc}") from exc


__all__ = [
    "ENGINE_EXTENSION",
    "CareService",
    "InspectionPlans",
    "KeyEnterpriseRegistry",
    "RequestService",
    "load_service_package",
]

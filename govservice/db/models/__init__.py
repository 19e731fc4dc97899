"""Every model module is imported here so that alembic's autogenerate sees the whole schema."""

from govservice.db.models.catalogue import MatterVersionRow

__all__ = ["MatterVersionRow"]

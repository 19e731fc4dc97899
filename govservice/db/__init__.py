"""Storage: SQLAlchemy models, engine/session factory, repositories and migrations."""

"""Alembic migrations of the content database (run by content_service.adapters.migrate)."""

"""Database failures that mean "PostgreSQL is unavailable right now" (see contracts.postgres)."""

from contracts.postgres import is_unavailable

__all__ = ["is_unavailable"]

"""PostgreSQL repository (SQLAlchemy 2 async + asyncpg) and Alembic migrations."""

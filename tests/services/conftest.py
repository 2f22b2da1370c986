"""Services run against the real stores: SQLite on a file and a throwaway PostgreSQL database
(the fixtures of tests/storage)."""

from tests.storage.conftest import _postgres_server, postgres_url, sqlite_url  # noqa: F401

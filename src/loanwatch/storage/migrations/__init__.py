"""Alembic scripts of the operational store; run them with ``loanwatch.storage.migrate``."""

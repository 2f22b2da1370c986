"""The operational store: repositories of the workflow's records, their SQL tables and migrations."""

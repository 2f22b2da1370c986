"""The web console and the REST API (FastAPI), served by ``loanwatch serve``."""

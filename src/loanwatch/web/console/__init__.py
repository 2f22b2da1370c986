"""Server-rendered console pages (Jinja2), Chinese by default."""

from loanwatch.web.console import auth, dashboard, home

ROUTERS = [auth.router, home.router, dashboard.router]

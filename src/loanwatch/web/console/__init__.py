"""Server-rendered console pages (Jinja2), Chinese by default."""

from loanwatch.web.console import (
    admin,
    alerts,
    auth,
    borrowers,
    classification,
    collections,
    dashboard,
    data,
    home,
    reports,
    tasks,
)

ROUTERS = [auth.router, home.router, dashboard.router, alerts.router, borrowers.router,
           tasks.router, collections.router, classification.router, data.router, reports.router,
           admin.router]

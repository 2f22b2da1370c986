"""REST API routers: parse, call one service, map the result (thin handlers). Each endpoint
declares its permission with ``Depends(require(Permission.X))``."""

from loanwatch.web.api import (
    admin,
    alerts,
    auth,
    borrowers,
    classification,
    collections,
    dashboard,
    data,
    exports,
    reports,
    tasks,
)

ROUTERS = [auth.router, dashboard.router, alerts.router, borrowers.router, tasks.router,
           collections.router, classification.router, data.router, reports.router, exports.router,
           admin.router]

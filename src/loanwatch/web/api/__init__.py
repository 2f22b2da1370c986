"""REST API routers: parse, call one service, map the result (thin handlers). Each endpoint
declares its permission with ``Depends(require(Permission.X))``."""

from loanwatch.web.api import auth

ROUTERS = [auth.router]

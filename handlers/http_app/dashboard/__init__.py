"""The dashboard: server-rendered pages over the control plane's tables (docs/dashboard.md).

One more set of routes on the same app (`ROUTES`); the read model and the actions are
in bzzz.dashboard, these modules only sign people in, check CSRF and render.
"""

from handlers.http_app.dashboard.routes import ROUTES

__all__ = ["ROUTES"]

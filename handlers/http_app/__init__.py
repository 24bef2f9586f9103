"""The control plane's HTTP app (webhook, Hive-compatible API, listings), for Mangum and uvicorn."""

from handlers.http_app.app import create_app
from handlers.http_app.services import Services

__all__ = ["Services", "create_app"]

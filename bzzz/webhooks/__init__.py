"""GitHub webhooks in three layers: verify the signature, parse the event, route it.

Transport rules (content type, body size, status codes) belong to the HTTP
layer; nothing here sees a request.
"""

from bzzz.webhooks.context import Context, GitHubFactory
from bzzz.webhooks.event import WebhookEvent, parse
from bzzz.webhooks.router import Handler, Outcome, Router
from bzzz.webhooks.signature import sign, verify

__all__ = [
    "Context",
    "GitHubFactory",
    "Handler",
    "Outcome",
    "Router",
    "WebhookEvent",
    "parse",
    "sign",
    "verify",
]

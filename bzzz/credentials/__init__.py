"""Repository tokens for runners: the GitHub App key stays here, in the control plane.

Runner:         `sign_request(signer, task_key)` -> the Authorization header value
Control plane:  `TokenVendor(settings, secrets).vend(task_key, authorization)` -> `VendedToken`

docs/runner-credentials.md describes what a runner holds and never holds.
"""

from bzzz.credentials.app_tokens import TASK_PERMISSIONS, AppTokens, VendedToken
from bzzz.credentials.errors import (
    CredentialError,
    LeaseExpiredError,
    NotLeaseHolderError,
    TokenUnavailableError,
    UnauthenticatedError,
)
from bzzz.credentials.signing import SCHEME, WINDOW_SECONDS, sign_request
from bzzz.credentials.vendor import TokenVendor

__all__ = [
    "SCHEME",
    "TASK_PERMISSIONS",
    "WINDOW_SECONDS",
    "AppTokens",
    "CredentialError",
    "LeaseExpiredError",
    "NotLeaseHolderError",
    "TokenUnavailableError",
    "TokenVendor",
    "UnauthenticatedError",
    "VendedToken",
    "sign_request",
]

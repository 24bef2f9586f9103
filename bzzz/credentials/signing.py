"""A runner's signed token request: who asks, for which task, when; Ed25519 over those.

The runner signs with its own audit key (`runner/` keeps it in its state
directory; `bzzz.audit.registry` records the first public key each agent id
registered, and a later key for the same id is ignored). The control plane
verifies against that first registration, so the signature is a per-runner
identity that nobody holding only the tables' write access can re-key.

    Authorization: Bzzz-Ed25519 agent="<id>", ts="<unix seconds>", nonce="<hex>", sig="<base64>"

The signed bytes start with a purpose line of their own, so a request
signature can never be taken for an audit entry's signature (those cover a
32-byte hash, never this text).
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bzzz.credentials.errors import UnauthenticatedError

if TYPE_CHECKING:
    from bzzz.audit.keys import Signer

SCHEME = "Bzzz-Ed25519"
PURPOSE = b"bzzz-token-request/v1\n"
# A request is accepted this long either side of the control plane's clock;
# its nonce is remembered for as long, so a replay inside the window fails too.
WINDOW_SECONDS = 120
_AGENT = re.compile(r"[A-Za-z0-9._:@-]{1,128}")
_NONCE = re.compile(r"[0-9a-f]{32}")
_PARAM = re.compile(r'\s*(\w+)="([^"]*)"\s*(?:,|$)')


@dataclass(frozen=True)
class SignedRequest:
    agent: str
    task: str
    ts: int
    nonce: str
    signature: bytes

    def message(self) -> bytes:
        return PURPOSE + f"POST\n{self.task}\n{self.agent}\n{self.ts}\n{self.nonce}\n".encode()


def sign_request(signer: Signer, task: str, now: float | None = None) -> str:
    """The Authorization header value for `signer` asking a token for `task`."""
    ts = int(time.time() if now is None else now)
    unsigned = SignedRequest(signer.author, task, ts, secrets.token_hex(16), b"")
    signature = signer.sign_bytes(unsigned.message())
    sig = base64.b64encode(signature).decode("ascii")
    return f'{SCHEME} agent="{signer.author}", ts="{ts}", nonce="{unsigned.nonce}", sig="{sig}"'


def parse_request(header: str | None, task: str) -> SignedRequest:
    """The signed request in `header`; UnauthenticatedError says what is missing or malformed."""
    if not header or not header.strip():
        raise UnauthenticatedError(f"a signed request is required: Authorization: {SCHEME} ...")
    scheme, _, rest = header.strip().partition(" ")
    if scheme != SCHEME:
        raise UnauthenticatedError(f"the Authorization scheme must be {SCHEME}")
    params: dict[str, str] = {}
    position = 0
    while position < len(rest):
        match = _PARAM.match(rest, position)
        if match is None:
            raise UnauthenticatedError("the Authorization header is malformed")
        params[match.group(1)] = match.group(2)
        position = match.end()
    missing = [name for name in ("agent", "ts", "nonce", "sig") if name not in params]
    if missing:
        raise UnauthenticatedError(f"the Authorization header lacks {', '.join(missing)}")
    if not _AGENT.fullmatch(params["agent"]):
        raise UnauthenticatedError("agent must be 1-128 of A-Z a-z 0-9 . _ : @ -")
    if not params["ts"].isdigit() or not _NONCE.fullmatch(params["nonce"]):
        raise UnauthenticatedError("ts must be unix seconds and nonce 32 hex digits")
    try:
        signature = base64.b64decode(params["sig"], validate=True)
    except (binascii.Error, ValueError):
        raise UnauthenticatedError("sig is not base64") from None
    return SignedRequest(params["agent"], task, int(params["ts"]), params["nonce"], signature)


def check_fresh(request: SignedRequest, now: float) -> None:
    if abs(now - request.ts) > WINDOW_SECONDS:
        raise UnauthenticatedError(
            f"the request is stale: ts is over {WINDOW_SECONDS} s from the control plane's clock"
        )


def check_signature(request: SignedRequest, public_key: str | None) -> None:
    """Raise unless `public_key` (the agent's first registered key) signed the request.

    An unknown agent and a wrong signature get the same answer: the reply must
    not tell a prober which runner ids exist.
    """
    from bzzz.audit.keys import verify_bytes

    refused = UnauthenticatedError(
        f"the signature does not verify against the registered key of {request.agent}"
    )
    if public_key is None:
        raise refused
    if not verify_bytes(public_key, request.message(), request.signature):
        raise refused

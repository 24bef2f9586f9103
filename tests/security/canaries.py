"""Canary secrets, and the search for them in every place an attacker could read.

A canary is a secret with a value no test or repository writes by chance.
The `canaries` fixture (conftest) gathers them:

    app_key      the control plane's GitHub App private key (a real RSA key: the
                 control plane signs with it; it lives in the control plane only)
    tokens       the installation tokens the GitHub stand-in minted during the test
                 (the ones the runner pushes with); `with_minted(github)` adds them
    dev_token    planted as GITHUB_TOKEN in the runner host's os.environ
    aws_id       planted as AWS_ACCESS_KEY_ID in os.environ (moto accepts any key)
    aws_secret   planted as AWS_SECRET_ACCESS_KEY in os.environ

`leaks(canaries, places)` names every canary found in any place (a mapping of
place name to text), in plain form and in the encodings that carry it on the
wire (base64, and `x-access-token:<token>` as HTTP Basic auth sends it).
`sandbox_search(canaries)` is a shell command for the sandbox that prints
`canary hits=<n>` after searching the container's files and every process's
environment, for the planted values and for any installation token (`ghs_`).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

INSTALLATION_TOKEN_PREFIX = "ghs_"  # what the stand-in (and GitHub) mint


@dataclass(frozen=True)
class Canaries:
    app_key: str
    dev_token: str
    aws_id: str
    aws_secret: str
    tokens: tuple[str, ...] = ()

    @classmethod
    def make(cls, app_key: str) -> Canaries:
        tag = secrets.token_hex(8)
        return cls(
            app_key=app_key,
            dev_token=f"ghp_canary{tag}",
            aws_id=f"AKIACANARY{tag.upper()}"[:20],
            aws_secret=f"canary-aws-secret-{tag}",
        )

    def environ(self) -> dict[str, str]:
        """What is planted in the runner host's os.environ."""
        return {
            "GITHUB_TOKEN": self.dev_token,
            "AWS_ACCESS_KEY_ID": self.aws_id,
            "AWS_SECRET_ACCESS_KEY": self.aws_secret,
        }

    def with_minted(self, github: Any) -> Canaries:
        """These canaries and every installation token the GitHub stand-in has minted."""
        world = github.emulator.world
        with world.lock:
            minted = [t.value for t in world.tokens.values() if t.installation_id is not None]
        return replace(self, tokens=tuple(minted))

    def _key_line(self) -> str:
        return self.app_key.strip().splitlines()[1]  # a line of the key's body

    def forms(self) -> dict[str, str]:
        """Name -> a string whose presence anywhere means that canary leaked."""
        found = {
            "App private key": self._key_line(),
            "GITHUB_TOKEN": self.dev_token,
            "AWS access key id": self.aws_id,
            "AWS secret key": self.aws_secret,
        }
        for index, token in enumerate((self.dev_token, *self.tokens)):
            basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
            found[f"token {index}"] = token
            found[f"token {index} (base64)"] = base64.b64encode(token.encode()).decode()
            found[f"token {index} (Basic auth)"] = basic
        return found


def leaks(canaries: Canaries, places: Mapping[str, str]) -> list[str]:
    """'<canary> in <place>' for every canary form found in any place; [] when none leaked."""
    return [
        f"{name} in {place}"
        for place, text in places.items()
        for name, value in canaries.forms().items()
        if value in text
    ]


def sandbox_search(canaries: Canaries) -> str:
    """A command that counts the canaries in the container's files and environments.

    The values travel base64-encoded into a process substitution (bash), so the
    command itself writes them into no file and no environment it searches.
    """
    values = [canaries.dev_token, canaries._key_line(), canaries.aws_secret]
    encoded = base64.b64encode("\n".join([*values, INSTALLATION_TOKEN_PREFIX]).encode()).decode()
    needles = f"<(echo {encoded} | base64 -d)"
    return (
        f"F=$(grep -rlF -f {needles} /workspace /tmp $HOME 2>/dev/null | wc -l); "
        "E=$(cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' "
        f"| grep -cF -f {needles}); "
        'echo "canary hits=$((F + E)) searched=$(find /workspace -type f | wc -l)"'
    )

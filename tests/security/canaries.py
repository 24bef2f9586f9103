"""Canary secrets, and the search for them in every place an attacker could read.

A canary is a secret of the runner host with a value no test or repository
would write by chance. The `canaries` fixture (conftest) plants them where the
runner gets its secrets (os.environ and the runner's env dict):

    token     GITHUB_TOKEN: the token the runner pushes with (a seed user of the
              GitHub stand-in with write access; `canary_seed` adds it)
    app_key   GITHUB_APP_PRIVATE_KEY (present, unused: no GITHUB_APP_ID)
    aws_id    AWS_ACCESS_KEY_ID      (moto accepts any key)
    aws_secret AWS_SECRET_ACCESS_KEY

`leaks(canaries, places)` names every canary found in any place (a mapping
of place name to text), in plain form and in the encodings that carry it on
the wire (base64, and `x-access-token:<token>` as HTTP Basic auth sends it).
`sandbox_search(canaries)` is a shell command for the sandbox that prints
`canary hits=<n>` after searching the container's files and environment.
"""

from __future__ import annotations

import base64
import copy
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from infra.github_emulator import DEMO_SEED

CANARY_BOT = "canary-bot"


@dataclass(frozen=True)
class Canaries:
    token: str
    app_key: str
    aws_id: str
    aws_secret: str

    @classmethod
    def make(cls) -> Canaries:
        tag = secrets.token_hex(8)
        key_body = base64.b64encode(f"canary-app-key-{tag}".encode() * 8).decode()
        return cls(
            token=f"ghp_canary{tag}",
            app_key=f"-----BEGIN PRIVATE KEY-----\n{key_body}\n-----END PRIVATE KEY-----\n",
            aws_id=f"AKIACANARY{tag.upper()}"[:20],
            aws_secret=f"canary-aws-secret-{tag}",
        )

    def environ(self) -> dict[str, str]:
        return {
            "GITHUB_TOKEN": self.token,
            "GITHUB_APP_PRIVATE_KEY": self.app_key,
            "AWS_ACCESS_KEY_ID": self.aws_id,
            "AWS_SECRET_ACCESS_KEY": self.aws_secret,
        }

    def forms(self) -> dict[str, str]:
        """Name -> a string whose presence anywhere means that canary leaked."""
        basic = base64.b64encode(f"x-access-token:{self.token}".encode()).decode()
        key_line = self.app_key.splitlines()[1][:40]  # any line of the key's body
        return {
            "token": self.token,
            "token (base64)": base64.b64encode(self.token.encode()).decode(),
            "token (Basic auth)": basic,
            "app key": key_line,
            "AWS access key id": self.aws_id,
            "AWS secret key": self.aws_secret,
        }


# Made once per test session, at import: seeds are built when test modules load.
CANARIES = Canaries.make()


def leaks(canaries: Canaries, places: Mapping[str, str]) -> list[str]:
    """'<canary> in <place>' for every canary form found in any place; [] when none leaked."""
    return [
        f"{name} in {place}"
        for place, text in places.items()
        for name, value in canaries.forms().items()
        if value in text
    ]


def sandbox_search(canaries: Canaries) -> str:
    """A command that counts the canaries in the container's files and environment.

    The values travel base64-encoded into a process substitution (bash), so the
    command itself writes them into no file and no environment it searches.
    """
    values = [canaries.token, canaries.app_key.splitlines()[1][:40], canaries.aws_secret]
    encoded = base64.b64encode("\n".join(values).encode()).decode()
    needles = f"<(echo {encoded} | base64 -d)"
    return (
        f"F=$(grep -rlF -f {needles} /workspace /tmp $HOME 2>/dev/null | wc -l); "
        "E=$(cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' "
        f"| grep -cF -f {needles}); "
        'echo "canary hits=$((F + E)) searched=$(find /workspace -type f | wc -l)"'
    )


def canary_seed(bzzz_yml: str | None = None, canaries: Canaries = CANARIES) -> dict[str, Any]:
    """The demo seed, with the canary token as a writer's token (and `.bzzz.yml` when given)."""
    seed = copy.deepcopy(yaml.safe_load(DEMO_SEED.read_text()))
    seed["users"].append({"login": CANARY_BOT, "token": canaries.token})
    repo = seed["repos"][0]
    repo["collaborators"][CANARY_BOT] = "write"
    if bzzz_yml is not None:
        repo["files"][".bzzz.yml"] = bzzz_yml
    return seed

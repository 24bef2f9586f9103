#!/usr/bin/env bash
# Installs everything the demo and the test suite need, idempotently:
#   Python 3.12 (found, never hard-coded), uv, the locked virtual environment
#   (.venv), Debian packages (Java for DynamoDB Local, git, Podman and Docker Engine for
#   the sandbox, Chromium for the dashboard's browser tests) and the npm tools
#   (DynamoDB Local, GitHub's OpenAPI description and webhook schemas, axe-core).
# Says clearly what is missing where it cannot install it itself.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=">=0.13,<0.14"
say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

is_py312() { [ -n "$1" ] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' >/dev/null 2>&1; }

find_python312() {
  local candidate root
  for candidate in "${BZZZ_PYTHON:-}" "$(command -v python3.12 || true)" /usr/bin/python3.12 /usr/local/bin/python3.12; do
    if is_py312 "$candidate"; then echo "$candidate"; return 0; fi
  done
  # pyenv: its python3.12 shim fails unless a 3.12 is selected, so look in its versions folder.
  if command -v pyenv >/dev/null 2>&1; then
    root=$(pyenv root)
    for candidate in "$root"/versions/3.12*/bin/python3.12; do
      if is_py312 "$candidate"; then echo "$candidate"; return 0; fi
    done
  fi
  for candidate in "$HOME"/.pyenv/versions/3.12*/bin/python3.12 "$HOME"/.local/share/uv/python/cpython-3.12*/bin/python3.12; do
    if is_py312 "$candidate"; then echo "$candidate"; return 0; fi
  done
  return 1
}

apt_install() {
  # Installs Debian packages when we may (root with apt-get); otherwise says what to install.
  local missing=("$@")
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian packages: ${missing[*]}"
    if [ ! -f /var/lib/apt/periodic/bzzz-updated ] ; then
      apt-get update -qq && mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/bzzz-updated
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    die "missing system packages: ${missing[*]} (install them, e.g. 'sudo apt-get install ${missing[*]}')"
  fi
}

# ---- Debian packages --------------------------------------------------------
need=()
command -v git >/dev/null 2>&1 || need+=(git)
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
# The dashboard's browser tests (tests/browser) drive Debian's Chromium through Playwright;
# Playwright's own browser download cannot run on CI's machine. A font, for its screenshots.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
if [ "${BZZZ_SETUP_CONTAINERS:-1}" = "1" ]; then
  command -v podman >/dev/null 2>&1 || need+=(podman)
  command -v runc >/dev/null 2>&1 || need+=(runc)
  # Docker Engine 20.10 (dockerd, containerd, docker-init): the tests' second engine. They
  # start a private dockerd of their own (infra/container_engine/dockerd.py), so whether the
  # host's init starts Debian's docker.service after the install does not matter to them.
  command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
  for tool in catatonit debootstrap; do command -v "$tool" >/dev/null 2>&1 || need+=("$tool"); done
fi
apt_install "${need[@]}"

# ---- Python 3.12 and uv -------------------------------------------------------
PY312=$(find_python312) || die "Python 3.12 (the Lambda runtime) was not found. Install it with one of:
    pyenv install 3.12        (then re-run; pyenv's versions folder is searched)
    apt-get install python3.12 (Debian 13 and later)
    uv python install 3.12
  or point BZZZ_PYTHON at a python3.12 binary."
say "Python 3.12: $PY312"

UV=$(command -v uv || true)
if [ -z "$UV" ]; then
  if [ ! -x .bzzz/tools/bin/uv ]; then
    say "installing uv into .bzzz/tools"
    "$PY312" -m venv .bzzz/tools
    .bzzz/tools/bin/pip install -q "uv$UV_VERSION"
  fi
  UV=$PWD/.bzzz/tools/bin/uv
fi

say "syncing .venv from uv.lock"
"$UV" sync --locked --all-extras --python "$PY312" -q

# ---- npm tools ------------------------------------------------------------------
stamp=infra/node/node_modules/.bzzz-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s infra/node/package-lock.json "$stamp"; then
  say "installing npm tools (DynamoDB Local, GitHub OpenAPI and webhook schemas, axe-core)"
  npm ci --prefix infra/node --no-audit --no-fund --loglevel=error >/dev/null
  cp infra/node/package-lock.json "$stamp"
fi
say "ready"

#!/usr/bin/env bash
# Installs the local AWS sandbox (moto server) and MariaDB for the `sandbox` vitest project.
#
# Idempotent: a second run only checks what is there and exits in well under a second.
# Needs root on Debian bookworm with Debian's archive reachable; touches the system only through apt-get
# (bookworm packages). moto is not packaged for bookworm, so its trixie packages are *downloaded* (never
# installed) through a throwaway source list and unpacked under .tmp/sandbox/ inside the project: the
# system's apt sources, lists and package cache are left as they were. See docs/testing.md, "The sandbox".
#
# Usage: bash scripts/sandbox/install.sh            # moto + mariadb-server
#        SANDBOX_SKIP_MARIADB=1 bash scripts/sandbox/install.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SANDBOX_DIR="${SANDBOX_DIR:-$ROOT/.tmp/sandbox}"
MOTO_DIR="$SANDBOX_DIR/moto"      # dpkg -x target: $MOTO_DIR/usr/lib/python3/dist-packages
STUB_DIR="$SANDBOX_DIR/stub"      # openapi_spec_validator stand-in
APT_DIR="$SANDBOX_DIR/apt"        # the throwaway trixie list, its indexes and cache
# Bump when the set of downloaded packages or the stub changes, so CI caches of .tmp/ are refreshed.
MARKER="$MOTO_DIR/.installed-v1"

# Bookworm packages moto's server needs at run time (all present in bookworm at compatible versions).
SYSTEM_PACKAGES=(
  python3 python3-flask python3-flask-cors python3-werkzeug python3-responses python3-xmltodict
  python3-jinja2 python3-cryptography python3-dateutil python3-requests python3-yaml python3-jmespath
  python3-antlr4 python3-ply
)
# Pure-python (Architecture: all) trixie packages that bookworm lacks or has too old for moto 5.
TRIXIE_PACKAGES=(python3-moto python3-boto3 python3-botocore python3-s3transfer python3-jsonpath-ng)

if [[ "${SANDBOX_SKIP_MARIADB:-0}" != "1" ]]; then
  SYSTEM_PACKAGES+=(mariadb-server)
fi

log() { printf '[sandbox/install] %s\n' "$*" >&2; }

missing_system_packages() {
  local pkg status
  for pkg in "${SYSTEM_PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
    [[ "$status" == "installed" ]] || printf '%s\n' "$pkg"
  done
}

mapfile -t MISSING < <(missing_system_packages)
if [[ ${#MISSING[@]} -eq 0 && -f "$MARKER" ]]; then
  log "already installed (moto in ${MOTO_DIR#"$ROOT"/}); nothing to do"
  exit 0
fi

if [[ "$(id -u)" != "0" ]]; then
  log "must run as root (apt-get)"
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Other jobs may hold the dpkg lock: wait for it instead of failing.
APT_LOCK_WAIT=(-o DPkg::Lock::Timeout=600)

if [[ ${#MISSING[@]} -gt 0 ]]; then
  log "installing bookworm packages: ${MISSING[*]}"
  # mariadb-server's maintainer scripts would start a server (port 3306) on a machine without systemd;
  # tests start their own instance, so forbid service starts during the install when nothing else does.
  POLICY=/usr/sbin/policy-rc.d
  CREATED_POLICY=0
  if [[ ! -e "$POLICY" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$POLICY"
    chmod 755 "$POLICY"
    CREATED_POLICY=1
    trap 'rm -f "$POLICY"' EXIT
  fi
  # Try with the indexes the machine has; a fresh image has none (or stale ones): refresh once and retry.
  if ! apt-get "${APT_LOCK_WAIT[@]}" install -y -qq --no-install-recommends "${MISSING[@]}" >/dev/null 2>&1; then
    apt-get "${APT_LOCK_WAIT[@]}" update -qq
    apt-get "${APT_LOCK_WAIT[@]}" install -y -qq --no-install-recommends "${MISSING[@]}" >/dev/null
  fi
  if [[ $CREATED_POLICY == 1 ]]; then
    rm -f "$POLICY"
    trap - EXIT
  fi
fi

if [[ ! -f "$MARKER" ]]; then
  log "downloading moto and its pure-python dependencies from Debian trixie"
  rm -rf "$MOTO_DIR" "$APT_DIR"
  mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial" "$APT_DIR/debs" "$MOTO_DIR"
  printf 'deb http://deb.debian.org/debian trixie main\n' >"$APT_DIR/sources.list"
  # Every path apt would write to is redirected, so the system's apt state never sees trixie.
  APT_TRIXIE=(
    -o "Dir::Etc::SourceList=$APT_DIR/sources.list"
    -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::State::Lists=$APT_DIR/lists"
    -o "Dir::Cache=$APT_DIR/cache"
    -o "APT::Get::List-Cleanup=0"
    # The download folder is root's, under the project: fetching as _apt would only warn and fall back.
    -o "APT::Sandbox::User=root"
  )
  apt-get "${APT_TRIXIE[@]}" update -qq
  (cd "$APT_DIR/debs" && apt-get "${APT_TRIXIE[@]}" download -qq "${TRIXIE_PACKAGES[@]}")
  for deb in "$APT_DIR"/debs/*.deb; do
    dpkg -x "$deb" "$MOTO_DIR"
  done
  # The indexes are ~10 MB and only needed for the download.
  rm -rf "$APT_DIR/lists" "$APT_DIR/cache"

  # moto imports openapi_spec_validator at module level in its API Gateway backend only; that library is
  # not packaged for bookworm and API Gateway is not used here, so a stub that fails loudly if called is enough.
  rm -rf "$STUB_DIR"
  mkdir -p "$STUB_DIR/openapi_spec_validator/validation"
  cat >"$STUB_DIR/openapi_spec_validator/__init__.py" <<'PY'
"""Stub: moto imports this for API Gateway only, which the sandbox does not use."""


def validate(*args, **kwargs):
    raise NotImplementedError("openapi_spec_validator is stubbed in the tidb-privatelink sandbox")


def validate_spec(*args, **kwargs):
    raise NotImplementedError("openapi_spec_validator is stubbed in the tidb-privatelink sandbox")
PY
  cat >"$STUB_DIR/openapi_spec_validator/validation/__init__.py" <<'PY'
PY
  cat >"$STUB_DIR/openapi_spec_validator/validation/exceptions.py" <<'PY'
class OpenAPIValidationError(Exception):
    pass
PY

  # Prove the unpacked tree imports before declaring success.
  PYTHONPATH="$MOTO_DIR/usr/lib/python3/dist-packages:$STUB_DIR" /usr/bin/python3 -c 'import moto.server, moto.ec2, moto.events, moto.sqs, moto.elbv2'
  touch "$MARKER"
fi

log "done: moto $(PYTHONPATH="$MOTO_DIR/usr/lib/python3/dist-packages" /usr/bin/python3 -c 'import moto; print(moto.__version__)')"

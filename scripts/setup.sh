#!/usr/bin/env bash
# Installs PGT Studio and its dependencies into the current Python (3.10+).
#   bash scripts/setup.sh          # the app
#   bash scripts/setup.sh --test   # the app + test tools (pytest, playwright, Debian chromium)
# torch is pinned to 2.13.0: on these machines that resolves to a CPU build on local disk.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
extras=""
if [[ "${1:-}" == "--test" ]]; then extras="[test]"; fi
$PY -m pip install -q --disable-pip-version-check -e ".${extras}"
if [[ "${1:-}" == "--test" ]] && ! command -v chromium >/dev/null 2>&1; then
  # Browser tests drive Debian's chromium with playwright (never `playwright install`).
  if command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
      || echo "warning: could not install chromium; browser tests will be skipped" >&2
  fi
fi

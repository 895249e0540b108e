#!/usr/bin/env bash
# The project's test command (README): installs what the tests need, then runs every
# test. Python's `prov` package (the W3C interop check) goes into a venv under target/.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${PROVSCOPE_VENV:-$PWD/target/prov-venv}"
if ! "$venv/bin/python" -c 'import prov' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'prov==3.2.3'
fi
export PROVSCOPE_PROV_PYTHON="$venv/bin/python"
# The packet tests make veth pairs with iproute2's `ip`.
if ! command -v ip >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q iproute2 >/dev/null
fi
# Tests that need python prov fail instead of skipping when this is set.
export PROVSCOPE_REQUIRE_PROV=1
cargo test --release "$@"

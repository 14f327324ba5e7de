#!/usr/bin/env bash
# Installs what is missing, builds gatehouse and runs it on its embedded
# default: SQLite under ./data, development mode (a secret generated into
# ./data/secret), a bootstrap admin printed on first start.
# Extra arguments go to `gatehouse serve` (e.g. --config gatehouse.yaml).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
[ -d build ] || meson setup build --buildtype=release >/dev/null
ninja -C build >/dev/null
export GATEHOUSE_DEV=${GATEHOUSE_DEV:-1}
exec ./build/gatehouse serve "$@"

#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what it
# needs, builds a normal and an ASan+UBSan tree, and runs every suite
# (virtio unit tests, protocol tests, end-to-end tests with DPDK testpmd
# frontends) in both. Ends with one "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/setup-hugepages.sh

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

status=0
scripts/build.sh build
meson test -C build --print-errorlogs || status=1
scripts/build.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
meson test -C build-asan --print-errorlogs || status=1

python3 scripts/test_summary.py build/meson-logs/testlog.json build-asan/meson-logs/testlog.json
exit $status

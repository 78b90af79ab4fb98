#!/usr/bin/env bash
# Configures (once) and builds one build directory.
# Usage: build.sh BUILDDIR [meson setup options...]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1; shift
[ -f "$dir/build.ninja" ] || meson setup "$dir" "$@" >/dev/null
ninja -C "$dir"

#!/usr/bin/env bash
# Installs every build and test dependency of vhost-notify on a fresh Debian 12.
# Idempotent: apt-get skips what is already there.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

PKGS=(
  build-essential g++ meson ninja-build pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  libdpdk-dev liburing-dev
  # dpdk-testpmd lives in dpdk-dev; the PMDs it loads are separate packages.
  dpdk dpdk-dev librte-net-virtio23 librte-net-vhost23 librte-net-pcap23
  librte-mempool-ring23 librte-net-null23
  python3 procps iproute2 util-linux
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

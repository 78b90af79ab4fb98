#!/usr/bin/env bash
# Reserves 2 MiB hugepages and mounts hugetlbfs for DPDK's testpmd peers.
# Idempotent; needs root. Usage: setup-hugepages.sh [PAGES]   (default 1024)
set -euo pipefail
pages=${1:-1024}
if [ "$(id -u)" -ne 0 ]; then
  echo "setup-hugepages: needs root (DPDK peers use hugepages)" >&2
  exit 1
fi
nr=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
[ "$(cat "$nr")" -ge "$pages" ] || echo "$pages" > "$nr"
if [ "$(cat "$nr")" -lt "$pages" ]; then
  echo "setup-hugepages: only $(cat "$nr") of $pages hugepages could be reserved" >&2
  exit 1
fi
mkdir -p /dev/hugepages
mountpoint -q /dev/hugepages || mount -t hugetlbfs nodev /dev/hugepages

#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: installs and builds
# vhost-notify, attaches a real vhost-user frontend (DPDK testpmd with
# net_virtio_user, sending 64-byte frames) to it, prints the backend's
# per-second rates, then measures it side by side with DPDK's own vhost
# backend (testpmd net_vhost) over a few alternating rounds.
#   scripts/demo.sh [SECONDS]        (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
scripts/install-deps.sh
scripts/setup-hugepages.sh
scripts/build.sh build >/dev/null

# The e2e helpers fail() explicitly and do not expect errexit.
set +e
E2E_NAME=demo
. tests/e2e/lib.sh
BACKEND=$PWD/build/vhost/vhost-notify
e2e_require_tools
e2e_tmpdir
sock=$E2E_TMP/demo.sock

log "vhost-notify --mode sink --stats 1, with testpmd virtio-user txonly (64 B) attached for ${secs}s"
BE_STATS=1 BE_TASKSET=0 be_start sink --socket-path "$sock"
tp_start fe frontend "net_virtio_user0,path=$sock,queues=1" -- --forward-mode=txonly --txpkts=64
tp_wait_ready fe 30
tp_cmd fe start
sleep "$secs"
tp_stop_fwd fe
tp_quit fe
be_stop
grep -E '^(stats|final) port=' "$(be_log)"

log "side by side with DPDK net_vhost (same frontend, alternating rounds)"
bench/sink_vs_dpdk.sh --backend "$BACKEND" --rounds 3 --seconds 3

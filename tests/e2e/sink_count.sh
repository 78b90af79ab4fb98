#!/usr/bin/env bash
# e2e: vhost-notify --mode sink counts exactly what a testpmd virtio-user frontend sent.
#
#   sink_count.sh --backend PATH_TO_vhost-notify [--seconds S] [--size BYTES] [--keep] [--verbose]
#   (--backend dpdk runs testpmd's net_vhost in rxonly mode instead, to check the harness)
#
# testpmd (net_virtio_user, txonly) sends for S seconds, stops forwarding, waits a second
# so the backend can drain the ring, prints its port counters and quits. Then the backend
# is stopped with SIGINT. PASS when the backend's rx_pkts equals testpmd's TX-packets
# exactly (and is > 0), rx_bytes equals TX-bytes, and rx_drops is 0.
. "$(dirname "$0")/lib.sh"

SECS=3
SIZE=64
e2e_parse_common_args "$@"
set -- ${E2E_ARGS[@]+"${E2E_ARGS[@]}"}
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) SECS=$2; shift 2 ;;
        --size) SIZE=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

e2e_require_tools
e2e_setup_hugepages 1024
e2e_tmpdir

SOCK=$E2E_TMP/vn0.sock
log "starting backend ($BACKEND) in sink mode on $SOCK"
be_start sink --socket-path "$SOCK"

tp_start fe frontend "net_virtio_user0,path=$SOCK,queues=1" -- --forward-mode=txonly --txpkts="$SIZE"
tp_wait_ready fe 30
log "sending ${SIZE}-byte frames for ${SECS}s (txonly)"
tp_cmd fe start
sleep "$SECS"
tp_stop_fwd fe
sleep 1   # the backend drains what is still in the ring
tp_show_stats fe
FE_TX=$(tp_stat fe 0 TX-packets)
FE_TXB=$(tp_stat fe 0 TX-bytes)
FE_DROP=$(tp_stat fe 0 TX-dropped fwd)
log "testpmd: TX-packets=$FE_TX TX-bytes=$FE_TXB (TX-dropped=$FE_DROP: ring full, not sent)"
tp_quit fe || fail "testpmd frontend did not quit"

sleep 0.5
be_stop
be_summary
RX=$(be_counter 0 rx_pkts)
RXB=$(be_counter 0 rx_bytes)

is_uint "$FE_TX" || fail "could not read testpmd's TX-packets"
is_uint "$RX" || fail "could not read the backend's rx_pkts"
[ "$FE_TX" -gt 0 ] || fail "testpmd sent nothing (TX-packets=0): the backend never made the ring usable"
[ "$RX" -gt 0 ] || fail "backend rx_pkts=0 although testpmd sent $FE_TX frames"
[ "$RX" -eq "$FE_TX" ] ||
    fail "backend rx_pkts=$RX != testpmd TX-packets=$FE_TX (difference $((FE_TX - RX)))"
if [ "$BE_KIND" = vhost-notify ]; then
    [ "$RXB" = "$FE_TXB" ] || fail "backend rx_bytes=$RXB != testpmd TX-bytes=$FE_TXB"
    RXD=$(be_counter 0 rx_drops)
    [ "$RXD" = 0 ] || fail "backend rx_drops=$RXD, expected 0 (testpmd sends well-formed frames)"
fi
MPPS=$(awk -v n="$RX" -v s="$SECS" 'BEGIN { printf "%.2f", n / s / 1e6 }')
pass "backend rx_pkts=$RX == testpmd TX-packets=$FE_TX (about $MPPS Mpps over ${SECS}s)"

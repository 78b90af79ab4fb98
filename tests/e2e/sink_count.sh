#!/usr/bin/env bash
# e2e: vhost-notify --mode sink counts exactly what a testpmd virtio-user frontend sent.
#
#   sink_count.sh --backend PATH_TO_vhost-notify [--seconds S] [--size BYTES] [--no-multiseg]
#                 [--queues N] [--keep] [--verbose]
#   (--backend dpdk runs testpmd's net_vhost in rxonly mode instead, to check the harness)
#
# testpmd (net_virtio_user, txonly) sends SIZE-byte frames for S seconds, then (unless
# --no-multiseg) 764-byte frames made of 4 mbuf segments for 1 s, which virtio-user sends
# as descriptor chains or indirect descriptor tables. After each phase it stops forwarding
# and waits a second so the backend can drain the ring; then it prints its port counters
# (cumulative over both phases) and quits. Then the backend
# is stopped with SIGINT. PASS when the backend's rx_pkts equals testpmd's TX-packets
# exactly (and is > 0), rx_bytes equals TX-bytes, and rx_drops is 0. With --queues N the
# frontend and the backend use N queue pairs (testpmd spreads txonly over all N TX queues).
. "$(dirname "$0")/lib.sh"

SECS=3
SIZE=64
MULTISEG=1
e2e_parse_common_args "$@"
set -- ${E2E_ARGS[@]+"${E2E_ARGS[@]}"}
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) SECS=$2; shift 2 ;;
        --size) SIZE=$2; shift 2 ;;
        --no-multiseg) MULTISEG=0; shift ;;
        --queues) BE_QUEUES=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

e2e_require_tools
e2e_setup_hugepages 1024
e2e_tmpdir

SOCK=$E2E_TMP/vn0.sock
log "starting backend ($BACKEND) in sink mode on $SOCK"
be_start sink --socket-path "$SOCK"

Q=$BE_QUEUES
tp_start fe frontend "net_virtio_user0,path=$SOCK,queues=$Q" -- --forward-mode=txonly --txpkts="$SIZE" \
    --rxq="$Q" --txq="$Q"
tp_wait_ready fe 30
log "sending ${SIZE}-byte frames for ${SECS}s (txonly, $Q queue pair(s))"
tp_cmd fe start
sleep "$SECS"
tp_stop_fwd fe
sleep 1   # the backend drains what is still in the ring
tp_show_stats fe
P1_TX=$(tp_stat fe 0 TX-packets)
log "testpmd: single-segment phase: TX-packets=$P1_TX (TX-dropped=$(tp_stat fe 0 TX-dropped fwd): ring full, not sent)"
if [ "$MULTISEG" = 1 ]; then
    # Multi-segment mbufs: virtio-user sends them as descriptor chains (or indirect tables).
    log "sending 4-segment 764-byte frames for 1s (txonly, set txpkts 32,32,200,500)"
    tp_cmd fe "set txpkts 32,32,200,500" start
    sleep 1
    tp_stop_fwd fe
    sleep 1
    tp_show_stats fe
fi
FE_TX=$(tp_stat fe 0 TX-packets)
FE_TXB=$(tp_stat fe 0 TX-bytes)
log "testpmd: total TX-packets=$FE_TX TX-bytes=$FE_TXB"
if [ "$MULTISEG" = 1 ] && is_uint "$FE_TX" && is_uint "$P1_TX"; then
    [ "$FE_TX" -gt "$P1_TX" ] || fail "testpmd could not send any multi-segment frame"
fi
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
    # Per-queue counters outlive the connection: the TX ring (queue 1) was kicked.
    QKICKS=$(grep -E "^final-queue port=0 queue=1 " "$(be_log)" | tr ' ' '\n' | awk -F= '$1 == "kicks" { print $2 }')
    is_uint "$QKICKS" && [ "$QKICKS" -gt 0 ] || fail "no kicks counted on TX queue 1 (got '${QKICKS}')"
fi
MPPS=$(awk -v n="$P1_TX" -v s="$SECS" 'BEGIN { printf "%.2f", n / s / 1e6 }')
pass "backend rx_pkts=$RX == testpmd TX-packets=$FE_TX (single-segment phase about $MPPS Mpps)"

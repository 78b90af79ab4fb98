#!/usr/bin/env bash
# e2e: vhost-notify --mode loopback returns every frame intact with the MACs swapped.
#
#   loopback_intact.sh --backend PATH_TO_vhost-notify [--count N] [--seconds S] [--no-jumbo]
#                      [--queue-size Q] [--keep] [--verbose]
#   (--backend dpdk runs testpmd's net_vhost with macswap forwarding instead)
#
# Part 1 (pcap): pcaptool generates N frames of mixed sizes (60..1514 bytes, sequence
#   numbered, pseudo-random payload). A testpmd frontend has two ports: 0 = virtio-user
#   attached to the backend (queue_size=1024 > N, so the frames never need more room
#   than the rings have), 1 = net_pcap (rx_pcap = the generated file, tx_pcap = out).
#   io forwarding with retry moves the pcap frames to virtio-user's TX and what comes back
#   on virtio-user's RX into out.pcap. PASS needs: pcaptool compare --swap-macs finds every
#   frame exactly once and byte-identical, testpmd sent and received N.
# Part 2 (jumbo, unless --no-jumbo): the same with 100 frames of 1515..9000 bytes, testpmd
#   using 10 KiB mbufs (--max-pkt-len=9018 --mbuf-size=10240), so each frame is one
#   descriptor of up to 9012 bytes with its virtio-net header.
# Part 3 (flowgen): a new frontend connects to the same backend and runs flowgen (which
#   sends and receives) for S seconds, then rxonly for 1 s to drain its RX ring. PASS needs
#   RX-packets > 0, and over all parts: backend tx_pkts == frames testpmd received,
#   backend rx_pkts == frames testpmd sent, and rx_pkts == tx_pkts + tx_drops.
. "$(dirname "$0")/lib.sh"

COUNT=400
JCOUNT=100
SECS=3
JUMBO=1
# Rings larger than the frame count: all frames fit in the virtio TX ring and in the RX
# ring, so none is lost even when the backend drops on a full RX ring (which it may:
# tx_drops) while testpmd's lcore is busy retrying a TX burst instead of refilling RX.
QSIZE=1024
e2e_parse_common_args "$@"
set -- ${E2E_ARGS[@]+"${E2E_ARGS[@]}"}
while [ $# -gt 0 ]; do
    case "$1" in
        --count) COUNT=$2; shift 2 ;;
        --seconds) SECS=$2; shift 2 ;;
        --no-jumbo) JUMBO=0; shift ;;
        --queue-size) QSIZE=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
# (--queue-size 256 --count 400 shows what a backend does when the RX ring is full.)
[ "$COUNT" -lt "$QSIZE" ] || log "warning: --count $COUNT >= ring size $QSIZE: a backend that drops on a full RX ring may lose frames"

e2e_require_tools
e2e_setup_hugepages 1024
e2e_tmpdir
T=$E2E_TMP
SOCK=$T/vn0.sock

gen() { "$PYTHON" "$PCAPTOOL" gen "$@" | while read -r l; do log "$l"; done; }
gen "$T/in.pcap" --count "$COUNT" --sizes 60,61,64,65,127,128,255,256,511,512,1023,1024,1500,1514,60-1514 \
    --random-sizes --src-mac 02:00:00:00:00:01 --dst-mac 02:00:00:00:00:02 --seed 42
[ -s "$T/in.pcap" ] || fail "pcaptool gen did not write $T/in.pcap"
if [ "$JUMBO" = 1 ]; then
    gen "$T/jumbo_in.pcap" --count "$JCOUNT" --sizes 1515,2048,4096,8192,9000,1515-9000 --random-sizes \
        --src-mac 02:00:00:00:00:01 --dst-mac 02:00:00:00:00:02 --seed 43 --first-seq 10000
fi

log "starting backend ($BACKEND) in loopback mode on $SOCK"
be_start loopback --socket-path "$SOCK"

# pcap_roundtrip NAME IN OUT N [testpmd args...]: sends IN through virtio-user, collects
# what comes back in OUT, compares; sets RT_TX / RT_RX (testpmd's virtio-user counters).
pcap_roundtrip() {
    local name=$1 in=$2 out=$3 n=$4; shift 4
    tp_start "$name" frontend "net_virtio_user0,path=$SOCK,queues=1,queue_size=$QSIZE" \
        "net_pcap0,rx_pcap=$in,tx_pcap=$out" -- --forward-mode=io --no-flush-rx \
        --rxd=$QSIZE --txd=$QSIZE "$@"
    tp_wait_ready "$name" 30
    # retry: a full virtio TX ring makes io forwarding wait (10000 x 10 us) instead of dropping.
    tp_cmd "$name" "set fwd io retry" "set burst tx delay 10 retry 10000"
    tp_sync "$name"
    tp_cmd "$name" start
    local deadline=$(( $(now_ns) + 15 * 1000000000 )) got=0
    while :; do
        got=$("$PYTHON" "$PCAPTOOL" count "$out")
        [ "$got" -ge "$n" ] && break
        [ "$(now_ns)" -lt "$deadline" ] || break
        sleep 0.2
    done
    sleep 0.5   # anything extra (duplicates) would arrive now
    tp_stop_fwd "$name"
    tp_show_stats "$name"
    RT_TX=$(tp_stat "$name" 0 TX-packets)
    RT_RX=$(tp_stat "$name" 0 RX-packets)
    local pcap_rx
    pcap_rx=$(tp_stat "$name" 1 RX-packets)
    log "testpmd $name: pcap port read $pcap_rx frames; virtio-user TX-packets=$RT_TX RX-packets=$RT_RX"
    tp_quit "$name" || fail "testpmd $name did not quit"
    [ "$pcap_rx" = "$n" ] || fail "harness: testpmd read $pcap_rx of $n frames from $in"
    [ "$RT_TX" = "$n" ] ||
        fail "testpmd could send only $RT_TX of $n frames to the backend (virtio TX ring stayed full)"
    local rc=0
    "$PYTHON" "$PCAPTOOL" compare "$in" "$out" --swap-macs > "$T/compare.txt" 2>&1 || rc=$?
    while read -r l; do log "$l"; done < "$T/compare.txt"
    [ "$rc" = 0 ] ||
        fail "looped-back frames differ from the sent ones (testpmd received $RT_RX of $n; see above)"
}

# ---------------------------------------------------------------- part 1: pcap
log "part 1: $COUNT frames of 60..1514 bytes through virtio-user and back"
pcap_roundtrip fe1 "$T/in.pcap" "$T/out.pcap" "$COUNT"
SENT=$RT_TX
RECV=$RT_RX
log "ok: part 1: $COUNT frames came back intact with swapped MACs"

# ---------------------------------------------------------------- part 2: jumbo
if [ "$JUMBO" = 1 ]; then
    log "part 2: $JCOUNT frames of 1515..9000 bytes (10 KiB mbufs)"
    pcap_roundtrip fe_jumbo "$T/jumbo_in.pcap" "$T/jumbo_out.pcap" "$JCOUNT" \
        --max-pkt-len=9018 --mbuf-size=10240
    SENT=$((SENT + RT_TX))
    RECV=$((RECV + RT_RX))
    log "ok: part 2: $JCOUNT jumbo frames came back intact with swapped MACs"
fi

# ---------------------------------------------------------------- part 3: flowgen
log "part 3: flowgen for ${SECS}s through a new connection"
tp_start fe2 frontend "net_virtio_user0,path=$SOCK,queues=1" -- --forward-mode=flowgen
tp_wait_ready fe2 30
tp_cmd fe2 start
sleep "$SECS"
tp_stop_fwd fe2
# Frames the backend returned after the stop are still in the RX ring: drain them.
sleep 0.5
tp_cmd fe2 "set fwd rxonly" start
sleep 1
tp_stop_fwd fe2
tp_show_stats fe2
P3_TX=$(tp_stat fe2 0 TX-packets)
P3_RX=$(tp_stat fe2 0 RX-packets)
log "testpmd flowgen: TX-packets=$P3_TX RX-packets=$P3_RX"
tp_quit fe2 || fail "testpmd frontend 2 did not quit"

sleep 0.5
be_stop
be_summary
RX=$(be_counter 0 rx_pkts)
TX=$(be_counter 0 tx_pkts)
DROPS=$(be_counter 0 tx_drops)
for v in P3_TX P3_RX RX TX; do is_uint "${!v}" || fail "could not read counter $v"; done
[ "$P3_RX" -gt 0 ] || fail "flowgen: testpmd received nothing back (RX-packets=0)"
WANT_RX=$((SENT + P3_TX))
WANT_TX=$((RECV + P3_RX))
[ "$RX" -eq "$WANT_RX" ] ||
    fail "backend rx_pkts=$RX != frames testpmd sent ($SENT pcap + $P3_TX flowgen = $WANT_RX)"
[ "$TX" -eq "$WANT_TX" ] ||
    fail "backend tx_pkts=$TX != frames testpmd received ($RECV pcap + $P3_RX flowgen = $WANT_TX)"
if [ "$BE_KIND" = vhost-notify ]; then
    [ "$RX" -eq $((TX + DROPS)) ] ||
        fail "loopback: rx_pkts=$RX != tx_pkts=$TX + tx_drops=$DROPS"
    RXD=$(be_counter 0 rx_drops)
    [ "$RXD" = 0 ] || fail "backend rx_drops=$RXD, expected 0"
fi
J=""
[ "$JUMBO" = 1 ] && J=" and $JCOUNT/$JCOUNT jumbo"
pass "pcap: $COUNT/$COUNT$J frames intact; flowgen: testpmd RX-packets=$P3_RX (TX $P3_TX), backend tx_pkts=$TX == testpmd RX total, rx_pkts=$RX == testpmd TX total, tx_drops=$DROPS"

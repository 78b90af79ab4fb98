#!/usr/bin/env bash
# e2e: vhost-notify --mode switch forwards frames byte-identical between frontends,
# floods unknown unicast and broadcast, and stops flooding once a MAC is learned.
#
#   switch_two_frontends.sh --backend PATH_TO_vhost-notify [--count N] [--no-flood-check]
#                           [--keep] [--verbose]
#   (--backend dpdk: testpmd net_vhost with io forwarding between its two ports, which is
#    a cross-connect, not a switch: only the A<->B part is run)
#
# Frontends A, B (and C) are testpmd instances, each with port 0 = virtio-user on its own
# backend socket and port 1 = net_pcap, io forwarding with retry: frames from the pcap go
# to the backend, frames from the backend go into the frontend's output pcap.
#   A sends N frames to B's MAC, every 8th to ff:ff:ff:ff:ff:ff (pcap a_in);
#   B sends N frames to A's MAC (b_in); C sends nothing.
# Order: B starts forwarding first; A's MAC is unknown to the switch, so B's frames are
# flooded to A and C, where they wait in the RX rings (N + N/8 < 256 descriptors). After
# 1.5 s A starts: it receives B's frames and sends its own, now to a learned MAC.
# C starts last and collects what was flooded to it.
# PASS needs:  b_out == a_in and a_out == b_in (every frame once, byte-identical);
#   C got exactly B's N frames (flooded, unknown destination) plus A's broadcast frames
#   and not one frame addressed to B (learned); the backend counters agree per port.
. "$(dirname "$0")/lib.sh"

COUNT=200
FLOOD=1
e2e_parse_common_args "$@"
set -- ${E2E_ARGS[@]+"${E2E_ARGS[@]}"}
while [ $# -gt 0 ]; do
    case "$1" in
        --count) COUNT=$2; shift 2 ;;
        --no-flood-check) FLOOD=0; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
backend_is_dpdk && FLOOD=0
BCAST_EVERY=8
NB=$((COUNT / BCAST_EVERY))
if [ $((COUNT + NB)) -ge 256 ]; then
    echo "--count $COUNT too large: frames parked in a virtio RX ring must stay below 256" >&2
    exit 2
fi

e2e_require_tools
e2e_setup_hugepages 1024
e2e_tmpdir
TP_MEM=256   # three frontends at once

A_MAC=02:00:00:00:00:0a
B_MAC=02:00:00:00:00:0b
C_MAC=02:00:00:00:00:0c
T=$E2E_TMP
gen() { "$PYTHON" "$PCAPTOOL" gen "$@" | while read -r l; do log "$l"; done; }
gen "$T/a_in.pcap" --count "$COUNT" --src-mac $A_MAC --dst-mac $B_MAC --broadcast-every $BCAST_EVERY \
    --sizes 60,64,128,333,512,1000,1514,60-1514 --random-sizes --seed 11 --first-seq 0
gen "$T/b_in.pcap" --count "$COUNT" --src-mac $B_MAC --dst-mac $A_MAC \
    --sizes 60,64,128,333,512,1000,1514,60-1514 --random-sizes --seed 12 --first-seq 100000
gen "$T/c_in.pcap" --count 0 --src-mac $C_MAC

NAMES=(A B)
[ "$FLOOD" = 1 ] && NAMES+=(C)
socks=()
for n in "${NAMES[@]}"; do socks+=(--socket-path "$T/$n.sock"); done
log "starting backend ($BACKEND) in switch mode with ${#NAMES[@]} ports: ${NAMES[*]} = ports 0..$((${#NAMES[@]} - 1))"
be_start switch "${socks[@]}"

lc() { echo "$1" | tr 'A-Z' 'a-z'; }
for n in "${NAMES[@]}"; do
    l=$(lc "$n")
    tp_start "$n" frontend "net_virtio_user0,path=$T/$n.sock,queues=1" \
        "net_pcap0,rx_pcap=$T/${l}_in.pcap,tx_pcap=$T/${l}_out.pcap" -- --forward-mode=io --no-flush-rx
done
for n in "${NAMES[@]}"; do
    tp_wait_ready "$n" 30
    tp_cmd "$n" "set fwd io retry" "set burst tx delay 10 retry 10000"
    tp_sync "$n"
done

count() { "$PYTHON" "$PCAPTOOL" count "$@"; }
# wait_count FILE N SECS [count args]
wait_count() {
    local f=$1 want=$2 secs=$3; shift 3
    local deadline=$(( $(now_ns) + secs * 1000000000 )) got
    while :; do
        got=$(count "$f" "$@")
        [ "$got" -ge "$want" ] && return 0
        [ "$(now_ns)" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}

log "B sends $COUNT frames to A ($A_MAC, not learned yet)"
tp_cmd B start
sleep 1.5
log "A sends $COUNT frames to B ($B_MAC, learned from B's frames), $NB of them broadcast"
tp_cmd A start
wait_count "$T/b_out.pcap" "$COUNT" 15 || log "B received only $(count "$T/b_out.pcap") of $COUNT frames within 15s"
wait_count "$T/a_out.pcap" "$COUNT" 15 || log "A received only $(count "$T/a_out.pcap") of $COUNT frames within 15s"
if [ "$FLOOD" = 1 ]; then
    tp_cmd C start
    wait_count "$T/c_out.pcap" $((COUNT + NB)) 10 || true
fi
sleep 0.5   # anything extra (duplicates, stray floods) would arrive now
declare -A FE_TX FE_RX
for n in "${NAMES[@]}"; do
    tp_stop_fwd "$n"
    tp_show_stats "$n"
    FE_TX[$n]=$(tp_stat "$n" 0 TX-packets)
    FE_RX[$n]=$(tp_stat "$n" 0 RX-packets)
    log "testpmd $n: virtio-user TX-packets=${FE_TX[$n]} RX-packets=${FE_RX[$n]}; pcap port read $(tp_stat "$n" 1 RX-packets)"
done
for n in "${NAMES[@]}"; do tp_quit "$n" || fail "testpmd $n did not quit"; done
sleep 0.3
be_stop
be_summary

cmp_pcap() {
    local what=$1; shift
    local rc=0
    "$PYTHON" "$PCAPTOOL" compare "$@" > "$T/cmp.txt" 2>&1 || rc=$?
    while read -r l; do log "$what: $l"; done < "$T/cmp.txt"
    return $rc
}
cmp_pcap "A->B" "$T/a_in.pcap" "$T/b_out.pcap" ||
    fail "frames A sent did not all arrive at B exactly once and byte-identical"
cmp_pcap "B->A" "$T/b_in.pcap" "$T/a_out.pcap" ||
    fail "frames B sent did not all arrive at A exactly once and byte-identical"

if [ "$FLOOD" = 1 ]; then
    cmp_pcap "at C" "$T/a_in.pcap,$T/b_in.pcap" "$T/c_out.pcap" --allow-missing ||
        fail "C received corrupted, duplicated or foreign frames"
    C_ALL=$(count "$T/c_out.pcap")
    C_TO_A=$(count "$T/c_out.pcap" --dst $A_MAC)
    C_TO_B=$(count "$T/c_out.pcap" --dst $B_MAC)
    C_BC=$(count "$T/c_out.pcap" --dst ff:ff:ff:ff:ff:ff)
    log "C received $C_ALL frames: $C_TO_A to A (flooded, unknown dst), $C_BC broadcast, $C_TO_B to B"
    [ "$C_TO_A" -eq "$COUNT" ] ||
        fail "C got $C_TO_A of B's $COUNT frames to the then unknown $A_MAC; flooding expected all of them"
    [ "$C_BC" -eq "$NB" ] || fail "C got $C_BC of A's $NB broadcast frames"
    [ "$C_TO_B" -eq 0 ] ||
        fail "C got $C_TO_B frames addressed to $B_MAC after B's MAC was learned (should go to B only)"
    [ "$C_ALL" -eq $((COUNT + NB)) ] || fail "C got $C_ALL frames, expected $((COUNT + NB))"
fi

# Backend counters, per port (A=0, B=1, C=2).
declare -A WANT_RX=([A]=$COUNT [B]=$COUNT [C]=0) WANT_TX=([A]=$COUNT [B]=$COUNT [C]=$((COUNT + NB)))
p=0
for n in "${NAMES[@]}"; do
    rx=$(be_counter $p rx_pkts); tx=$(be_counter $p tx_pkts); dr=$(be_counter $p tx_drops)
    [ "$rx" = "${WANT_RX[$n]}" ] || fail "backend port $p ($n) rx_pkts=$rx, expected ${WANT_RX[$n]}"
    [ "$tx" = "${WANT_TX[$n]}" ] || fail "backend port $p ($n) tx_pkts=$tx, expected ${WANT_TX[$n]}"
    [ "$BE_KIND" = dpdk ] || [ "$dr" = 0 ] || fail "backend port $p ($n) tx_drops=$dr, expected 0"
    p=$((p + 1))
done
if [ "$FLOOD" = 1 ]; then
    pass "A<->B $COUNT frames each way byte-identical; C saw $COUNT flooded + $NB broadcast and 0 learned-unicast frames"
else
    pass "A<->B $COUNT frames each way byte-identical (flood/learning part not run)"
fi

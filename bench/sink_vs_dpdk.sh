#!/usr/bin/env bash
# Benchmark: packets per second a sink backend absorbs from a testpmd virtio-user txonly
# frontend, vhost-notify --mode sink against DPDK's own net_vhost (testpmd rxonly).
#
#   bench/sink_vs_dpdk.sh --backend PATH_TO_vhost-notify [--rounds N] [--seconds S]
#                         [--size BYTES] [--cpu C] [--csv FILE] [--keep] [--verbose]
#
# Each round runs both backends, one after the other (the order alternates between
# rounds so that slow drifts of the machine do not favour one of them), each time with a
# fresh backend and a fresh frontend:
#   frontend: dpdk-testpmd --lcores '0@0,1@1' --single-file-segments, net_virtio_user,
#             txonly, --txpkts=SIZE; its forwarding lcore runs on CPU 1.
#   DPDK:     dpdk-testpmd --lcores '0@1,1@0', net_vhost, rxonly; its forwarding lcore
#             (lcore 1) runs on CPU 0, its idle main lcore on CPU 1.
#   vhost-notify: single-threaded, pinned with taskset -c C (default 0, the CPU of
#             net_vhost's forwarding lcore, so both backends get the core the frontend
#             does not spin on).
# Rate = packets the backend received (net_vhost: RX-packets of its port; vhost-notify:
# rx_pkts of its "final" line) / time between the frontend's "start" and "stop" commands.
# Prints a table of Mpps per round and backend, the medians, and the ratio
# vhost-notify / DPDK (of the medians, and the median of the per-round ratios).
# Timings on shared 2-vCPU machines are noisy: use many short rounds.
. "$(cd "$(dirname "$0")" && pwd)/../tests/e2e/lib.sh"

ROUNDS=5
SECS=3
SIZE=64
CPU=0
CSV=""
e2e_parse_common_args "$@"
set -- ${E2E_ARGS[@]+"${E2E_ARGS[@]}"}
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) ROUNDS=$2; shift 2 ;;
        --seconds) SECS=$2; shift 2 ;;
        --size) SIZE=$2; shift 2 ;;
        --cpu) CPU=$2; shift 2 ;;
        --csv) CSV=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
[ "$BACKEND" != dpdk ] || { echo "--backend must be the vhost-notify binary" >&2; exit 2; }
VN=$BACKEND

e2e_require_tools taskset
e2e_setup_hugepages 1024
e2e_tmpdir
T=$E2E_TMP

# run_one KIND ROUND: sets RUN_RES="MPPS RX FE_TX SECONDS". Runs in this shell (not in
# a $(...) subshell) so that the EXIT trap knows every process it starts.
run_one() {
    local kind=$1 r=$2 sock=$T/$1.$2.sock fe=fe_$1_$2
    BE_NAME=be_${kind}_$r
    if [ "$kind" = dpdk ]; then
        BACKEND=dpdk BE_TASKSET="" be_start sink --socket-path "$sock"
    else
        BACKEND=$VN BE_TASKSET=$CPU be_start sink --socket-path "$sock"
    fi
    tp_start "$fe" frontend "net_virtio_user0,path=$sock,queues=1" -- \
        --forward-mode=txonly --txpkts="$SIZE"
    tp_wait_ready "$fe" 30
    local t0 t1
    t0=$(now_ns)
    tp_cmd "$fe" start
    sleep "$SECS"
    t1=$(now_ns)
    tp_cmd "$fe" stop
    tp_sync "$fe"
    sleep 0.3
    tp_show_stats "$fe"
    local fetx rx
    fetx=$(tp_stat "$fe" 0 TX-packets)
    tp_quit "$fe" || fail "frontend did not quit"
    be_stop
    rx=$(be_counter 0 rx_pkts)
    is_uint "$rx" || fail "$kind round $r: could not read the backend's received packets"
    [ "$rx" -gt 0 ] || fail "$kind round $r: the backend received nothing"
    [ "$rx" = "$fetx" ] || log "warning: $kind round $r: backend received $rx, frontend sent $fetx"
    RUN_RES=$(awk -v n="$rx" -v ns=$((t1 - t0)) -v tx="$fetx" \
        'BEGIN { printf "%.3f %d %d %.3f\n", n * 1e3 / ns, n, tx, ns / 1e9 }')
}

# Other CPU-heavy processes make the numbers meaningless on 2 vCPUs: say so.
busy_check() {
    # CPU use of the whole machine over one second, and the processes that use most.
    local a b
    a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat)
    sleep 1
    b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat)
    local busy
    busy=$(echo "$a $b" | awk '{ d = ($3 - $1) + ($4 - $2); printf "%d", (d > 0 ? 100 * ($3 - $1) / d : 0) }')
    log "machine busy ${busy}% over the last second (load average $(cut -d' ' -f1 /proc/loadavg))"
    if [ "$busy" -gt 10 ]; then
        local hogs
        hogs=$(ps -eo pcpu=,comm= --sort=-pcpu | awk '$2 != "ps" && $1 > 10 { printf "%s(%s%%) ", $2, $1 }' | head -c 300)
        log "warning: the machine is not idle, the numbers will be noisy: ${hogs:-?}"
    fi
}
busy_check
log "vhost-notify: $VN (taskset -c $CPU); DPDK: testpmd net_vhost rxonly"
log "frontend: testpmd virtio-user txonly, ${SIZE}-byte frames, ${SECS}s per run, $ROUNDS rounds"
declare -a VN_MPPS DP_MPPS
for ((r = 1; r <= ROUNDS; r++)); do
    if [ $((r % 2)) -eq 1 ]; then order=(vn dpdk); else order=(dpdk vn); fi
    for k in "${order[@]}"; do
        run_one "$k" "$r"
        read -r mpps rx fetx secs <<<"$RUN_RES"
        log "round $r $k: $rx packets in ${secs}s = $mpps Mpps"
        if [ "$k" = vn ]; then VN_MPPS[$r]=$mpps; else DP_MPPS[$r]=$mpps; fi
        [ -n "$CSV" ] && echo "$r,$k,$SIZE,$secs,$rx,$fetx,$mpps" >> "$CSV"
    done
done

busy_check
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo
printf '%-8s %18s %18s %10s\n' round "vhost-notify Mpps" "DPDK vhost Mpps" ratio
ratios=()
for ((r = 1; r <= ROUNDS; r++)); do
    ratio=$(awk -v a="${VN_MPPS[$r]}" -v b="${DP_MPPS[$r]}" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
    ratios+=("$ratio")
    printf '%-8s %18s %18s %10s\n' "$r" "${VN_MPPS[$r]}" "${DP_MPPS[$r]}" "$ratio"
done
mv=$(median "${VN_MPPS[@]}")
md=$(median "${DP_MPPS[@]}")
mr=$(median "${ratios[@]}")
printf '%-8s %18s %18s %10s\n' median "$mv" "$md" "$mr"
ratio_of_medians=$(awk -v a="$mv" -v b="$md" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
echo
echo "vhost-notify/DPDK: ratio of medians $ratio_of_medians, median of per-round ratios $mr (${SIZE}-byte frames, ${ROUNDS} rounds of ${SECS}s)"
E2E_RESULT_SET=1
exit 0

# shellcheck shell=bash
# The backend under test (sourced by lib.sh): vhost-notify, or testpmd net_vhost as a
# stand-in, and the parsers for vhost-notify's "final"/"stats" lines.

# ---------------------------------------------------------------- vhost-notify output

# vn_final LOG PORT FIELD: FIELD of the line "final port=PORT ..." (empty if absent).
vn_final() {
    local logf=$1 port=$2 field=$3
    grep -E "^final port=$port " "$logf" | tail -n1 |
        tr ' ' '\n' | awk -F= -v f="$field" '$1 == f { print $2 }'
}
# vn_stats_last LOG PORT FIELD: FIELD of the last periodic "stats port=PORT ..." line.
vn_stats_last() {
    local logf=$1 port=$2 field=$3
    grep -E "^stats port=$port " "$logf" | tail -n1 |
        tr ' ' '\n' | awk -F= -v f="$field" '$1 == f { print $2 }'
}
# vn_final_ok LOG NPORTS: every port 0..N-1 has a well-formed final line.
vn_final_ok() {
    local logf=$1 n=$2 p
    local re='^final port=[0-9]+ path=[^ ]+ rx_pkts=[0-9]+ rx_bytes=[0-9]+ tx_pkts=[0-9]+ tx_bytes=[0-9]+ tx_drops=[0-9]+ rx_drops=[0-9]+ kicks=[0-9]+ wakeups=[0-9]+ calls=[0-9]+ calls_suppressed=[0-9]+$'
    for ((p = 0; p < n; p++)); do
        grep -E "^final port=$p " "$logf" | tail -n1 | grep -Eq "$re" || return 1
    done
    return 0
}

# ---------------------------------------------------------------- backend under test

BE_NAME=backend
BE_KIND=""          # vhost-notify | dpdk
BE_NPORTS=0
BE_TASKSET=${BE_TASKSET:-}    # e.g. "0": run vhost-notify under taskset -c 0
BE_STATS=${BE_STATS:-}        # --stats SECONDS for vhost-notify
BE_QUEUES=${BE_QUEUES:-1}     # --queues N (queue pairs per port)

# be_start MODE [--socket-path P]... [--client P]...
#   MODE sink|loopback|switch. Ports are numbered server sockets first, then clients.
#   For vhost-notify the sockets are waited for. For the dpdk stand-in:
#   sink = rxonly, loopback = macswap, switch = io between two ports (2 ports only).
be_start() {
    local mode=$1; shift
    local servers=() clients=()
    while [ $# -gt 0 ]; do
        case "$1" in
            --socket-path) servers+=("$2"); shift 2 ;;
            --client) clients+=("$2"); shift 2 ;;
            *) fail "be_start: bad argument $1" ;;
        esac
    done
    BE_NPORTS=$(( ${#servers[@]} + ${#clients[@]} ))
    local p
    if backend_is_dpdk; then
        BE_KIND=dpdk
        local vdevs=() i=0 fwd
        local q=$BE_QUEUES
        for p in ${servers[@]+"${servers[@]}"}; do vdevs+=("net_vhost$i,iface=$p,queues=$q"); i=$((i + 1)); done
        for p in ${clients[@]+"${clients[@]}"}; do vdevs+=("net_vhost$i,iface=$p,queues=$q,client=1"); i=$((i + 1)); done
        case "$mode" in
            sink) fwd=rxonly ;;
            loopback) fwd=macswap ;;
            switch) fwd=io; [ "$BE_NPORTS" -eq 2 ] || fail "dpdk stand-in switch needs exactly 2 ports" ;;
            *) fail "unknown mode $mode" ;;
        esac
        tp_start "$BE_NAME" backend "${vdevs[@]}" -- --forward-mode="$fwd" --no-flush-rx \
            --rxq="$q" --txq="$q"
        for p in ${servers[@]+"${servers[@]}"}; do
            wait_for_socket "$p" 20 || fail "stand-in backend did not create $p within 20s"
        done
        # The forwarding starts once the ports are there (the prompt comes after probing).
        tp_wait_ready "$BE_NAME" 30
        tp_cmd "$BE_NAME" start
    else
        BE_KIND=vhost-notify
        local args=(--mode "$mode")
        for p in ${servers[@]+"${servers[@]}"}; do args+=(--socket-path "$p"); done
        for p in ${clients[@]+"${clients[@]}"}; do args+=(--client "$p"); done
        [ -n "$BE_STATS" ] && args+=(--stats "$BE_STATS")
        [ "$BE_QUEUES" = 1 ] || args+=(--queues "$BE_QUEUES")
        local cmd=("$BACKEND" "${args[@]}")
        [ -n "$BE_TASKSET" ] && cmd=(taskset -c "$BE_TASKSET" "${cmd[@]}")
        # No stdbuf here: its LD_PRELOAD breaks ASan builds ("ASan runtime does not come
        # first"); vhost-notify flushes its stats and final lines itself.
        bg_start "$BE_NAME" "$E2E_TMP/$BE_NAME.log" "${cmd[@]}"
        log "vhost-notify (pid ${BG_PID[$BE_NAME]}): ${cmd[*]}"
        for p in ${servers[@]+"${servers[@]}"}; do
            if ! wait_for_socket "$p" 10 "${BG_PID[$BE_NAME]}"; then
                _alive "${BG_PID[$BE_NAME]}" || _exited_fail "${BG_PID[$BE_NAME]}" "vhost-notify exited during start-up"
                fail "vhost-notify did not create socket $p within 10s"
            fi
        done
        sleep 0.1
        _alive "${BG_PID[$BE_NAME]}" || _exited_fail "${BG_PID[$BE_NAME]}" "vhost-notify exited during start-up"
    fi
}

be_pid() { echo "${BG_PID[$BE_NAME]}"; }
be_log() { echo "${BG_LOG[$BE_NAME]}"; }

# be_stop: graceful stop; the counters are then available through be_counter.
be_stop() {
    local pid=${BG_PID[$BE_NAME]}
    if [ "$BE_KIND" = dpdk ]; then
        tp_quit "$BE_NAME" 15 || log "warning: stand-in backend had to be signalled"
        return 0
    fi
    _alive "$pid" || _exited_fail "$pid" "vhost-notify (pid $pid) died before the end of the test"
    stop_pid "$pid" 10
    [ "$STOP_HOW" = sigint ] || fail "vhost-notify did not exit within 10s of SIGINT (needed $STOP_HOW)"
    [ "$WAIT_RC" = 0 ] || fail "vhost-notify exited with status $WAIT_RC after SIGINT"
    vn_final_ok "$(be_log)" "$BE_NPORTS" ||
        fail "vhost-notify did not print a well-formed 'final port=N ...' line for each of its $BE_NPORTS ports"
    return 0
}

# be_counter PORT FIELD, FIELD in vhost-notify's names: rx_pkts rx_bytes tx_pkts
# tx_bytes tx_drops (rx_drops, kicks, ... only for vhost-notify).
be_counter() {
    local port=$1 field=$2
    if [ "$BE_KIND" = dpdk ]; then
        case "$field" in
            rx_pkts) tp_stat "$BE_NAME" "$port" RX-packets nic ;;
            tx_pkts) tp_stat "$BE_NAME" "$port" TX-packets nic ;;
            rx_bytes) tp_stat "$BE_NAME" "$port" RX-bytes nic ;;
            tx_bytes) tp_stat "$BE_NAME" "$port" TX-bytes nic ;;
            tx_drops) tp_stat "$BE_NAME" "$port" TX-dropped fwd ;;
            *) echo 0 ;;
        esac
    else
        vn_final "$(be_log)" "$port" "$field"
    fi
}

# be_summary: prints the backend's counters (for the test log).
be_summary() {
    if [ "$BE_KIND" = dpdk ]; then
        local p
        for ((p = 0; p < BE_NPORTS; p++)); do
            log "backend(dpdk) port=$p rx_pkts=$(be_counter $p rx_pkts) tx_pkts=$(be_counter $p tx_pkts) tx_drops=$(be_counter $p tx_drops)"
        done
    else
        grep -E '^final(-queue)? port=' "$(be_log)" | while read -r l; do log "backend: $l"; done
    fi
}

# is_uint VALUE
is_uint() { [[ "${1:-}" =~ ^[0-9]+$ ]]; }

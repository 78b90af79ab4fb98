# shellcheck shell=bash
# testpmd helpers of the e2e library (sourced by lib.sh): starting testpmd with the
# lcore recipe, driving it through its stdin fifo, reading its counters.

# ---------------------------------------------------------------- testpmd

E2E_FP_SEQ=0
# tp_start NAME ROLE VDEV... -- TESTPMD_APP_ARGS...
#   ROLE frontend: --lcores '0@0,1@1' --single-file-segments (virtio-user)
#   ROLE backend:  --lcores '0@1,1@0'                      (net_vhost stand-in)
# Always interactive (-i), stdin is a fifo that tp_cmd writes to; stdout line buffered.
# Extra EAL args may be given in TP_EAL_EXTRA (array).
tp_start() {
    local name=$1 role=$2; shift 2
    local eal=() app=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do eal+=(--vdev "$1"); shift; done
    [ $# -gt 0 ] && shift
    app=("$@")
    case "$role" in
        frontend) eal=(--lcores '0@0,1@1' --single-file-segments "${eal[@]}") ;;
        backend) eal=(--lcores '0@1,1@0' "${eal[@]}") ;;
        *) fail "tp_start: unknown role $role" ;;
    esac
    E2E_FP_SEQ=$((E2E_FP_SEQ + 1))
    local prefix="vn$$_${E2E_FP_SEQ}_$name"
    local fifo="$E2E_TMP/$name.$E2E_FP_SEQ.stdin"
    mkfifo "$fifo" || fail "mkfifo $fifo"
    local fd
    # Read-write open does not block and keeps the fifo open while we hold it.
    exec {fd}<>"$fifo"
    local logf="$E2E_TMP/$name.$E2E_FP_SEQ.log"
    BG_STDIN=$fifo bg_start "$name" "$logf" \
        stdbuf -oL -eL "$TESTPMD" "${eal[@]}" --file-prefix "$prefix" --in-memory --no-pci -m "${TP_MEM:-512}" \
        ${TP_EAL_EXTRA[@]+"${TP_EAL_EXTRA[@]}"} \
        -- -i --total-num-mbufs=16384 "${app[@]}"
    TP_FD[$name]=$fd
    E2E_FIFO_FDS+=("$fd")
    log "testpmd $name ($role, pid ${BG_PID[$name]}): ${eal[*]}"
    return 0
}

# tp_wait_ready NAME SECS: waits for the interactive prompt; fails on probe errors.
tp_wait_ready() {
    local name=$1 secs=${2:-20} logf=${BG_LOG[$1]} r=0
    wait_for_log "$logf" 'testpmd> ' "$secs" "${BG_PID[$name]}" || r=$?
    local bad='No probed ethernet devices|failed to initialize|Failed to setup backend|Cannot init|EAL: Error|Too many memory regions|Start ports failed'
    if grep -Eq "$bad" "$logf"; then
        fail "testpmd $name failed to start: $(grep -Em1 "$bad" "$logf")"
    fi
    case $r in
        0) return 0 ;;
        2) fail "testpmd $name exited during start-up" ;;
        *) fail "testpmd $name not ready after ${secs}s" ;;
    esac
}

tp_cmd() {
    local name=$1; shift
    local fd=${TP_FD[$name]:-}
    [ -n "$fd" ] || fail "tp_cmd: no testpmd named $name"
    local c
    for c in "$@"; do
        [ "$E2E_VERBOSE" = 1 ] && log "testpmd $name> $c"
        printf '%s\n' "$c" >&"$fd" || fail "cannot write to testpmd $name's stdin"
    done
}

E2E_SYNC_SEQ=0
# tp_sync NAME [SECS]: writes a comment line "#sync-N" and waits until testpmd has
# echoed it, i.e. until every command written before it has been executed and printed.
tp_sync() {
    local name=$1 secs=${2:-10}
    # Unique even when called from a $(...) subshell, where a counter would not advance.
    E2E_SYNC_SEQ=$((E2E_SYNC_SEQ + 1))
    local tag="#sync-$BASHPID-$E2E_SYNC_SEQ-$(now_ns)"
    tp_cmd "$name" "$tag"
    local r=0
    wait_for_log "${BG_LOG[$name]}" "^testpmd> ${tag}[[:space:]]*\$" "$secs" "${BG_PID[$name]}" || r=$?
    case $r in
        0) return 0 ;;
        2) fail "testpmd $name exited (waiting for it to execute its commands)" ;;
        *) fail "testpmd $name did not execute its commands within ${secs}s" ;;
    esac
}

# tp_show_stats NAME: prints "show port stats all" and waits until it is in the log.
tp_show_stats() { tp_cmd "$1" "show port stats all"; tp_sync "$1" "${2:-10}"; }

# tp_stop_fwd NAME: "stop" (prints the forward statistics) and waits for it.
tp_stop_fwd() { tp_cmd "$1" stop; tp_sync "$1" "${2:-10}"; }

# tp_quit NAME [SECS]: prints port stats, quits; signals if it hangs. 0 if it quit by itself.
tp_quit() {
    local name=$1 secs=${2:-15} pid=${BG_PID[$1]}
    if _alive "$pid"; then
        tp_cmd "$name" stop "show port stats all" quit 2>/dev/null
    fi
    local r=0
    if ! wait_exit "$pid" "$secs"; then
        log "testpmd $name did not quit within ${secs}s; signalling"
        stop_pid "$pid" 5
        r=1
    fi
    _tp_close_fd "$name"
    return $r
}

# tp_kill NAME: SIGKILL (simulated crash).
tp_kill() {
    local name=$1 pid=${BG_PID[$1]}
    kill_pid_hard "$pid" || fail "could not kill testpmd $name (pid $pid)"
    _tp_close_fd "$name"
}

_tp_close_fd() {
    local name=$1 fd=${TP_FD[$1]:-}
    [ -n "$fd" ] || return 0
    eval "exec $fd>&-" 2>/dev/null
    unset "TP_FD[$name]"
    local keep=() f
    for f in "${E2E_FIFO_FDS[@]}"; do [ "$f" = "$fd" ] || keep+=("$f"); done
    E2E_FIFO_FDS=(${keep[@]+"${keep[@]}"})
}

# tp_stat_file LOG PORT FIELD [nic|fwd]: value of FIELD (e.g. RX-packets, TX-packets,
# TX-dropped, RX-bytes) in the LAST "NIC statistics for port PORT" (nic, default) or
# "Forward statistics for port PORT" (fwd) block of a testpmd log. Empty if absent.
tp_stat_file() {
    local logf=$1 port=$2 field=$3 kind=${4:-nic} hdr
    case "$kind" in
        nic) hdr="NIC statistics for port $port " ;;
        fwd) hdr="Forward statistics for port $port " ;;
        *) echo ""; return 1 ;;
    esac
    sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$logf" | awk -v hdr="$hdr" -v field="$field" '
        index($0, hdr) { inblk = 1; next }
        inblk && /(Forward|NIC) statistics for port|^ *(#####|-----|\+\+\+\+\+)/ { inblk = 0 }
        inblk {
            n = split($0, w, /[ \t]+/)
            for (i = 1; i < n; i++) if (w[i] == field ":") { val = w[i + 1] }
        }
        END { if (val != "") print val }'
}
tp_stat() { tp_stat_file "${BG_LOG[$1]}" "$2" "$3" "${4:-nic}"; }

# shellcheck shell=bash
# Shared helpers for the vhost-notify end-to-end tests and benchmarks.
#
# Source it from a bash script:   . "$(dirname "$0")/lib.sh"   (or the bench's path)
#
# What it provides
#   log / pass / fail / skip       messages; exit 0 / 1 / 77 (skip only when something is absent)
#   e2e_parse_common_args "$@"     --backend PATH (or "dpdk" for testpmd net_vhost as stand-in),
#                                  --keep (keep the temp dir), --verbose
#   e2e_require_tools              dpdk-testpmd, python3, ... present, else skip
#   e2e_setup_hugepages [PAGES]    reserve 2 MiB hugepages (idempotent), mount hugetlbfs
#   e2e_tmpdir                     creates $E2E_TMP (removed by the EXIT trap)
#   bg_start NAME LOG CMD...       starts a tracked background process; pid in BG_PID[NAME]
#   wait_for_socket PATH SECS      waits until PATH is a listening-socket file
#   wait_exit PID SECS             waits (bounded) for a child to exit; status in WAIT_RC
#   stop_pid PID [SECS]            SIGINT, bounded wait, then SIGTERM/SIGKILL
#   tp_start NAME ROLE VDEV... -- APPARGS...   testpmd, interactive, driven through a fifo
#   tp_wait_ready NAME SECS        waits for the prompt (fails on probe errors)
#   tp_cmd NAME "cmd" ...          writes commands to testpmd's stdin
#   tp_sync NAME                   waits until testpmd has executed everything written so far
#   tp_stop_fwd / tp_show_stats NAME   "stop" / "show port stats all", synchronously
#   tp_kill NAME                   SIGKILL (a crashing frontend)
#   tp_quit NAME [SECS]            stop / show port stats all / quit, bounded, then signals
#   tp_stat NAME PORT FIELD [nic|fwd]   counter from testpmd's log (last block of that port)
#   vn_final LOG PORT FIELD        counter from a vhost-notify "final port=..." line
#   vn_stats_last LOG PORT FIELD   counter from the last periodic "stats port=..." line
#   be_start MODE SOCKS... / be_stop / be_counter PORT FIELD
#                                  the backend under test: vhost-notify or the net_vhost stand-in
#   fd_count PID                   number of open fds of a process
#
# Everything started through bg_start/tp_start/be_start is killed by pid by the EXIT
# trap and the temp dir is removed, whatever way the script ends (E2E_KEEP=1 or --keep
# keeps it; E2E_KEEP_ON_FAIL=1 keeps it only when the test fails). Helpers that start or
# reap processes must run in the script's own shell, never inside $(...).

set -u -o pipefail

E2E_NAME=${E2E_NAME:-$(basename "$0" .sh)}
E2E_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_REPO_ROOT=$(cd "$E2E_LIB_DIR/../.." && pwd)
PCAPTOOL=${PCAPTOOL:-$E2E_REPO_ROOT/tools/pcap/pcaptool.py}
TESTPMD=${TESTPMD:-dpdk-testpmd}
if [ -z "${PYTHON:-}" ]; then
    if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi

BACKEND=""          # path of vhost-notify, or "dpdk" for the net_vhost stand-in
E2E_KEEP=${E2E_KEEP:-0}
E2E_VERBOSE=${E2E_VERBOSE:-0}
E2E_TMP=""
E2E_RESULT_SET=0

declare -A BG_PID=()     # name -> pid
declare -A BG_LOG=()     # name -> log file
declare -A TP_FD=()      # testpmd name -> fd of its stdin fifo (write end)
BG_ORDER=()              # names in start order
E2E_FIFO_FDS=()

# ---------------------------------------------------------------- messages

log() { printf '[%s %s] %s\n' "$E2E_NAME" "$(date +%H:%M:%S.%3N)" "$*"; }

_dump_logs() {
    local n
    for n in "${BG_ORDER[@]}"; do
        local f=${BG_LOG[$n]:-}
        [ -n "$f" ] && [ -f "$f" ] || continue
        echo "----- last lines of $n log ($f) -----"
        tail -n "${E2E_LOG_LINES:-25}" "$f" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g'
    done
}

pass() { E2E_RESULT_SET=1; log "PASS: $*"; exit 0; }
fail() { E2E_RESULT_SET=1; log "FAIL: $*"; _backend_final_on_fail; _dump_logs; exit 1; }

# On failure, stop a running vhost-notify with SIGINT first so that its "final" counters
# are in the log dump.
_backend_final_on_fail() {
    [ "${BE_KIND:-}" = vhost-notify ] || return 0
    local pid=${BG_PID[${BE_NAME:-backend}]:-}
    [ -n "$pid" ] && _alive "$pid" || return 0
    kill -INT "$pid" 2>/dev/null
    wait_exit "$pid" 5 || true
}
skip() { E2E_RESULT_SET=1; log "SKIP: $*"; exit 77; }

# check COND-DESCRIPTION: runs "$@" as a test, fails with the description if false.
expect() {
    local what=$1; shift
    if "$@"; then log "ok: $what"; else fail "$what"; fi
}

# ---------------------------------------------------------------- cleanup

_e2e_cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    local n pid
    # Close the fifos first: an interactive testpmd reads EOF and quits on its own.
    for n in "${!TP_FD[@]}"; do
        eval "exec ${TP_FD[$n]}>&-" 2>/dev/null || true
    done
    # Newest first: frontends before the backend they are attached to.
    local i
    for ((i = ${#BG_ORDER[@]} - 1; i >= 0; i--)); do
        n=${BG_ORDER[$i]}
        pid=${BG_PID[$n]:-}
        [ -n "$pid" ] || continue
        if _alive "$pid"; then
            [ "$E2E_VERBOSE" = 1 ] && log "cleanup: stopping $n (pid $pid)"
            stop_pid "$pid" 5
        else
            wait "$pid" 2>/dev/null
        fi
    done
    if [ -n "$E2E_TMP" ] && [ -d "$E2E_TMP" ]; then
        if [ "$E2E_KEEP" = 1 ] || { [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ "${E2E_KEEP_ON_FAIL:-0}" = 1 ]; }; then
            log "keeping $E2E_TMP"
        else
            rm -rf "$E2E_TMP"
        fi
    fi
    # Status 2 is a usage error (message already printed).
    if [ "$E2E_RESULT_SET" = 0 ] && [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
        log "FAIL: script ended unexpectedly (status $rc)"
    fi
    exit "$rc"
}
trap _e2e_cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# ---------------------------------------------------------------- arguments, tools

e2e_usage_common() {
    cat <<EOF
  --backend PATH   vhost-notify binary under test; "dpdk" runs testpmd net_vhost as a stand-in
  --keep           keep the temporary directory (logs, pcaps)
  --verbose        more output
EOF
}

# Parses the common options; unknown ones are left in E2E_ARGS for the script.
e2e_parse_common_args() {
    E2E_ARGS=()
    while [ $# -gt 0 ]; do
        case "$1" in
            --backend) [ $# -ge 2 ] || { echo "--backend needs a value" >&2; exit 2; }
                       BACKEND=$2; shift 2 ;;
            --backend=*) BACKEND=${1#--backend=}; shift ;;
            --keep) E2E_KEEP=1; shift ;;
            --verbose) E2E_VERBOSE=1; shift ;;
            *) E2E_ARGS+=("$1"); shift ;;
        esac
    done
    if [ -z "$BACKEND" ]; then
        echo "usage: $0 --backend PATH_TO_vhost-notify|dpdk [options]" >&2
        e2e_usage_common >&2
        exit 2
    fi
    if [ "$BACKEND" != dpdk ]; then
        [ -e "$BACKEND" ] || skip "backend binary $BACKEND does not exist (not built?)"
        [ -x "$BACKEND" ] || fail "backend $BACKEND is not executable"
        BACKEND=$(cd "$(dirname "$BACKEND")" && pwd)/$(basename "$BACKEND")
    fi
}

backend_is_dpdk() { [ "$BACKEND" = dpdk ]; }

e2e_require_tools() {
    command -v "$TESTPMD" >/dev/null 2>&1 ||
        skip "$TESTPMD not found (Debian package dpdk; see scripts/install-deps.sh)"
    command -v "$PYTHON" >/dev/null 2>&1 || skip "$PYTHON not found"
    command -v stdbuf >/dev/null 2>&1 || skip "stdbuf (coreutils) not found"
    [ -f "$PCAPTOOL" ] || skip "pcaptool not found at $PCAPTOOL"
    if [ "${1:-}" = taskset ] || [ -n "$BE_TASKSET" ]; then
        command -v taskset >/dev/null 2>&1 || skip "taskset (util-linux) not found"
    fi
    # The PMDs testpmd needs are loaded from DPDK's plugin directory.
    local d
    d=$(ls -d /usr/lib/*/dpdk/pmds-* 2>/dev/null | head -n1)
    if [ -n "$d" ]; then
        local pmd
        for pmd in net_virtio net_vhost net_pcap mempool_ring; do
            ls "$d"/librte_"$pmd".so* >/dev/null 2>&1 ||
                skip "DPDK PMD librte_$pmd missing in $d (install librte-${pmd//_/-}23)"
        done
    fi
}

e2e_tmpdir() {
    E2E_TMP=$(mktemp -d "/tmp/vn-${E2E_NAME}.XXXXXX") || fail "mktemp failed"
    [ "$E2E_VERBOSE" = 1 ] && log "temp dir $E2E_TMP"
}

# ---------------------------------------------------------------- hugepages

# e2e_setup_hugepages [PAGES]   (2 MiB pages; default 1024 = 2 GiB)
# Idempotent: only raises nr_hugepages, mounts /dev/hugepages if not mounted.
e2e_setup_hugepages() {
    local want=${1:-1024}
    local sys=/sys/kernel/mm/hugepages/hugepages-2048kB
    [ -d "$sys" ] || skip "no 2 MiB hugepage support in this kernel ($sys absent)"
    local cur free
    cur=$(cat "$sys/nr_hugepages")
    if [ "$cur" -lt "$want" ]; then
        if [ "$(id -u)" -ne 0 ]; then
            skip "needs $want 2 MiB hugepages (have $cur) and root to reserve them; run as root or: echo $want > $sys/nr_hugepages"
        fi
        echo "$want" > "$sys/nr_hugepages" 2>/dev/null ||
            fail "could not write $want to $sys/nr_hugepages"
        cur=$(cat "$sys/nr_hugepages")
        [ "$cur" -ge "$want" ] ||
            fail "asked for $want hugepages, the kernel gave $cur (memory fragmented or too small?)"
        log "reserved $cur hugepages of 2 MiB"
    fi
    if ! mountpoint -q /dev/hugepages 2>/dev/null; then
        if [ "$(id -u)" -ne 0 ]; then
            skip "/dev/hugepages is not mounted and mounting it needs root"
        fi
        mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages ||
            fail "could not mount hugetlbfs on /dev/hugepages"
        log "mounted hugetlbfs on /dev/hugepages"
    fi
    free=$(cat "$sys/free_hugepages")
    [ "$free" -ge 256 ] || fail "only $free free 2 MiB hugepages (another DPDK process running?)"
}

# ---------------------------------------------------------------- processes

_alive() {
    # kill -0 succeeds on zombies: look at the state too.
    local pid=$1 st
    kill -0 "$pid" 2>/dev/null || return 1
    st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
    [ "$st" != Z ]
}

# _exited_fail PID WHAT: reaps an exited child (in this shell) and fails with its status.
_exited_fail() {
    local rc
    wait "$1" 2>/dev/null
    rc=$?
    fail "$2 (exit status $rc$([ "$rc" -gt 128 ] && echo ", signal $((rc - 128))"))"
}

# bg_start NAME LOG CMD...   (stdin /dev/null unless BG_STDIN is set)
bg_start() {
    local name=$1 logf=$2; shift 2
    local stdin=${BG_STDIN:-/dev/null}
    local fds="${E2E_FIFO_FDS[*]:-}"
    (
        # Do not leak the fifo write ends into children (they would keep other
        # testpmds' stdin open and show up in fd counts).
        for fd in $fds; do eval "exec $fd>&-"; done
        exec "$@"
    ) <"$stdin" >"$logf" 2>&1 &
    BG_PID[$name]=$!
    BG_LOG[$name]=$logf
    BG_ORDER+=("$name")
    [ "$E2E_VERBOSE" = 1 ] && log "started $name (pid ${BG_PID[$name]}): $*"
    return 0
}

# wait_exit PID SECS: 0 if it exited (WAIT_RC = its status), 1 on timeout.
wait_exit() {
    local pid=$1 secs=$2 deadline
    deadline=$(( $(date +%s%N) + secs * 1000000000 ))
    while _alive "$pid"; do
        [ "$(date +%s%N)" -lt "$deadline" ] || return 1
        sleep 0.05
    done
    wait "$pid" 2>/dev/null
    WAIT_RC=$?
    return 0
}

# stop_pid PID [SECS]: SIGINT, wait; SIGTERM, wait; SIGKILL. Sets STOP_HOW (exited,
# sigint, sigterm, sigkill) and WAIT_RC; returns 0 if it ended by SIGINT or before.
# Call it directly, not in $(...): only this shell can reap its children.
stop_pid() {
    local pid=$1 secs=${2:-10}
    WAIT_RC=""
    if ! _alive "$pid"; then
        wait "$pid" 2>/dev/null
        WAIT_RC=$?
        STOP_HOW=exited
        return 0
    fi
    kill -INT "$pid" 2>/dev/null
    if wait_exit "$pid" "$secs"; then STOP_HOW=sigint; return 0; fi
    kill -TERM "$pid" 2>/dev/null
    if wait_exit "$pid" 3; then STOP_HOW=sigterm; return 1; fi
    kill -KILL "$pid" 2>/dev/null
    wait_exit "$pid" 3
    STOP_HOW=sigkill
    return 1
}

# kill_pid_hard PID: SIGKILL and reap.
kill_pid_hard() {
    local pid=$1
    kill -KILL "$pid" 2>/dev/null
    wait_exit "$pid" 5 || return 1
    return 0
}

# wait_for_socket PATH SECS [PID]: 0 when PATH is a socket; 1 on timeout; 2 if PID exited.
wait_for_socket() {
    local path=$1 secs=${2:-10} pid=${3:-} deadline
    deadline=$(( $(date +%s%N) + secs * 1000000000 ))
    until [ -S "$path" ]; do
        if [ -n "$pid" ] && ! _alive "$pid"; then return 2; fi
        [ "$(date +%s%N)" -lt "$deadline" ] || return 1
        sleep 0.05
    done
    return 0
}

# wait_for_log FILE REGEX SECS [PID]: waits until FILE has a line matching the ERE;
# returns 2 early if PID is given and has exited.
wait_for_log() {
    local f=$1 re=$2 secs=$3 pid=${4:-} deadline
    deadline=$(( $(date +%s%N) + secs * 1000000000 ))
    until grep -Eq -- "$re" "$f" 2>/dev/null; do
        if [ -n "$pid" ] && ! _alive "$pid"; then return 2; fi
        [ "$(date +%s%N)" -lt "$deadline" ] || return 1
        sleep 0.05
    done
    return 0
}

fd_count() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

# wait_fd_count PID EXPECTED SECS: polls until the fd count equals EXPECTED.
wait_fd_count() {
    local pid=$1 want=$2 secs=$3 deadline
    deadline=$(( $(date +%s%N) + secs * 1000000000 ))
    while [ "$(fd_count "$pid")" -ne "$want" ]; do
        [ "$(date +%s%N)" -lt "$deadline" ] || return 1
        sleep 0.1
    done
    return 0
}

now_ns() { date +%s%N; }

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

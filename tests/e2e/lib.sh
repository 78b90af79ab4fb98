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

. "$E2E_LIB_DIR/lib_testpmd.sh"
. "$E2E_LIB_DIR/lib_backend.sh"

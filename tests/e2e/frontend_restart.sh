#!/usr/bin/env bash
# e2e: the backend survives frontends that crash (SIGKILL) and reconnect, leaks no fds,
# and carries traffic after every reconnect; in client mode it reconnects by itself.
#
#   frontend_restart.sh --backend PATH_TO_vhost-notify [--cycles N] [--no-client] [--keep] [--verbose]
#   (--backend dpdk: testpmd net_vhost rxonly as stand-in; client part uses net_vhost client=1)
#
# Server part (vhost-notify --mode sink --socket-path S):
#   the backend's fd count is taken before any frontend connects. Then N times:
#   start testpmd virtio-user txonly, send 1 s, stop, read TX-packets (must exceed the
#   256-entry ring, which proves the backend consumed frames on this connection), start
#   sending again and SIGKILL testpmd in the middle of the traffic; the backend must stay
#   alive and its fd count must come back to the first value within 5 s.
#   A last frontend quits cleanly (fd count checked again). The final rx_pkts must be at
#   least the sum of the TX-packets read in the cycles (plus what was sent before each kill).
# Loopback part: vhost-notify --mode loopback, testpmd flowgen; twice: frames come back,
#   then SIGKILL during traffic; the backend survives and its fd count returns.
# Client part (vhost-notify --mode sink --client C):
#   testpmd virtio-user server=1 creates C, vhost-notify connects; traffic; testpmd is
#   SIGKILLed, its stale socket removed and a new testpmd server started on the same path;
#   vhost-notify must reconnect within 30 s and traffic flows again. Here nothing is sent
#   before the kill, so rx_pkts must equal the sum of TX-packets exactly.
. "$(dirname "$0")/lib.sh"

CYCLES=3
CLIENT=1
e2e_parse_common_args "$@"
set -- ${E2E_ARGS[@]+"${E2E_ARGS[@]}"}
while [ $# -gt 0 ]; do
    case "$1" in
        --cycles) CYCLES=$2; shift 2 ;;
        --no-client) CLIENT=0; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
RING=256   # virtio-user's default queue size

e2e_require_tools
e2e_setup_hugepages 1024
e2e_tmpdir
T=$E2E_TMP

# traffic_burst NAME SECS: txonly for SECS, stop, let the backend drain; TX-packets -> $BURST_TX.
traffic_burst() {
    local name=$1 secs=$2
    tp_cmd "$name" start
    sleep "$secs"
    tp_stop_fwd "$name"
    sleep 0.3
    tp_show_stats "$name"
    BURST_TX=$(tp_stat "$name" 0 TX-packets)
}

# ---------------------------------------------------------------- server mode
SOCK=$T/vn0.sock
log "server part: backend ($BACKEND) in sink mode on $SOCK, $CYCLES crash cycles"
be_start sink --socket-path "$SOCK"
BPID=$(be_pid)
sleep 0.3
FD0=$(fd_count "$BPID")
log "backend pid $BPID has $FD0 open fds before any frontend connected"

SUM=0
for ((c = 1; c <= CYCLES; c++)); do
    name=fe$c
    tp_start "$name" frontend "net_virtio_user0,path=$SOCK,queues=1" -- --forward-mode=txonly
    tp_wait_ready "$name" 30
    traffic_burst "$name" 1; tx=$BURST_TX
    is_uint "$tx" || fail "cycle $c: could not read testpmd's TX-packets"
    fdc=$(fd_count "$BPID")
    log "cycle $c: connected, testpmd sent $tx frames; backend has $fdc fds"
    [ "$tx" -gt "$RING" ] ||
        fail "cycle $c: testpmd could send only $tx frames (ring of $RING never drained: backend not processing after reconnect)"
    SUM=$((SUM + tx))
    tp_cmd "$name" start
    sleep 0.5
    log "cycle $c: SIGKILL testpmd (pid ${BG_PID[$name]}) during traffic"
    tp_kill "$name"
    if ! wait_fd_count "$BPID" "$FD0" 5; then
        _alive "$BPID" || _exited_fail "$BPID" "cycle $c: backend died after the frontend was killed"
        fail "cycle $c: backend has $(fd_count "$BPID") fds 5 s after the frontend died, $FD0 before the first connect (fd leak)"
    fi
    _alive "$BPID" || _exited_fail "$BPID" "cycle $c: backend died after the frontend was killed"
    log "ok: cycle $c: backend alive, fd count back to $FD0"
done

name=fe_last
tp_start "$name" frontend "net_virtio_user0,path=$SOCK,queues=1" -- --forward-mode=txonly
tp_wait_ready "$name" 30
traffic_burst "$name" 1; tx=$BURST_TX
is_uint "$tx" && [ "$tx" -gt "$RING" ] || fail "after $CYCLES crashes: testpmd could send only '$tx' frames"
SUM=$((SUM + tx))
tp_quit "$name" || fail "last frontend did not quit"
wait_fd_count "$BPID" "$FD0" 5 ||
    fail "backend has $(fd_count "$BPID") fds after a clean disconnect, $FD0 before the first connect"
log "ok: clean disconnect, fd count back to $FD0"
be_stop
be_summary
RX=$(be_counter 0 rx_pkts)
is_uint "$RX" || fail "could not read the backend's rx_pkts"
[ "$RX" -ge "$SUM" ] ||
    fail "backend rx_pkts=$RX < $SUM frames testpmd had sent before the kills (frames lost or counters reset on reconnect)"
log "ok: server part: rx_pkts=$RX >= $SUM frames counted by the frontends"

# ---------------------------------------------------------------- loopback crash
# The backend writes into the RX ring of a frontend that dies: it must notice, unmap and
# go on serving the next one.
LSOCK=$T/vn-loop.sock
log "loopback part: backend in loopback mode on $LSOCK, SIGKILL during flowgen"
BE_NAME=backend_loop
be_start loopback --socket-path "$LSOCK"
LPID=$(be_pid)
sleep 0.3
LFD0=$(fd_count "$LPID")
for name in lfe1 lfe2; do
    tp_start "$name" frontend "net_virtio_user0,path=$LSOCK,queues=1" -- --forward-mode=flowgen
    tp_wait_ready "$name" 30
    tp_cmd "$name" start
    sleep 1
    tp_stop_fwd "$name"
    tp_show_stats "$name"
    lrx=$(tp_stat "$name" 0 RX-packets)
    is_uint "$lrx" && [ "$lrx" -gt 0 ] || fail "loopback: frontend $name received nothing back ('$lrx')"
    log "loopback: $name got $lrx frames back; SIGKILL during traffic"
    tp_cmd "$name" start
    sleep 0.5
    tp_kill "$name"
    if ! wait_fd_count "$LPID" "$LFD0" 5; then
        _alive "$LPID" || _exited_fail "$LPID" "loopback: backend died after the frontend was killed"
        fail "loopback: backend has $(fd_count "$LPID") fds 5 s after the frontend died, $LFD0 before"
    fi
done
be_stop
be_summary
log "ok: loopback part: 2 SIGKILLs during flowgen, backend alive, fds back to $LFD0"

if [ "$CLIENT" = 0 ]; then
    pass "server mode: $CYCLES SIGKILL/reconnect cycles, no fd leak, traffic after each reconnect; loopback crash ok"
fi

# ---------------------------------------------------------------- client mode
CSOCK=$T/fe-server.sock
log "client part: testpmd virtio-user server=1 on $CSOCK, backend --client"
BE_NAME=backend_client
tp_start srv1 frontend "net_virtio_user0,path=$CSOCK,queues=1,server=1" -- --forward-mode=txonly
wait_for_socket "$CSOCK" 20 || fail "testpmd (server=1) did not create $CSOCK"
be_start sink --client "$CSOCK"
# testpmd's probe waits for the backend to connect before it shows its prompt.
tp_wait_ready srv1 30
traffic_burst srv1 1; tx1=$BURST_TX
is_uint "$tx1" && [ "$tx1" -gt "$RING" ] || fail "client mode: testpmd could send only '$tx1' frames"
log "client mode: first server session, testpmd sent $tx1 frames; SIGKILL it"
tp_kill srv1
rm -f "$CSOCK"   # a killed server leaves its socket file behind; a supervisor would remove it
sleep 1          # the backend notices and starts reconnecting (refused / no such file)
_alive "$(be_pid)" || _exited_fail "$(be_pid)" "client mode: backend died when the frontend server was killed"
tp_start srv2 frontend "net_virtio_user0,path=$CSOCK,queues=1,server=1" -- --forward-mode=txonly
wait_for_socket "$CSOCK" 20 || fail "the second testpmd (server=1) did not create $CSOCK"
t0=$(now_ns)
tp_wait_ready srv2 30
log "client mode: backend reconnected after $(( ($(now_ns) - t0) / 1000000 )) ms"
traffic_burst srv2 1; tx2=$BURST_TX
is_uint "$tx2" && [ "$tx2" -gt "$RING" ] || fail "client mode: after reconnect testpmd could send only '$tx2' frames"
tp_quit srv2 || fail "testpmd server 2 did not quit"
sleep 0.3
be_stop
be_summary
CRX=$(be_counter 0 rx_pkts)
is_uint "$CRX" || fail "could not read the client backend's rx_pkts"
[ "$CRX" -eq $((tx1 + tx2)) ] ||
    fail "client mode: backend rx_pkts=$CRX != $tx1 + $tx2 frames testpmd sent in its two sessions"
pass "server: $CYCLES SIGKILL cycles, fds back to $FD0 each time, rx_pkts=$RX >= $SUM; client: reconnected, rx_pkts=$CRX == $tx1 + $tx2"

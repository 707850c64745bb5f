#!/usr/bin/env bash
# The broker's WebSocket frontend (ZWS 2.0), measured on this machine:
#   1. load: requests/s and p50/p99 over WebSocket against TCP through the SAME broker process (one broker with
#      both --frontend and --websocket, the same worker host with WORKERS slots, typed echo route: service game,
#      cmd 5, SIZE-byte MessagePack payload), the same clients x in-flight, interleaved (the order alternates per
#      repetition), compared by ratio within the run. TCP: `ZmqGame.Bench load` (the client library over ZeroMQ);
#      WebSocket: `ZmqGame.Bench ws-load` (ClientWebSocket, bare ZWS2.0 subprotocol, the same ZGC01 session requests
#      and heartbeats as the client library). Every request is counted: ok, named error status, unanswered.
#   2. sessions: SESSIONS ZmqGame sessions over WebSocket (one ZWS connection each, HELLO -> WELCOME) held open
#      against a fresh broker by PROCS `ZmqGame.Bench ws-sessions` processes (a process may hold 20,000 files),
#      each heartbeating every HEARTBEAT_MS as the client library does (the broker's session timeout: 4 intervals,
#      at least 10 s): the broker's RSS before and after (per
#      session), its CPU over IDLE seconds before them and again with them open (/proc/PID/stat), then every heartbeat's answer counted.
#
# Usage:  bash bench/run-websocket.sh      (about 4 minutes with the defaults)
# Knobs (environment):
#   DUR=5 WARM=1 SIZE=64 REPS=2 LOADS="8x1 64x1" WORKERS=8     load: measured s, warm-up s, payload, repetitions, CxD
#   SESSIONS=10000 PROCS=2 IDLE=10 HEARTBEAT_MS=2500            sessions: count, generator processes, idle window s
#   ONLY="load sessions"                                        the parts to run
#   RESULTS=bench/results/websocket ART=bench/.artifacts UPDATE_DOCS=1 (0: leave docs/performance.md alone)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RESULTS=${RESULTS:-$ROOT/bench/results/websocket}
ART=${ART:-$ROOT/bench/.artifacts}
UPDATE_DOCS=${UPDATE_DOCS:-1}
DUR=${DUR:-5}
WARM=${WARM:-1}
SIZE=${SIZE:-64}
REPS=${REPS:-2}
WORKERS=${WORKERS:-8}
LOADS=${LOADS:-"8x1 64x1"}
SESSIONS=${SESSIONS:-10000}
PROCS=${PROCS:-2}
IDLE=${IDLE:-10}
HEARTBEAT_MS=${HEARTBEAT_MS:-2500}
ONLY=${ONLY:-"load sessions"}
PY=${PY:-/usr/bin/python3}
HOST=127.0.0.1
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)

ulimit -n "$(ulimit -Hn)" 2>/dev/null
PER_PROC=$(( (SESSIONS + PROCS - 1) / PROCS ))
if [ "$(ulimit -n)" != unlimited ] && { [ "$(ulimit -n)" -lt $((SESSIONS + 1000)) ] || [ "$(ulimit -n)" -lt $((PER_PROC + 1000)) ]; }; then
  echo "open-file limit $(ulimit -n) is below SESSIONS+1000 (the broker) or SESSIONS/PROCS+1000 (a generator)" >&2; exit 1
fi

. "$ROOT/bench/procs.sh"
. "$ROOT/bench/build.sh"
build_release broker/ZmqGame.Broker worker/ZmqGame.Worker.Host bench/ZmqGame.Bench
BROKER_DLL=$ART/bin/ZmqGame.Broker/release/ZmqGame.Broker.dll
WORKER_DLL=$ART/bin/ZmqGame.Worker.Host/release/ZmqGame.Worker.Host.dll
BENCH_DLL=$ART/bin/ZmqGame.Bench/release/ZmqGame.Bench.dll
for f in "$BROKER_DLL" "$WORKER_DLL" "$BENCH_DLL"; do [ -f "$f" ] || { echo "missing build output $f" >&2; exit 1; }; done

mkdir -p "$RESULTS"
RUNDIR=$(cd "$RESULTS" && pwd)/$(date +%Y%m%d-%H%M%S)
mkdir -p "$RUNDIR"
{
  echo "date: $(date -Is)"
  echo "host: $(uname -srm), $NCPU cpus,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
  echo "dotnet: $(dotnet --version)"
  echo "command: bench/run-websocket.sh (ONLY=\"$ONLY\" LOADS=\"$LOADS\" DUR=$DUR WARM=$WARM REPS=$REPS SIZE=$SIZE WORKERS=$WORKERS SESSIONS=$SESSIONS PROCS=$PROCS IDLE=$IDLE HEARTBEAT_MS=$HEARTBEAT_MS)"
  echo "zmqgame: $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')"
} | tee "$RUNDIR/env.txt"

cpu_ticks() { local f; f=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }; set -- $f; echo $(( ${12} + ${13} )); }
rss_kb() { awk '/^VmRSS:/{print $2}' "/proc/$1/status"; }
# wait_line FILE REGEX PID SECONDS: until FILE has a line matching REGEX; fails if PID exits first or time runs out.
wait_line() { local i; for i in $(seq $(( $4 * 10 ))); do grep -qE "$2" "$1" 2>/dev/null && return 0; kill -0 "$3" 2>/dev/null || { grep -qE "$2" "$1" 2>/dev/null; return; }; sleep 0.1; done; return 1; }
wait_workers() { # PORT N PID
  local i n=0
  for i in $(seq 150); do
    n=$(ss -Htn state established "dport = :$1" | wc -l)
    [ "$n" -ge "$2" ] && return 0
    kill -0 "$3" 2>/dev/null || { echo "  worker process exited" >&2; return 1; }
    sleep 0.1
  done
  echo "  warn: only $n of $2 worker connections after 15 s" >&2; return 1
}
# start_broker TAG: a broker with TCP frontend, backend, control and a WebSocket frontend; sets BROKER FE BE WS.
start_broker() {
  local fe be ct ws
  fe=$(free_port); be=$(free_port); ct=$(free_port); ws=$(free_port)
  FE="tcp://$HOST:$fe"; BE="tcp://$HOST:$be"; WS="ws://$HOST:$ws"
  # A session outlives 4 heartbeat intervals of silence, at least 10 s (the default), as run-sessions.sh sets it.
  local timeout_ms=$(( HEARTBEAT_MS * 4 > 10000 ? HEARTBEAT_MS * 4 : 10000 ))
  start_bg "$RUNDIR/broker.$1.log" dotnet "$BROKER_DLL" "$FE" "$BE" --control "tcp://$HOST:$ct" --websocket "$WS" --session-key-file "" \
    --session-timeout "$(awk -v ms="$timeout_ms" 'BEGIN{printf "00:%02d:%06.3f", int(ms/60000), (ms%60000)/1000}')"
  BROKER=$LASTPID
  if ! wait_line "$RUNDIR/broker.$1.log" "WebSocket frontend listening" "$BROKER" 30 || ! wait_listen "$fe" "$BROKER" || ! wait_listen "$be" "$BROKER"; then
    echo "  broker did not come up; log:" >&2; cat "$RUNDIR/broker.$1.log" >&2; return 1
  fi
}

# ------------------------------------------------------------------------------------------------------ load
: >"$RUNDIR/load.kv"
if [[ " $ONLY " == *" load "* ]]; then
  start_broker load || exit 1
  start_bg "$RUNDIR/worker.load.log" dotnet "$WORKER_DLL" --broker "$BE" --slots "$WORKERS" --service game
  WORKER=$LASTPID
  wait_workers "${BE##*:}" "$WORKERS" "$WORKER" || exit 1
  for rep in $(seq "$REPS"); do
    order="tcp websocket"; [ $((rep % 2)) = 0 ] && order="websocket tcp"
    for load in $LOADS; do
      c=${load%x*}; d=${load#*x}
      for transport in $order; do
        tag="r${rep}_${transport}_c${c}_d${d}"
        if [ "$transport" = tcp ]; then
          dotnet "$BENCH_DLL" load --broker "$FE" -c "$c" -d "$d" -s "$SIZE" -t "${DUR}s" -w "${WARM}s" --service game --cmd 5 \
            --broker-pid "$BROKER" --format kv >"$RUNDIR/$tag.out" 2>"$RUNDIR/$tag.err"
        else
          dotnet "$BENCH_DLL" ws-load --websocket "$WS" -c "$c" -d "$d" -s "$SIZE" -t "$DUR" -w "$WARM" --service game --cmd 5 \
            --broker-pid "$BROKER" >"$RUNDIR/$tag.out" 2>"$RUNDIR/$tag.err"
        fi
        rc=$?
        out=$(tail -n 1 "$RUNDIR/$tag.out")
        if [ $rc -ne 0 ] || [ -z "$out" ]; then echo "  $tag failed (rc=$rc): $(cat "$RUNDIR/$tag.err")" >&2; continue; fi
        echo "rep=$rep transport=$transport ${out#transport=websocket }" >>"$RUNDIR/load.kv"
        printf '  rep %s %-9s %sx%s  rps=%s p50_us=%s p99_us=%s sent=%s ok=%s errors=%s unanswered=%s steal=%s%%\n' "$rep" "$transport" "$c" "$d" \
          "$(kv rps "$out")" "$(kv p50_us "$out")" "$(kv p99_us "$out")" "$(kv sent "$out")" "$(kv ok "$out")" "$(kv errors "$out")" "$(kv unanswered "$out")" "$(kv steal_pct "$out")"
      done
    done
  done
  stop_pid "$WORKER"; stop_pid "$BROKER" 10
fi

# -------------------------------------------------------------------------------------------------- sessions
: >"$RUNDIR/sessions.kv"
if [[ " $ONLY " == *" sessions "* ]]; then
  start_broker sessions || exit 1
  rss0=$(rss_kb "$BROKER")
  # The same broker's CPU over IDLE s before any session: the floor the sessions' idle CPU adds to.
  b0=$(cpu_ticks "$BROKER"); tb0=$(date +%s.%N)
  sleep "$IDLE"   # a measured window (not a wait for readiness)
  b1=$(cpu_ticks "$BROKER"); tb1=$(date +%s.%N)
  base_cpu=$(awk -v c="$((b1 - b0))" -v k="$CLK_TCK" -v t0="$tb0" -v t1="$tb1" 'BEGIN{printf "%.2f", c/k/(t1-t0)*100}')
  STOPFILE=$RUNDIR/sessions.stop; rm -f "$STOPFILE"
  GENS=()
  left=$SESSIONS
  echo "== $SESSIONS WebSocket sessions from $PROCS processes, heartbeat every $HEARTBEAT_MS ms"
  for p in $(seq "$PROCS"); do
    n=$(( left < PER_PROC ? left : PER_PROC )); left=$(( left - n ))
    start_bg "$RUNDIR/sessions.gen$p.out" dotnet "$BENCH_DLL" ws-sessions --websocket "$WS" --sessions "$n" \
      --heartbeat-ms "$HEARTBEAT_MS" --stop-file "$STOPFILE" --hold 600
    GENS+=("$LASTPID")
  done
  ok=1
  for p in $(seq "$PROCS"); do
    wait_line "$RUNDIR/sessions.gen$p.out" "^open " "${GENS[$((p-1))]}" 300 || { echo "  generator $p did not open its sessions: $(cat "$RUNDIR/sessions.gen$p.out")" >&2; ok=0; }
  done
  if [ $ok = 1 ]; then
    rss1=$(rss_kb "$BROKER")
    c0=$(cpu_ticks "$BROKER"); st0=$(steal_ticks); t0=$(date +%s.%N)
    sleep "$IDLE"   # the measured idle window (not a wait for readiness)
    c1=$(cpu_ticks "$BROKER"); st1=$(steal_ticks); t1=$(date +%s.%N)
    touch "$STOPFILE"
    for pid in "${GENS[@]}"; do wait "$pid"; forget_pid "$pid"; done
    opened=0; open_s=0; sent=0; answered=0; alive=0; lost=0; nosess=0
    for p in $(seq "$PROCS"); do
      o=$(grep '^open ' "$RUNDIR/sessions.gen$p.out"); h=$(grep '^held=' "$RUNDIR/sessions.gen$p.out")
      echo "  gen $p: $o | $h"
      opened=$(( opened + $(kv welcomed "$o") )); open_s=$(awk -v a="$open_s" -v b="$(kv open_s "$o")" 'BEGIN{print (b>a)?b:a}')
      sent=$(( sent + $(kv heartbeats_sent "$h") )); answered=$(( answered + $(kv heartbeats_answered "$h") ))
      alive=$(( alive + $(kv alive "$h") )); lost=$(( lost + $(kv lost "$h") )); nosess=$(( nosess + $(kv no_session "$h") ))
    done
    idle_cpu=$(awk -v c="$((c1 - c0))" -v k="$CLK_TCK" -v t0="$t0" -v t1="$t1" 'BEGIN{printf "%.2f", c/k/(t1-t0)*100}')
    steal=$(awk -v a="$st0" -v b="$st1" -v t0="$t0" -v t1="$t1" -v k="$CLK_TCK" -v n="$NCPU" 'BEGIN{printf "%.1f", (b-a)/k/((t1-t0)*n)*100}')
    line="sessions=$SESSIONS procs=$PROCS welcomed=$opened open_s=$open_s rss_before_mb=$(awk -v r="$rss0" 'BEGIN{printf "%.1f", r/1024}') rss_after_mb=$(awk -v r="$rss1" 'BEGIN{printf "%.1f", r/1024}') kb_per_session=$(awk -v a="$rss0" -v b="$rss1" -v n="$opened" 'BEGIN{printf "%.1f", (b-a)/n}') heartbeat_ms=$HEARTBEAT_MS idle_s=$IDLE no_session_cpu_pct=$base_cpu idle_cpu_pct=$idle_cpu heartbeats_sent=$sent heartbeats_answered=$answered alive=$alive lost=$lost no_session=$nosess steal_pct=$steal"
    echo "$line" | tee "$RUNDIR/sessions.kv"
  fi
  stop_all 10
fi

# ----------------------------------------------------------------------------------------------------- table
"$PY" - "$RUNDIR" >"$RUNDIR/table.md" <<'PYEOF'
import statistics, sys
run = sys.argv[1]
def rows(name):
    return [dict(w.split("=", 1) for w in line.split()) for line in open(f"{run}/{name}") if line.strip()]
def med(rs, k):
    v = [float(r[k]) for r in rs if r.get(k, "-") not in ("-", "")]
    return statistics.median(v) if v else float("nan")
env = open(f"{run}/env.txt").read()
load = rows("load.kv")
if load:
    print("| clients × in flight | transport | requests/s | p50 | p99 | WebSocket / TCP requests/s | WebSocket / TCP p99 | broker CPU per 1M requests | sent = ok + errors + unanswered | steal |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    shapes = sorted({(int(r["clients"]), int(r["depth"])) for r in load})
    for c, d in shapes:
        by = {t: [r for r in load if r["transport"] == t and int(r["clients"]) == c and int(r["depth"]) == d] for t in ("tcp", "websocket")}
        for t in ("tcp", "websocket"):
            rs = by[t]
            if not rs:
                continue
            ratio_rps = ratio_p99 = ""
            if t == "websocket" and by["tcp"]:
                ratio_rps = "%.2f" % (med(rs, "rps") / med(by["tcp"], "rps"))
                ratio_p99 = "%.2f" % (med(rs, "p99_us") / med(by["tcp"], "p99_us"))
            counts = " / ".join("%s = %s + %s + %s" % (r["sent"], r["ok"], int(r["errors"]) - int(r["unanswered"]), r["unanswered"]) for r in rs)
            steals = "–".join(sorted({r.get("steal_pct", "-") for r in rs}, key=lambda s: float(s) if s != "-" else 0))
            spread = "%.0f–%.0f" % (min(float(r["rps"]) for r in rs), max(float(r["rps"]) for r in rs)) if len(rs) > 1 else ""
            print("| %d × %d | %s | %.0f%s | %.0f µs | %.0f µs | %s | %s | %.1f s | %s | %s %% |" % (
                c, d, t, med(rs, "rps"), " (%s)" % spread if spread else "", med(rs, "p50_us"), med(rs, "p99_us"), ratio_rps, ratio_p99,
                med(rs, "srv_cpu_per_1m"), counts, steals))
    print()
    print("Medians of %d repetitions (range of requests/s in brackets); the counts are per repetition." % max(int(r["rep"]) for r in load))
    print()
sess = rows("sessions.kv")
if sess:
    s = sess[0]
    print("| WebSocket sessions | generator processes | all welcomed after | broker RSS before → after | per session | broker CPU, no sessions | idle broker CPU with them (heartbeat every %.1f s, %s s) | heartbeats answered | sessions alive at the end | steal |" % (float(s["heartbeat_ms"]) / 1000, s["idle_s"]))
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    print("| %s | %s | %s s | %s → %s MB | %s KB | %s %% of one core | %s %% of one core | %s of %s | %s of %s | %s %% |" % (
        s["welcomed"], s["procs"], s["open_s"], s["rss_before_mb"], s["rss_after_mb"], s["kb_per_session"], s["no_session_cpu_pct"], s["idle_cpu_pct"],
        s["heartbeats_answered"], s["heartbeats_sent"], s["alive"], s["sessions"], s["steal_pct"]))
    print()
print("Run: `%s`, %s." % (env.split("command: ")[1].split("\n")[0], env.split("\n")[0].replace("date: ", "")))
PYEOF
echo
cat "$RUNDIR/table.md"
if [ "$UPDATE_DOCS" = 1 ]; then
  "$PY" "$ROOT/bench/tables.py" splice "$ROOT/docs/performance.md" websocket "$RUNDIR/table.md" && echo "docs/performance.md: websocket section regenerated"
fi
echo "results: $RUNDIR"

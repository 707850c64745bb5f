#!/usr/bin/env bash
# Sessions at scale against the ZmqGame broker process (the C brokers have no sessions to compare with):
#   - memory per idle session: the broker's resident memory before and after opening them (transport included),
#     and the session layer's own managed state per session (measured in-process);
#   - idle CPU: every session heartbeats the broker (default every 2.5 s, the client library's default) for IDLE s;
#   - broadcast: one push to every session through the control endpoint, BROADCASTS times: "handed to the
#     transport" is the broker's own fan-out loop (stats: last_push_fanout_us), "written to the sockets" when the
#     broker's turn that fanned it out had written every copy into the connections' kernel buffers
#     (last_push_written_us: the push has left the broker), "control answer" when the trigger's
#     request was answered (after the fan-out, behind the copies in the transport's queues), "reach" when the last
#     copy arrived at the bench's sockets.
# The sessions are opened by ZmqGame.Bench over a few DEALER sockets, each connected PER_SOCKET times.
#
# Usage:  bash bench/run-sessions.sh      (about 3 minutes with the defaults)
# Knobs:  SESSIONS=10000 PER_SOCKET=100 IDLE=20 BROADCASTS=10 HEARTBEATS_MS="2500 10000" SIZE=64 REPS=1
#         (one broker run per heartbeat interval; its SessionTimeout is 4 heartbeat intervals, at least 10 s)
#         RESULTS=bench/results/sessions ART=bench/.artifacts UPDATE_DOCS=1
#         BROKER_ENV='ZMQGAME_Broker__ListenBacklog=100' runs the broker with extra environment (here: NetMQ's
#         default listen backlog, to see what 10,000 clients connecting at once cost without room for them)
# Profile: PROFILE=1 (PROFILE_S=8) does not measure, it finds where the idle broker's time goes: during the idle
#         phase, `strace -c -f` (system calls per heartbeat answered) and then `perf record -g` (functions by share of
#         broker CPU, .NET frames named through DOTNET_PerfMapEnabled) each attach to the broker for PROFILE_S seconds;
#         then, while broadcasts run back to back (BROADCASTS defaults to 60 here), `perf record -g` again for
#         BROADCAST_PROFILE_S (4) seconds: where a broadcast's time goes.
#         Both slow the broker, so the sessions table is left alone; the profile goes to the sessions-profile section.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RESULTS=${RESULTS:-$ROOT/bench/results/sessions}
ART=${ART:-$ROOT/bench/.artifacts}
UPDATE_DOCS=${UPDATE_DOCS:-1}
SESSIONS=${SESSIONS:-10000}
PER_SOCKET=${PER_SOCKET:-100}
IDLE=${IDLE:-20}
BROADCASTS=${BROADCASTS:-$([ "${PROFILE:-0}" = 1 ] && echo 60 || echo 10)}
BROADCAST_PROFILE_S=${BROADCAST_PROFILE_S:-4}
HEARTBEATS_MS=${HEARTBEATS_MS:-"2500 10000"}
SIZE=${SIZE:-64}
REPS=${REPS:-1}
BROKER_ENV=${BROKER_ENV:-}
PROFILE=${PROFILE:-0}
PROFILE_S=${PROFILE_S:-8}
if [ "$PROFILE" = 1 ]; then
  for tool in strace perf; do command -v $tool >/dev/null || { echo "PROFILE=1 needs $tool" >&2; exit 1; }; done
  IDLE=$(( IDLE > 2 * PROFILE_S + 4 ? IDLE : 2 * PROFILE_S + 4 ))
fi
PY=${PY:-/usr/bin/python3}
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)

# Each session is a TCP connection on both sides: raise the open-file limit as far as allowed.
ulimit -n "$(ulimit -Hn)" 2>/dev/null
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((SESSIONS + 1000)) ]; then
  echo "open-file limit $(ulimit -n) is below SESSIONS+1000; lower SESSIONS or raise the limit" >&2; exit 1
fi

. "$ROOT/bench/build.sh"
build_release broker/ZmqGame.Broker bench/ZmqGame.Bench
BROKER_DLL=$ART/bin/ZmqGame.Broker/release/ZmqGame.Broker.dll
BENCH_DLL=$ART/bin/ZmqGame.Bench/release/ZmqGame.Bench.dll

mkdir -p "$RESULTS"
RUNDIR=$(cd "$RESULTS" && pwd)/$(date +%Y%m%d-%H%M%S)
mkdir -p "$RUNDIR"
{
  echo "date: $(date -Is)"
  echo "host: $(uname -srm), $NCPU cpus,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
  echo "dotnet: $(dotnet --version)"
  echo "command: ${BROKER_ENV:+BROKER_ENV='$BROKER_ENV' }bench/run-sessions.sh (SESSIONS=$SESSIONS PER_SOCKET=$PER_SOCKET IDLE=$IDLE BROADCASTS=$BROADCASTS HEARTBEATS_MS=\"$HEARTBEATS_MS\" SIZE=$SIZE REPS=$REPS$([ "$PROFILE" = 1 ] && echo " PROFILE=1 PROFILE_S=$PROFILE_S"))"
  echo "zmqgame: $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')${BROKER_ENV:+ broker with $BROKER_ENV}"
} | tee "$RUNDIR/env.txt"

. "$ROOT/bench/procs.sh"

: >"$RUNDIR/results.kv"
for rep in $(seq "$REPS"); do
for HEARTBEAT_MS in $HEARTBEATS_MS; do
  FE=$(free_port); BE=$(free_port); CT=$(free_port)
  TIMEOUT_MS=$(( HEARTBEAT_MS * 4 > 10000 ? HEARTBEAT_MS * 4 : 10000 ))
  # Profiling: the bench sends no heartbeats while it broadcasts, and 60 broadcasts under perf outlast 10 s.
  [ "$PROFILE" = 1 ] && [ "$TIMEOUT_MS" -lt 60000 ] && TIMEOUT_MS=60000
  TAG="$rep.hb$HEARTBEAT_MS"
  # Profiling: perf names JIT-compiled frames from /tmp/perf-PID.map only for code in anonymous memory, so W^X
  # double mapping (code in a memfd) is off for the profiled broker.
  env $BROKER_ENV DOTNET_PerfMapEnabled=$PROFILE DOTNET_EnableWriteXorExecute=$((1 - PROFILE)) dotnet "$BROKER_DLL" "tcp://127.0.0.1:$FE" "tcp://127.0.0.1:$BE" --control "tcp://127.0.0.1:$CT" --session-key-file "" \
    --session-timeout "$(awk -v ms="$TIMEOUT_MS" 'BEGIN{printf "00:%02d:%06.3f", int(ms/60000), (ms%60000)/1000}')" >"$RUNDIR/broker.$TAG.log" 2>&1 &
  BROKER=$!; STARTED+=("$BROKER")
  for i in $(seq 100); do grep -q "Broker listening" "$RUNDIR/broker.$TAG.log" && break; sleep 0.1; done
  st0=$(steal_ticks); t0=$(date +%s.%N)
  echo "== rep $rep: $SESSIONS sessions, heartbeat every $HEARTBEAT_MS ms, session timeout $TIMEOUT_MS ms"
  dotnet "$BENCH_DLL" sessions --frontend "tcp://127.0.0.1:$FE" --control "tcp://127.0.0.1:$CT" --broker-pid "$BROKER" \
    --sessions "$SESSIONS" --per-socket "$PER_SOCKET" --idle "$IDLE" --broadcasts "$BROADCASTS" --heartbeat "$HEARTBEAT_MS" \
    --size "$SIZE" >"$RUNDIR/bench.$TAG.out" 2>"$RUNDIR/bench.$TAG.err" &
  BENCH=$!
  if [ "$PROFILE" = 1 ]; then
    for i in $(seq 1200); do grep -q "^idle:" "$RUNDIR/bench.$TAG.err" && break; kill -0 $BENCH 2>/dev/null || break; sleep 0.1; done
    sleep 1
    timeout -s INT "$PROFILE_S" strace -c -f -q -p "$BROKER" -o "$RUNDIR/strace.$TAG.txt" 2>/dev/null
    perf record -q -F 499 -g -p "$BROKER" -o "$RUNDIR/perf.$TAG.data" -- sleep "$PROFILE_S" >/dev/null 2>&1
    perf report -i "$RUNDIR/perf.$TAG.data" --no-children --sort sym --stdio -g none --percent-limit 1 2>/dev/null \
      | grep -v '^#' | grep -v '^$' >"$RUNDIR/perf.$TAG.txt"
    for i in $(seq 1200); do grep -q "^broadcasts:" "$RUNDIR/bench.$TAG.err" && break; kill -0 $BENCH 2>/dev/null || break; sleep 0.1; done
    perf record -q -F 999 -g -p "$BROKER" -o "$RUNDIR/perf.bcast.$TAG.data" -- sleep "$BROADCAST_PROFILE_S" >/dev/null 2>&1
    perf report -i "$RUNDIR/perf.bcast.$TAG.data" --no-children --sort sym --stdio -g none --percent-limit 1 2>/dev/null \
      | grep -v '^#' | grep -v '^$' >"$RUNDIR/perf.bcast.$TAG.txt"
  fi
  wait $BENCH
  rc=$?
  st1=$(steal_ticks); t1=$(date +%s.%N)
  steal=$(awk -v a="$st0" -v b="$st1" -v t0="$t0" -v t1="$t1" -v k="$CLK_TCK" -v n="$NCPU" 'BEGIN{printf "%.1f", (b-a)/k/((t1-t0)*n)*100}')
  stop_pid "$BROKER" 10; BROKER=
  if [ $rc -ne 0 ] || ! [ -s "$RUNDIR/bench.$TAG.out" ]; then echo "  bench failed (rc=$rc): $(cat "$RUNDIR/bench.$TAG.err")" >&2; continue; fi
  echo "$(cat "$RUNDIR/bench.$TAG.out") steal_pct=$steal" | tee -a "$RUNDIR/results.kv"
done
done

if [ "$PROFILE" = 1 ]; then
  "$PY" "$ROOT/bench/tables.py" sessions-profile "$RUNDIR" >"$RUNDIR/profile.md"
  echo; cat "$RUNDIR/profile.md"
  [ "$UPDATE_DOCS" = 1 ] && "$PY" "$ROOT/bench/tables.py" splice "$ROOT/docs/performance.md" sessions-profile "$RUNDIR/profile.md" \
    && echo "docs/performance.md: sessions-profile section regenerated"
  echo "results: $RUNDIR"
  exit 0
fi

"$PY" - "$RUNDIR/results.kv" >"$RUNDIR/table.md" <<'PYEOF'
import sys
rows = [dict(kv.split("=", 1) for kv in line.split()) for line in open(sys.argv[1]) if line.strip()]
if not rows:
    print("(no successful run)"); sys.exit(0)
print("| sessions | heartbeat | all connected / all sessions open | broker RSS per session | session state per session | idle broker CPU | broadcast handed to the transport (p50 / max) | broadcast written to the sockets (p50 / max) | control answer after the broadcast (p50 / max) | broadcast reaches all (p50 / max) | pushes received | steal |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for r in rows:
    print("| %s | every %.1f s | %s s / %s s | %.1f KB | %s B | %s %% of one core | %s / %s ms | %s / %s ms | %s / %s ms | %s / %s ms | %s of %d | %s %% |" % (
        r["sessions"], float(r["heartbeat_ms"]) / 1000, r.get("connect_s", "-"), r["open_s"], float(r["bytes_per_session"]) / 1024, r["state_bytes_per_session"], r["idle_cpu_pct"],
        r["fanout_ms_p50"], r["fanout_ms_max"], r.get("written_ms_p50", "-"), r.get("written_ms_max", "-"), r["leave_ms_p50"], r["leave_ms_max"], r["reach_ms_p50"], r["reach_ms_max"],
        r["received"], int(r["broadcasts"]) * int(r["alive"]), r["steal_pct"]))
print()
print("Run: `%s`, %s." % (open(sys.argv[1].replace("results.kv", "env.txt")).read().split("command: ")[1].split("\n")[0],
                            open(sys.argv[1].replace("results.kv", "env.txt")).read().split("\n")[0].replace("date: ", "")))
PYEOF
echo
cat "$RUNDIR/table.md"
if [ "$UPDATE_DOCS" = 1 ]; then
  "$PY" "$ROOT/bench/tables.py" splice "$ROOT/docs/performance.md" sessions "$RUNDIR/table.md"
  echo "docs/performance.md: sessions section regenerated"
fi
echo "results: $RUNDIR"

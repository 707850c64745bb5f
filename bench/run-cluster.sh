#!/usr/bin/env bash
# A cluster of ZmqGame brokers on NATS (one nats-server with JetStream, started here on a free port; brokers on free
# ports, each joined with --cluster), measured against the targets of docs/performance.md, in one run:
#   throughput  per-broker throughput with the cluster on against off: the same broker and worker host (WORKERS slots,
#               typed echo route) and `ZmqGame.Bench load` (= `client load`, CLIENTS x DEPTH), once without --cluster
#               and once with --cluster on the nats-server, REPS times, alternating which goes first; medians, ratio.
#   push        cross-broker push latency: PUSH_USERS sessions log in on broker B (sample lobby service), and
#               `ZmqGame.Bench cluster push` pushes to those users through broker A's control endpoint, PUSHES at
#               PUSH_RATE/s, each push carrying its send time (same process, same clock): p50/p99/p999. REPS times,
#               each alternated with the same bench on one broker without NATS (sessions and control endpoint on
#               that broker): the single-broker baseline of the same run; medians of the repetitions.
#   broadcast   one broadcast through A to SESSIONS sessions spread evenly over A and B (PER_SOCKET sessions per
#               DEALER socket, as in run-sessions.sh), BROADCASTS times: until the last copy arrived, on A and on B.
#   failover    FAILOVER_CLIENTS clients given the list A,B make a request every INTERVAL_MS; `ZmqGame.Bench cluster
#               failover` kills broker B (SIGKILL) and times each client from the kill to its next successful
#               request, against the client's heartbeat x liveness (HEARTBEAT_MS x LIVENESS); every request counted.
#               Once per signal in FAILOVER_SIGNALS: KILL (kill -9: the kernel closes the broker's connections, so
#               clients see the loss at once) and STOP (SIGSTOP: the broker falls silent with its connections open,
#               as a host that loses power or its network; clients notice only by their heartbeat).
# The worker host is attached to every broker (--broker BE_A,BE_B). Everything runs on this machine: compare only
# within one run, by ratio.
#
# Usage:  bash bench/run-cluster.sh            (about 3 minutes with the defaults)
# Knobs (environment):
#   STEPS="throughput push broadcast failover"   the measurements to run
#   REPS=3 DUR=5 WARM=1 CLIENTS=64 DEPTH=1 WORKERS=8 SIZE=64        throughput: repetitions, load, worker slots
#   PUSH_USERS=8 PUSHES=2000 PUSH_RATE=500 PUSH_WARMUP=3000          push latency (the warm-up pushes, 6 s at 500/s,
#                  are not measured: the first seconds of a freshly started cluster are slower, see docs/performance.md)
#   TRACE=0        1: the push step also traces each push hop by hop (ZMQGAME_CLUSTER_TRACE in the brokers,
#                  ZMQGAME_PUSH_TRACE in the bench; same monotonic clock) and prints where the time went, by percentile
#   SESSIONS=10000 PER_SOCKET=100 BROADCASTS=10                      broadcast (the bench holds SESSIONS descriptors)
#   FAILOVER_CLIENTS=100 INTERVAL_MS=20 HEARTBEAT_MS=1000 LIVENESS=3 failover (client heartbeat and liveness)
#   FAILOVER_SIGNALS="KILL STOP"                                      how broker B dies, one failover run each
#   CLUSTER=1      0: the single-broker paths only, on one broker without NATS (a check of the bench itself while the
#                  cluster is not in the build): throughput off only, push and broadcast on the one broker, and
#                  failover as a kill -9 and restart of that broker (sessions resume with the same session key);
#                  docs/performance.md is left alone
#   NATS_SERVER=/usr/sbin/nats-server   RESULTS=bench/results/cluster   ART=bench/.artifacts   UPDATE_DOCS=1
#   BUILD=1        0: use the Release build already in ART (repeated runs of the same build)
#   BROKER_ENV= WORKER_ENV= LOADGEN_ENV=   extra environment for the brokers / the worker host / the bench process
# Exit code: 0 when every step ran and accounted for every request and push as expected (targets missed or met are
# in the table), 1 otherwise.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RESULTS=${RESULTS:-$ROOT/bench/results/cluster}
ART=${ART:-$ROOT/bench/.artifacts}
UPDATE_DOCS=${UPDATE_DOCS:-1}
BUILD=${BUILD:-1}
CLUSTER=${CLUSTER:-1}
STEPS=${STEPS:-"throughput push broadcast failover"}
REPS=${REPS:-3}
DUR=${DUR:-5}
WARM=${WARM:-1}
CLIENTS=${CLIENTS:-64}
DEPTH=${DEPTH:-1}
WORKERS=${WORKERS:-8}
SIZE=${SIZE:-64}
PUSH_USERS=${PUSH_USERS:-8}
PUSHES=${PUSHES:-2000}
PUSH_RATE=${PUSH_RATE:-500}
PUSH_WARMUP=${PUSH_WARMUP:-3000}
TRACE=${TRACE:-0}
SESSIONS=${SESSIONS:-10000}
PER_SOCKET=${PER_SOCKET:-100}
BROADCASTS=${BROADCASTS:-10}
FAILOVER_CLIENTS=${FAILOVER_CLIENTS:-100}
INTERVAL_MS=${INTERVAL_MS:-20}
HEARTBEAT_MS=${HEARTBEAT_MS:-1000}
LIVENESS=${LIVENESS:-3}
FAILOVER_SIGNALS=${FAILOVER_SIGNALS:-"KILL STOP"}
NATS_SERVER=${NATS_SERVER:-$(command -v nats-server || echo /usr/sbin/nats-server)}
BROKER_ENV=${BROKER_ENV:-}
WORKER_ENV=${WORKER_ENV:-}
LOADGEN_ENV=${LOADGEN_ENV:-}
PY=${PY:-/usr/bin/python3}
NCPU=$(nproc)

die() { echo "run-cluster: $*" >&2; exit 1; }
case $CLUSTER in 0|1) ;; *) die "CLUSTER must be 1 (brokers on NATS) or 0 (the single-broker paths), not '$CLUSTER'";; esac
for sig in $FAILOVER_SIGNALS; do
  case $sig in KILL|STOP) ;; *) die "unknown signal '$sig' in FAILOVER_SIGNALS (KILL STOP)";; esac
done
[ "$CLUSTER" = 0 ] && FAILOVER_SIGNALS=KILL   # one broker: kill -9 and restart it; a stopped one has no one to fail over to
for step in $STEPS; do
  case $step in throughput|push|broadcast|failover) ;; *) die "unknown step '$step' in STEPS (throughput push broadcast failover)";; esac
done
[ "$CLUSTER" = 1 ] && { [ -x "$NATS_SERVER" ] || die "nats-server not found at '$NATS_SERVER' (set NATS_SERVER=)"; }

# Each broadcast session is a TCP connection in the bench process: raise the open-file limit as far as allowed.
ulimit -n "$(ulimit -Hn)" 2>/dev/null
if [[ " $STEPS " == *" broadcast "* ]] && [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((SESSIONS + 1000)) ]; then
  die "open-file limit $(ulimit -n) is below SESSIONS+1000; lower SESSIONS or raise the limit"
fi

. "$ROOT/bench/build.sh"
[ "$BUILD" = 1 ] && build_release broker/ZmqGame.Broker worker/ZmqGame.Worker.Host bench/ZmqGame.Bench
BROKER_DLL=$ART/bin/ZmqGame.Broker/release/ZmqGame.Broker.dll
WORKER_DLL=$ART/bin/ZmqGame.Worker.Host/release/ZmqGame.Worker.Host.dll
BENCH_DLL=$ART/bin/ZmqGame.Bench/release/ZmqGame.Bench.dll
for f in "$BROKER_DLL" "$WORKER_DLL" "$BENCH_DLL"; do [ -f "$f" ] || die "missing build output $f"; done
NO_CLUSTER="this build's broker has no --cluster option, so there is no cluster to measure; CLUSTER=0 runs the single-broker paths"
# The broker checks its options before anything else: an unknown one is one line and exit code 2.
if [ "$CLUSTER" = 1 ]; then
  probe=$(timeout 10 dotnet "$BROKER_DLL" tcp://127.0.0.1:0 tcp://127.0.0.1:0 --control tcp://127.0.0.1:0 \
    --session-key-file "" --cluster nats://127.0.0.1:1 2>&1)
  [[ $probe == *"unknown option --cluster"* ]] && die "$NO_CLUSTER"
fi

mkdir -p "$RESULTS"
RUNDIR=$(cd "$RESULTS" && pwd)/$(date +%Y%m%d-%H%M%S)
mkdir -p "$RUNDIR"
{
  echo "date: $(date -Is)"
  echo "host: $(uname -srm), $NCPU cpus,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
  echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min, at the start)"
  echo "dotnet: $(dotnet --version)  nats-server: $([ "$CLUSTER" = 1 ] && "$NATS_SERVER" --version | sed 's/^nats-server: //' || echo 'not used (CLUSTER=0)')"
  echo "command: bench/run-cluster.sh (CLUSTER=$CLUSTER STEPS=\"$STEPS\" REPS=$REPS DUR=$DUR CLIENTS=$CLIENTS DEPTH=$DEPTH WORKERS=$WORKERS PUSHES=$PUSHES PUSH_RATE=$PUSH_RATE PUSH_WARMUP=$PUSH_WARMUP SESSIONS=$SESSIONS PER_SOCKET=$PER_SOCKET BROADCASTS=$BROADCASTS FAILOVER_CLIENTS=$FAILOVER_CLIENTS FAILOVER_SIGNALS=\"$FAILOVER_SIGNALS\" HEARTBEAT_MS=$HEARTBEAT_MS LIVENESS=$LIVENESS)"
  echo "zmqgame: $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')${BROKER_ENV:+ broker with $BROKER_ENV}${WORKER_ENV:+ worker with $WORKER_ENV}${LOADGEN_ENV:+ bench with $LOADGEN_ENV}"
} | tee "$RUNDIR/env.txt"
: >"$RUNDIR/results.kv"
KEYFILE=$RUNDIR/session.key   # one session key for every broker: a session resumes on any of them

# ---------------------------------------------------------------- processes
STARTED=()
forget_pid() { local p keep=(); for p in "${STARTED[@]}"; do [ "$p" != "$1" ] && keep+=("$p"); done; STARTED=("${keep[@]}"); }
stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then echo "  warn: pid $pid ignored SIGTERM for 10 s, sending SIGKILL" >&2; kill -KILL "$pid" 2>/dev/null; fi
  wait "$pid" 2>/dev/null
  forget_pid "$pid"
}
stop_all() { local p; for p in "${STARTED[@]}"; do stop_pid "$p"; done; STARTED=(); }
cleanup() {
  local p
  for p in "${STARTED[@]}"; do kill -TERM "$p" 2>/dev/null; done
  sleep 0.5
  for p in "${STARTED[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -f "$PORT_LOG"
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM
. "$ROOT/bench/ports.sh"   # free_port
kv() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -1; }

# start_nats TAG: a nats-server with JetStream on a free port; sets NATS_URL.
start_nats() {
  local log=$RUNDIR/nats.$1.log port i
  port=$(free_port)
  "$NATS_SERVER" -a 127.0.0.1 -p "$port" -js -sd "$RUNDIR/nats.$1.store" >"$log" 2>&1 &
  NATS_PID=$!; STARTED+=("$NATS_PID")
  for i in $(seq 100); do grep -q "Server is ready" "$log" && break; kill -0 "$NATS_PID" 2>/dev/null || break; sleep 0.1; done
  grep -q "Server is ready" "$log" || { cat "$log" >&2; die "nats-server did not start (log above)"; }
  NATS_URL=nats://127.0.0.1:$port
}

# start_broker TAG CLUSTERED [FE BE CT]: a broker on free ports (or on the given endpoints, for a restart), joined to
# NATS_URL when CLUSTERED=1; reads the endpoints from its "Broker listening" line into B_FE B_BE B_CT, pid in B_PID.
start_broker() {
  local tag=$1 clustered=$2 fe=${3:-tcp://127.0.0.1:0} be=${4:-tcp://127.0.0.1:0} ct=${5:-tcp://127.0.0.1:0}
  local log=$RUNDIR/broker.$tag.log line i extra=()
  [ "$clustered" = 1 ] && extra=(--cluster "$NATS_URL")
  env $BROKER_ENV dotnet "$BROKER_DLL" "$fe" "$be" --control "$ct" --session-key-file "$KEYFILE" --session-timeout 60s \
    "${extra[@]}" >"$log" 2>&1 &
  B_PID=$!; STARTED+=("$B_PID")
  for i in $(seq 150); do grep -q "Broker listening" "$log" && break; kill -0 "$B_PID" 2>/dev/null || break; sleep 0.1; done
  grep -q "unknown option --cluster" "$log" && die "$NO_CLUSTER"
  line=$(grep -m1 "Broker listening" "$log") || { cat "$log" >&2; die "broker $tag did not start (log above)"; }
  B_FE=$(echo "$line" | sed -E 's/.*frontend ([^ ,]+).*/\1/')
  B_BE=$(echo "$line" | sed -E 's/.*backend ([^ ,]+).*/\1/')
  B_CT=$(echo "$line" | sed -E 's/.*control ([^ ,]+).*/\1/')
}

# start_workers TAG SERVICES BACKEND[,BACKEND...]: the worker host attached to every backend; waits until each backend
# has WORKERS connections per service from it.
start_workers() {
  local tag=$1 services=$2 backends=$3 log=$RUNDIR/worker.$1.log want i be ok n
  want=$(( WORKERS * $(echo "$services" | tr ',' '\n' | wc -l) ))
  env $WORKER_ENV dotnet "$WORKER_DLL" --broker "$backends" --slots "$WORKERS" --service "$services" >"$log" 2>&1 &
  W_PID=$!; STARTED+=("$W_PID")
  for i in $(seq 200); do
    ok=1
    for be in ${backends//,/ }; do
      n=$(ss -Htnp state established "dport = :${be##*:}" | grep -c "pid=$W_PID,")
      [ "$n" -ge "$want" ] || ok=0
    done
    [ $ok = 1 ] && break
    # A worker host without broker lists takes the whole list for one endpoint and cannot resolve it.
    if [[ $backends == *,* ]] && grep -qF "cannot connect to $backends" "$log"; then
      die "the worker host took --broker $backends for one endpoint: a broker list needs the multi-broker worker host"
    fi
    if ! kill -0 "$W_PID" 2>/dev/null; then
      cat "$log" >&2
      [[ $backends == *,* ]] && die "the worker host exited when given --broker $backends: a broker list needs the multi-broker worker host (log above)"
      die "the worker host exited (log above)"
    fi
    sleep 0.1
  done
  [ $ok = 1 ] || die "the worker host did not open $want connections to each of $backends within 20 s"
  sleep 0.5 # READY follows the connections
}

# topology TAG: nats-server (CLUSTER=1), brokers A and B (one broker, A = B, when CLUSTER=0), the worker host on both.
topology() {
  local tag=$1
  if [ "$CLUSTER" = 1 ]; then
    start_nats "$tag"
    start_broker "$tag.a" 1; A_PID=$B_PID A_FE=$B_FE A_BE=$B_BE A_CT=$B_CT
    start_broker "$tag.b" 1; BB_PID=$B_PID BB_FE=$B_FE BB_BE=$B_BE BB_CT=$B_CT
    start_workers "$tag" game,lobby "$A_BE,$BB_BE"
  else
    start_broker "$tag.a" 0; A_PID=$B_PID A_FE=$B_FE A_BE=$B_BE A_CT=$B_CT
    BB_PID=$A_PID BB_FE=$A_FE BB_BE=$A_BE BB_CT=$A_CT
    start_workers "$tag" game,lobby "$A_BE"
  fi
  echo "  broker A pid $A_PID $A_FE (control $A_CT); broker B pid $BB_PID $BB_FE (control $BB_CT)${NATS_URL:+; NATS $NATS_URL}"
}

# bench STEP LOGTAG ARGS...: runs ZmqGame.Bench, appends "step=STEP <its key=value line>" to results.kv.
bench() {
  local step=$1 tag=$2 out rc; shift 2   # STEP may carry more key=value pairs: "throughput mode=on rep=1"
  env $LOADGEN_ENV dotnet "$BENCH_DLL" "$@" >"$RUNDIR/bench.$tag.out" 2>"$RUNDIR/bench.$tag.err"
  rc=$?
  out=$(tail -n 1 "$RUNDIR/bench.$tag.out")
  if [ -z "$out" ]; then echo "  $step failed (rc=$rc): $(tail -n 5 "$RUNDIR/bench.$tag.err")" >&2; return 1; fi
  [ $rc -ne 0 ] && echo "  $step: not every request or push was accounted for as expected (rc=$rc)" >&2
  echo "step=$step rc=$rc $out" | tee -a "$RUNDIR/results.kv"
}

# ------------------------------------------------------------------ steps
step_throughput() {
  local rep mode modes order
  modes="off on"; [ "$CLUSTER" = 0 ] && modes="off"
  [ "$CLUSTER" = 1 ] && start_nats throughput
  for rep in $(seq "$REPS"); do
    order=$modes
    [ $((rep % 2)) = 0 ] && order=$(echo "$modes" | tr ' ' '\n' | tac | tr '\n' ' ')
    for mode in $order; do
      echo "== throughput rep $rep: cluster $mode, $CLIENTS x $DEPTH"
      start_broker "tp.$rep.$mode" $([ "$mode" = on ] && echo 1 || echo 0)
      start_workers "tp.$rep.$mode" game "$B_BE"
      bench "throughput mode=$mode rep=$rep" "tp.$rep.$mode" load --broker "$B_FE" -c "$CLIENTS" -d "$DEPTH" -s "$SIZE" -t "${DUR}s" -w "${WARM}s" \
        --service game --cmd 5 --broker-pid "$B_PID" --format kv
      stop_pid "$W_PID"; stop_pid "$B_PID"
    done
  done
  stop_all
}

step_push() {
  local rep mode modes order
  modes="cluster single"; [ "$CLUSTER" = 0 ] && modes="single"
  for rep in $(seq "$REPS"); do
    order=$modes
    [ $((rep % 2)) = 0 ] && order=$(echo "$modes" | tr ' ' '\n' | tac | tr '\n' ' ')
    for mode in $order; do
      if [ "$mode" = cluster ]; then
        echo "== push rep $rep: topology"
        local broker_env=$BROKER_ENV
        [ "$TRACE" = 1 ] && BROKER_ENV="$BROKER_ENV ZMQGAME_CLUSTER_TRACE=$RUNDIR/trace.push.$rep"
        topology "push.$rep"
        BROKER_ENV=$broker_env
      else
        echo "== push rep $rep: one broker without NATS"
        start_broker "push.$rep.single" 0; A_PID=$B_PID A_CT=$B_CT BB_FE=$B_FE
        start_workers "push.$rep.single" game,lobby "$B_BE"
      fi
      echo "== push rep $rep ($mode): $PUSH_USERS sessions on B, $PUSHES pushes through A's control endpoint at $PUSH_RATE/s"
      local trace_env=""
      [ "$TRACE" = 1 ] && [ "$mode" = cluster ] && trace_env="ZMQGAME_CLUSTER_TRACE=$RUNDIR/trace.push.$rep"
      BROKER_ENV="$BROKER_ENV" LOADGEN_ENV="$LOADGEN_ENV${trace_env:+ ZMQGAME_PUSH_TRACE=$RUNDIR/trace.push.$rep}" \
        bench "push mode=$mode rep=$rep" "push.$rep.$mode" cluster push --frontend "$BB_FE" --control "$A_CT" --users "$PUSH_USERS" \
        --pushes "$PUSHES" --rate "$PUSH_RATE" --warmup "$PUSH_WARMUP"
      stop_all
      [ "$TRACE" = 1 ] && [ "$mode" = cluster ] && trace_table "$RUNDIR/trace.push.$rep"
    done
  done
}

# trace_table PREFIX: per-hop latency of each measured push, from the brokers' PREFIX.<pid>.tsv (message id, step,
# timestamp) and the bench's PREFIX.bench.<pid>.tsv (sent, arrived). Steps as in ClusterTrace.cs.
trace_table() {
  "$PY" - "$1" <<'PYEOF' | tee "$1.table.txt"
import bisect, collections, glob, sys
prefix = sys.argv[1]
brokers = []
for f in glob.glob(prefix + ".*.tsv"):
    if ".bench." in f: continue
    d = collections.defaultdict(dict)
    for line in open(f):
        i, s, t = line.split()
        d[int(i)].setdefault(int(s), int(t))
    brokers.append(d)
bench = [sorted(tuple(map(int, l.split())) for l in open(f)) for f in glob.glob(prefix + ".bench.*.tsv")]
a = [d for d in brokers if any(0 in v for v in d.values())]
if len(brokers) != 2 or len(a) != 1 or len(bench) != 1:
    sys.exit("trace: expected two brokers' traces (one of them A) and one bench trace at " + prefix)
A, B, bench = a[0], [d for d in brokers if d is not a[0]][0], bench[0]
sents = [b[0] for b in bench]
acts = sorted((v[0], i) for i, v in A.items() if 0 in v)
hops = [("control", "bench sent -> A's loop"), ("pump", "A's loop -> publisher took it"), ("publish", "NATS.Net accepted it"),
        ("nats", "-> B's link got it (NATS.Net writer, nats-server, reader)"), ("post", "-> B's loop"),
        ("run", "-> queued to the session"), ("client", "-> B wrote it, the client library handed it over"), ("total", "")]
rows = []
for k, (t0, i) in enumerate(acts):
    j = bisect.bisect_right(sents, t0) - 1
    if j < 0 or (k and sents[j] <= acts[k - 1][0]): continue   # a warm-up push (not in the bench's trace)
    s, arrived = bench[j]
    x, y = A[i], B.get(i, {})
    if not all(n in x for n in (1, 2)) or not all(n in y for n in (3, 4, 5)): continue
    rows.append([t0 - s, x[1] - t0, x[2] - x[1], y[3] - x[2], y[4] - y[3], y[5] - y[4], arrived - y[5], arrived - s])
if not rows: sys.exit("trace: no push matched")
def pct(col, p):
    v = sorted(r[col] for r in rows)
    return v[min(len(v) - 1, int(len(v) * p / 100))] / 1000
print("trace %s: %d pushes, microseconds per hop" % (prefix, len(rows)))
print("%-8s" % "" + "".join("%9s" % h for h, _ in hops))
for p in (50, 90, 99, 99.9):
    print("%-8s" % ("p%g" % p) + "".join("%9.0f" % pct(c, p) for c in range(len(hops))))
n = len(rows)
for name, part in (("first 1/4", rows[: n // 4]), ("rest", rows[n // 4:])):
    v = sorted(r[-1] for r in part)
    print("%s of the pushes: total p99 %.0f us" % (name, v[min(len(v) - 1, int(len(v) * 0.99))] / 1000))
print("; ".join("%s: %s" % (h, what) for h, what in hops if what))
PYEOF
}

step_broadcast() {
  echo "== topology for broadcast"
  topology bc
  local fes="$A_FE,$BB_FE" cts="$A_CT,$BB_CT"
  [ "$CLUSTER" = 0 ] && fes=$A_FE cts=$A_CT
  echo "== broadcast: $SESSIONS sessions over $fes, $BROADCASTS broadcasts through A"
  bench broadcast broadcast cluster broadcast --frontend "$fes" --control "$cts" --sessions "$SESSIONS" \
    --per-socket "$PER_SOCKET" --broadcasts "$BROADCASTS" --size "$SIZE"
  stop_all
}

step_failover() { # SIGNAL
  local sig=$1 list err=$RUNDIR/bench.failover.$1.err i bench_pid
  echo "== topology for failover (SIG$sig)"
  topology "fo.$sig"
  list="$A_FE,$BB_FE"
  [ "$CLUSTER" = 0 ] && list=$A_FE
  echo "== failover: $FAILOVER_CLIENTS clients on $list, SIG$sig to broker B (pid $BB_PID)"
  bench failover "failover.$sig" cluster failover --broker "$list" --kill-pid "$BB_PID" --kill-frontend "$BB_FE" --signal "$sig" \
    -c "$FAILOVER_CLIENTS" --interval-ms "$INTERVAL_MS" --heartbeat-ms "$HEARTBEAT_MS" --liveness "$LIVENESS" &
  bench_pid=$!
  if [ "$CLUSTER" = 0 ]; then
    # No other broker to fail over to: once the bench has killed it, start the broker again on the same endpoints
    # with the same session key, so the clients reconnect and resume (a restart, not a failover).
    for i in $(seq 1200); do grep -q "failover: killed" "$err" 2>/dev/null && break; kill -0 $bench_pid 2>/dev/null || break; sleep 0.05; done
    if grep -q "failover: killed" "$err" 2>/dev/null; then
      wait "$BB_PID" 2>/dev/null; forget_pid "$BB_PID"
      start_broker fo.restart 0 "$A_FE" "$A_BE" "$A_CT"
      echo "  broker restarted on the same endpoints (pid $B_PID)"
    fi
  fi
  wait $bench_pid
  # A stopped broker ignores SIGTERM until it runs again: end it here.
  [ "$CLUSTER" = 1 ] && { kill -KILL "$BB_PID" 2>/dev/null; wait "$BB_PID" 2>/dev/null; forget_pid "$BB_PID"; }
  stop_all
}

T0=$(date +%s)
[[ " $STEPS " == *" throughput "* ]] && step_throughput
[[ " $STEPS " == *" push "* ]] && step_push
[[ " $STEPS " == *" broadcast "* ]] && step_broadcast
if [[ " $STEPS " == *" failover "* ]]; then for sig in $FAILOVER_SIGNALS; do step_failover "$sig"; done; fi
echo "run time: $(( $(date +%s) - T0 )) s" | tee -a "$RUNDIR/env.txt"

"$PY" - "$RUNDIR" "$CLUSTER" >"$RUNDIR/table.md" <<'PYEOF'
import statistics, sys
rundir, clustered = sys.argv[1], sys.argv[2] == "1"
rows = [dict(kv.split("=", 1) for kv in line.split()) for line in open(rundir + "/results.kv") if line.strip()]
env = open(rundir + "/env.txt").read()
def num(r, k):
    try: return float(r[k])
    except (KeyError, ValueError): return float("nan")
def med(vs):
    vs = [v for v in vs if v == v]
    return statistics.median(vs) if vs else float("nan")
def f(v, spec="%.0f"):
    return "-" if v != v else spec % v
def status(ok):
    return "-" if ok is None else ("meets" if ok else "**misses**")
out = ["| measurement | result | target | status |", "| --- | --- | --- | --- |"]
tp = [r for r in rows if r["step"] == "throughput"]
if tp:
    off = med([num(r, "rps") for r in tp if r.get("mode") == "off"])
    on = med([num(r, "rps") for r in tp if r.get("mode") == "on"])
    ratio = on / off if off == off and on == on and off > 0 else float("nan")
    errs = sum(int(num(r, "errors")) for r in tp if num(r, "errors") == num(r, "errors"))
    load = "%s × %s" % (tp[0].get("clients", "?"), tp[0].get("depth", "?"))
    reps = len({r["rep"] for r in tp})
    out.append("| per-broker throughput, cluster on / off (`client load`, %s, medians of %d alternating runs) | on %s req/s, off %s req/s: **%s** (%d errors) | ≥ 0.9× | %s |" % (
        load, reps, f(on), f(off), f(ratio, "%.2f×"), errs, status(None if ratio != ratio else ratio >= 0.9)))
def push_figures(rs):
    """Medians over the repetitions of p50, p99, p99.9 (ms), the worst max, pushes received and sent."""
    return ([med([num(r, k) / 1000 for r in rs]) for k in ("push_p50_us", "push_p99_us", "push_p999_us")],
            max(num(r, "push_max_us") / 1000 for r in rs), sum(int(r["received"]) for r in rs), sum(int(r["pushes"]) for r in rs))
push = [r for r in rows if r["step"] == "push" and r.get("mode") == ("cluster" if clustered else "single")]
single = [r for r in rows if r["step"] == "push" and r.get("mode") == "single"]
if push:
    (p50, p99, p999), worst, received, sent = push_figures(push)
    (s50, s99, s999), _, _, _ = push_figures(single)
    r = push[0]
    each = ", ".join(f(num(x, "push_p99_us") / 1000, "%.2f") for x in push)
    what = "session on B, pushed through A's control endpoint" if clustered else "one broker without NATS (CLUSTER=0)"
    base = "; one broker without NATS in the same run: p50 %s ms, p99 %s ms, p99.9 %s ms" % (f(s50, "%.2f"), f(s99, "%.2f"), f(s999, "%.2f")) if clustered and single else ""
    out.append("| push latency, %s (%s pushes at %s/s to %s users after %s warm-up pushes, medians of %d alternating runs) | p50 %s ms, p99 **%s ms** (runs: %s), p99.9 %s ms, max %s ms; %d of %d received%s | p99 ≤ 5 ms | %s |" % (
        what, r["pushes"], r["rate"], r["users"], r.get("warmup_received", "?"), len(push), f(p50, "%.2f"), f(p99, "%.2f"), each, f(p999, "%.2f"), f(worst, "%.1f"),
        received, sent, base, status(p99 <= 5 and received == sent)))
for r in [r for r in rows if r["step"] == "broadcast"]:
    out.append("| broadcast through A to %s sessions (%s over %s broker%s), %s times | last copy p50 **%s ms**, max %s ms (on A %s / %s ms, on B %s / %s ms); answer %s ms; %s of %s copies | until the last copy | %s |" % (
        r["sessions"], r["per_broker"], r["brokers"], "" if r["brokers"] == "1" else "s", r["broadcasts"], r["reach_ms_p50"], r["reach_ms_max"],
        r["reach_local_ms_p50"], r["reach_local_ms_max"], r["reach_remote_ms_p50"], r["reach_remote_ms_max"], r["answer_ms_p50"],
        r["received"], r["expected"], "all arrived" if r["received"] == r["expected"] else "**copies missing**"))
for r in [r for r in rows if r["step"] == "failover"]:
    window = num(r, "window_ms")
    worst = num(r, "recover_ms_max")
    what = ("kill -9 of broker B" if r.get("signal") != "STOP" else "SIGSTOP of broker B (silent, its connections open)") if clustered \
        else "kill -9 and restart of the one broker (CLUSTER=0)"
    others = "" if r["others_ms_max"] == "-" else " (clients on the other broker: max %s ms)" % r["others_ms_max"]
    out.append("| back after %s: %s clients, %s on it, heartbeat %s ms × liveness %s = %s ms | max **%s ms**, p99 %s ms, p50 %s ms%s; %s of %s back | ≤ 2 × %s = %s ms | %s |" % (
        what, r["clients"], r["on_killed"], r["heartbeat_ms"], r["liveness"], f(window), f(worst), f(num(r, "recover_ms_p99")), f(num(r, "recover_ms_p50")),
        others, r["recovered"], r["clients"], f(window), f(2 * window), status(worst <= 2 * window and r["recovered"] == r["clients"])))
    out.append("| requests during that failover | %s sent: %s ok, %s errors (%s), %s unanswered | every request answered | %s |" % (
        r["sent"], r["ok"], r["errors"], r["errors_by_status"].replace(",", ", ").replace(":", " "), r["unanswered"], status(r["unanswered"] == "0")))
if len(out) == 2:
    out.append("| (no successful step) | | | |")
print("\n".join(out))
print()
def line(key):
    return env.split(key + ": ")[1].split("\n")[0] if key + ": " in env else "?"
print("Run: `%s`, %s, zmqgame %s, %s, load average %s." % (line("command"), line("date"), line("zmqgame"), line("host"), line("load").split(" (")[0]))
PYEOF
echo
cat "$RUNDIR/table.md"
if [ "$UPDATE_DOCS" = 1 ] && [ "$CLUSTER" = 1 ]; then
  # Only the measurements this run made replace their rows; the others (and the Run line they came from) stay.
  "$PY" - "$ROOT/docs/performance.md" "$RUNDIR/table.md" >"$RUNDIR/table.merged.md" <<'PYEOF'
import re, sys
doc, new = open(sys.argv[1]).read(), open(sys.argv[2]).read()
m = re.search(r"<!-- BEGIN GENERATED: cluster -->\n(.*?)<!-- END GENERATED: cluster -->", doc, re.S)
old = m.group(1) if m else ""
KINDS = [("throughput", "| per-broker throughput"), ("push", "| push latency"), ("broadcast", "| broadcast through"),
         ("failover", "| back after"), ("failover", "| requests during that failover")]
def kind(line):
    return next((k for k, prefix in KINDS if line.startswith(prefix)), None)
def rows(text):
    return [l for l in text.splitlines() if kind(l)]
RUN = re.compile(r"^Run( \([^)]*\))?: ")
def runs(text):
    return [RUN.sub("", l) for l in text.splitlines() if RUN.match(l)]
def steps(run):
    found = re.search(r'STEPS="([^"]*)"', run)
    return set(found.group(1).split()) if found else set()
measured = {kind(l) for l in rows(new)}
kept = [l for l in rows(old) if kind(l) not in measured] + rows(new)
order = [k for k, _ in KINDS]
kept.sort(key=lambda l: order.index(kind(l)))
old_runs = [r for r in runs(old) if steps(r) - measured]
def label(run, rows):
    return "Run (%s rows): %s" % (", ".join(k for k in dict.fromkeys(order) if k in rows), run) if old_runs else "Run: " + run
print("| measurement | result | target | status |\n| --- | --- | --- | --- |")
print("\n".join(kept))
print()
print("\n\n".join([label(r, steps(r) - measured) for r in old_runs] + [label(r, measured) for r in runs(new)]))
PYEOF
  "$PY" "$ROOT/bench/tables.py" splice "$ROOT/docs/performance.md" cluster "$RUNDIR/table.merged.md"
  echo "docs/performance.md: cluster rows of this run's steps ($STEPS) regenerated"
elif [ "$UPDATE_DOCS" = 1 ]; then
  echo "docs/performance.md left alone: CLUSTER=0 measures one broker, not a cluster"
fi
echo "results: $RUNDIR"
# Exit 1 when a step failed or did not account for every request or push (unanswered requests, missing copies).
if grep -q " rc=[^0]" "$RUNDIR/results.kv" || ! [ -s "$RUNDIR/results.kv" ]; then
  echo "run-cluster: not every step accounted for every request or push (rc=... in $RUNDIR/results.kv)" >&2
  exit 1
fi

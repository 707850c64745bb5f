#!/usr/bin/env bash
# A worker process attached to two brokers, with load on one of them, against the same worker process on that
# broker alone: the capacity of a slot attached to several brokers must not be stranded at the idle one.
#   one: ZmqGame.Bench load -> broker 1 <- worker host --broker be1 --slots WORKERS
#   two: ZmqGame.Bench load -> broker 1 <- worker host --broker be1,be2 --slots WORKERS -> broker 2 (no load)
# Typed echo route (service game, cmd 5, SIZE-byte payload). Runs alternate which config goes first.
#
# Usage:  bash bench/run-multibroker.sh      (about a minute with the defaults)
# Knobs (environment):
#   DUR=5 WARM=1 SIZE=64 REPS=3 WORKERS=4 LOADS="8x4 1x1"   (clients x depth)
#   RESULTS=bench/results/multibroker   ART=bench/.artifacts
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RESULTS=${RESULTS:-$ROOT/bench/results/multibroker}
ART=${ART:-$ROOT/bench/.artifacts}
DUR=${DUR:-5}
WARM=${WARM:-1}
SIZE=${SIZE:-64}
REPS=${REPS:-3}
WORKERS=${WORKERS:-4}
LOADS=${LOADS:-"8x4 1x1"}
HOST=127.0.0.1

. "$ROOT/bench/procs.sh"
wait_workers() { # PORT N
  local i; for i in $(seq 150); do [ "$(ss -Htn state established "dport = :$1" | wc -l)" -ge "$2" ] && return 0; sleep 0.1; done; return 1
}

. "$ROOT/bench/build.sh"
build_release broker/ZmqGame.Broker worker/ZmqGame.Worker.Host bench/ZmqGame.Bench
BROKER_DLL=$ART/bin/ZmqGame.Broker/release/ZmqGame.Broker.dll
WORKER_DLL=$ART/bin/ZmqGame.Worker.Host/release/ZmqGame.Worker.Host.dll
BENCH_DLL=$ART/bin/ZmqGame.Bench/release/ZmqGame.Bench.dll

RUNDIR=$RESULTS/$(date +%Y%m%d-%H%M%S)
mkdir -p "$RUNDIR"
TSV=$RUNDIR/results.tsv
{
  echo "date: $(date -Is)"
  echo "host: $(uname -srm), $(nproc) cpus"
  echo "command: bench/run-multibroker.sh (LOADS=\"$LOADS\" DUR=$DUR WARM=$WARM REPS=$REPS SIZE=$SIZE WORKERS=$WORKERS)"
  echo "zmqgame: $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')"
} | tee "$RUNDIR/env.txt"
printf 'rep\tconfig\tclients\tdepth\trps\tp50_us\tp99_us\terrors\n' >"$TSV"

run_one() { # rep config clients depth
  local rep=$1 config=$2 clients=$3 depth=$4 tag fe1 be1 fe2 be2 b1 b2 wrk brokers out
  tag="r${rep}_${config}_c${clients}_d${depth}"
  fe1=$(free_port); be1=$(free_port)
  start_bg "$RUNDIR/$tag.b1.log" dotnet "$BROKER_DLL" "tcp://$HOST:$fe1" "tcp://$HOST:$be1" --control tcp://127.0.0.1:0; b1=$LASTPID
  wait_listen "$be1" "$b1" || { echo "  broker 1 did not start" >&2; cat "$RUNDIR/$tag.b1.log" >&2; return 1; }
  brokers="tcp://$HOST:$be1"; b2=
  if [ "$config" = two ]; then
    fe2=$(free_port); be2=$(free_port)
    start_bg "$RUNDIR/$tag.b2.log" dotnet "$BROKER_DLL" "tcp://$HOST:$fe2" "tcp://$HOST:$be2" --control tcp://127.0.0.1:0; b2=$LASTPID
    wait_listen "$be2" "$b2" || { echo "  broker 2 did not start" >&2; return 1; }
    brokers="$brokers,tcp://$HOST:$be2"
  fi
  start_bg "$RUNDIR/$tag.wrk.log" dotnet "$WORKER_DLL" --broker "$brokers" --slots "$WORKERS" --service game; wrk=$LASTPID
  wait_workers "$be1" "$WORKERS" || { echo "  workers did not connect" >&2; return 1; }
  [ -n "$b2" ] && { wait_workers "$be2" "$WORKERS" || { echo "  workers did not connect to broker 2" >&2; return 1; }; }
  sleep 0.5 # READY
  out=$(dotnet "$BENCH_DLL" load --broker "tcp://$HOST:$fe1" -c "$clients" -d "$depth" -s "$SIZE" -t "${DUR}s" -w "${WARM}s" \
    --service game --cmd 5 --format kv 2>"$RUNDIR/$tag.lg.err")
  stop_pid "$wrk"; stop_pid "$b1"; [ -n "$b2" ] && stop_pid "$b2"
  [ -n "$out" ] || { echo "  load generator failed: $(cat "$RUNDIR/$tag.lg.err")" >&2; return 1; }
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$config" "$clients" "$depth" \
    "$(kv rps "$out")" "$(kv p50_us "$out")" "$(kv p99_us "$out")" "$(kv errors "$out")" >>"$TSV"
  printf '  %-4s c=%s d=%s rps=%s p50=%sus p99=%sus errors=%s\n' "$config" "$clients" "$depth" \
    "$(kv rps "$out")" "$(kv p50_us "$out")" "$(kv p99_us "$out")" "$(kv errors "$out")"
}

for rep in $(seq "$REPS"); do
  order="one two"; [ $((rep % 2)) = 0 ] && order="two one"
  for load in $LOADS; do
    for config in $order; do
      echo "== rep $rep: $config clients=${load%x*} depth=${load#*x}"
      run_one "$rep" "$config" "${load%x*}" "${load#*x}" || echo "  (run failed)"
    done
  done
done

# Median requests/s per config and load, and two / one.
awk -F'\t' 'NR > 1 { key = $3 "x" $4; v[key, $2] = v[key, $2] " " $5; loads[key] = 1 }
  function median(s,   a, n, i, j, t) { n = split(s, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  END { print "| load (clients x depth) | one broker, req/s | two brokers, load on one, req/s | two / one |"; print "| --- | ---: | ---: | ---: |"
    for (k in loads) { o = median(v[k, "one"]); t = median(v[k, "two"]); printf "| %s | %.0f | %.0f | %.2f |\n", k, o, t, (o > 0 ? t / o : 0) } }' "$TSV" | tee "$RUNDIR/table.md"
echo "results: $RUNDIR"

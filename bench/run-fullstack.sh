#!/usr/bin/env bash
# Full stack against full stack, same concurrency, one run, interleaved:
#   zmqgame_stack: ZmqGame client library (ZmqGame.Bench load) -> ZmqGame broker -> ZmqGame worker host
#                  (8 slots, typed echo route: service game, cmd 5, 64-byte MessagePack bin payload)
#   c_stack:       C loadgen --mdp echo -> C mdbroker -> C MDP echo workers (8 threads), 64-byte payload
#   zmqgame_own_loops (only when named in ONLY): zmqgame_stack with one loop thread per client at every load, to
#                  compare with the shared loops
# From SHARED_FROM clients up (a bot farm's load, e.g. 2000x1: many clients with one request in flight each) the
# ZmqGame load generator runs its clients on the shared loops (--shared-loops: a loop per core, not a thread per
# client); the C loadgen has one thread per client at every load. The load generator's threads are sampled (the most seen).
# Ports are chosen by free_port (bench/ports.sh): outside the kernel's ephemeral range, checked free, never fixed.
# Every run starts its processes fresh, waits for the 8 worker connections, runs the load generator, and
# measures broker and worker CPU from /proc/PID/stat over the load generator's lifetime (as run.sh does).
#
# Usage:  bash bench/run-fullstack.sh      (about 3 minutes with the defaults)
# Knobs (environment):
#   DUR=5 WARM=1 SIZE=64 REPS=2   measured seconds, warm-up seconds, payload bytes, repetitions
#   LOADS="1x1 8x1 8x16 64x1 2000x1"  clients x depth
#   SHARED_FROM=100                ZmqGame clients share loops from this many clients up (0: always)
#   WORKERS=8                      worker connections (C worker threads / worker host slots)
#   ONLY="c_stack zmqgame_stack"   stacks to run
#   SHARED_BENCH=<repo>/../shared/bench   C sources (mdbroker.c, worker.c, loadgen.c, common.h)
#   RESULTS=bench/results/fullstack       results go to RESULTS/<timestamp>/ (results.tsv, env.txt, logs, table.md)
#   ART=bench/.artifacts                  dotnet build output (Release)
#   UPDATE_DOCS=1                         0 = do not rewrite the generated section of docs/performance.md
#   BROKER_ENV=                           extra environment for the ZmqGame broker
#   WORKER_ENV= LOADGEN_ENV=               extra environment for the ZmqGame worker host / load generator
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED_BENCH=${SHARED_BENCH:-$ROOT/../shared/bench}
RESULTS=${RESULTS:-$ROOT/bench/results/fullstack}
ART=${ART:-$ROOT/bench/.artifacts}
UPDATE_DOCS=${UPDATE_DOCS:-1}
BROKER_ENV=${BROKER_ENV:-}
WORKER_ENV=${WORKER_ENV:-}
LOADGEN_ENV=${LOADGEN_ENV:-}
DUR=${DUR:-5}
WARM=${WARM:-1}
SIZE=${SIZE:-64}
REPS=${REPS:-2}
WORKERS=${WORKERS:-8}
LOADS=${LOADS:-"1x1 8x1 8x16 64x1 2000x1"}
SHARED_FROM=${SHARED_FROM:-100}
ONLY=${ONLY:-"c_stack zmqgame_stack"}
PY=${PY:-/usr/bin/python3}
HOST=127.0.0.1
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)

for tool in gcc ss dotnet; do
  command -v $tool >/dev/null 2>&1 || { echo "missing: $tool (run ../shared/bench/run.sh once: it installs the C toolchain and libzmq)" >&2; exit 1; }
done
[ -f "$SHARED_BENCH/mdbroker.c" ] || { echo "C peers not found in $SHARED_BENCH (set SHARED_BENCH=)" >&2; exit 1; }

# ---------------------------------------------------------------- processes
. "$ROOT/bench/procs.sh"
BUILD_TMP=
cleanup() { kill_started; [ -n "$BUILD_TMP" ] && rm -rf "$BUILD_TMP"; }
trap cleanup EXIT

cpu_ticks() { # "user sys" ticks of one PID
  local f; f=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || { echo "0 0"; return; }
  set -- $f; echo "${12} ${13}"
}
ctx_switches() { # voluntary + involuntary context switches of every live thread of one PID
  cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^(voluntary|nonvoluntary)_ctxt_switches:/{n+=$2} END{print n+0}'
}
wait_workers() { # PORT N PID
  local i n=0
  for i in $(seq 150); do
    n=$(ss -Htn state established "dport = :$1" | wc -l)
    [ "$n" -ge "$2" ] && return 0
    kill -0 "$3" 2>/dev/null || { echo "  worker process exited" >&2; return 1; }
    sleep 0.1
  done
  echo "  warn: only $n of $2 worker connections after 15 s" >&2
}
ticks_to_s() { awk -v t="$1" -v k="$CLK_TCK" 'BEGIN{printf "%.2f", t/k}'; }
threads_of_child() { # PID: threads of PID's (first) child process, the load generator under /usr/bin/time
  local child; child=$(cat /proc/"$1"/task/*/children 2>/dev/null | awk '{print $1; exit}')
  [ -n "$child" ] && awk '/^Threads:/{print $2}' /proc/"$child"/status 2>/dev/null
}

# -------------------------------------------------------------------- build
BUILD_TMP=$(mktemp -d "${TMPDIR:-/tmp}/zmqgame-fullstack.XXXXXX") || exit 1
B=$BUILD_TMP
echo "== build C peers into $B"
for p in mdbroker worker loadgen; do
  gcc -O2 -Wall -I"$SHARED_BENCH" -o "$B/$p" "$SHARED_BENCH/$p.c" -lzmq -lpthread || { echo "build of $p failed" >&2; exit 1; }
done
. "$ROOT/bench/build.sh"
build_release broker/ZmqGame.Broker worker/ZmqGame.Worker.Host bench/ZmqGame.Bench
BROKER_DLL=$ART/bin/ZmqGame.Broker/release/ZmqGame.Broker.dll
WORKER_DLL=$ART/bin/ZmqGame.Worker.Host/release/ZmqGame.Worker.Host.dll
BENCH_DLL=$ART/bin/ZmqGame.Bench/release/ZmqGame.Bench.dll
for f in "$BROKER_DLL" "$WORKER_DLL" "$BENCH_DLL"; do [ -f "$f" ] || { echo "missing build output $f" >&2; exit 1; }; done

# ------------------------------------------------------------------ results
mkdir -p "$RESULTS"
RUNDIR=$(cd "$RESULTS" && pwd)/$(date +%Y%m%d-%H%M%S)
mkdir -p "$RUNDIR"
TSV=$RUNDIR/results.tsv
{
  echo "date: $(date -Is)"
  echo "host: $(uname -srm), $NCPU cpus,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
  echo "libzmq: $(pkg-config --modversion libzmq 2>/dev/null)  dotnet: $(dotnet --version)  gcc: $(gcc -dumpfullversion)"
  echo "command: bench/run-fullstack.sh (LOADS=\"$LOADS\" DUR=$DUR WARM=$WARM REPS=$REPS SIZE=$SIZE WORKERS=$WORKERS SHARED_FROM=$SHARED_FROM)"
  echo "zmqgame: $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')${BROKER_ENV:+ broker with $BROKER_ENV}${WORKER_ENV:+ worker with $WORKER_ENV}${LOADGEN_ENV:+ load generator with $LOADGEN_ENV}"
} | tee "$RUNDIR/env.txt"
printf 'rep\tattempt\tconfig\tworkers\tclients\tdepth\treqs\trps\tp50_us\tp99_us\tp999_us\terrors\tsent\tsrv_user_s\tsrv_sys_s\twrk_user_s\twrk_sys_s\tlg_user_s\tlg_sys_s\tsteal_pct\tsrv_ctxsw\twrk_ctxsw\tlg_ctxsw\tlg_threads\tshared_loops\n' >"$TSV"

run_one() { # rep stack clients depth
  local rep=$1 stack=$2 clients=$3 depth=$4 try feport beport fe be srv wrk tag shared=0 up=0
  tag="r${rep}_${stack}_c${clients}_d${depth}"
  [ "$stack" = zmqgame_stack ] && [ "$clients" -ge "$SHARED_FROM" ] && shared=1
  for try in 1 2 3; do # a port taken between the choice and the bind: choose again
    feport=$(free_port) && beport=$(free_port) || return 1
    fe="tcp://$HOST:$feport"; be="tcp://$HOST:$beport"
    case $stack in
      c_stack)
        start_bg "$RUNDIR/$tag.srv.log" "$B/mdbroker" "$fe" "$be"; srv=$LASTPID ;;
      zmqgame_*)
        start_bg "$RUNDIR/$tag.srv.log" env $BROKER_ENV dotnet "$BROKER_DLL" "$fe" "$be" --control tcp://127.0.0.1:0; srv=$LASTPID ;;
    esac
    if wait_listen $feport "$srv" && wait_listen $beport "$srv"; then up=1; break; fi
    echo "  broker did not come up on $fe/$be (attempt $try); log:" >&2; cat "$RUNDIR/$tag.srv.log" >&2; stop_pid "$srv"
  done
  [ $up = 1 ] || return 1
  case $stack in
    c_stack)   start_bg "$RUNDIR/$tag.wrk.log" "$B/worker" --mdp echo "$be" "$WORKERS" ;;
    zmqgame_*) start_bg "$RUNDIR/$tag.wrk.log" env $WORKER_ENV dotnet "$WORKER_DLL" --broker "$be" --slots "$WORKERS" --service game ;;
  esac
  wrk=$LASTPID
  wait_workers $beport "$WORKERS" "$wrk" || { stop_pid "$wrk"; stop_pid "$srv"; return 1; }
  sleep 0.5 # READY

  local c0 c1 w0 w1 x0 x1 y0 y1 st0 st1 t0 t1 rc out err
  c0=$(cpu_ticks "$srv"); w0=$(cpu_ticks "$wrk"); st0=$(steal_ticks); t0=$(date +%s.%N)
  x0=$(ctx_switches "$srv"); y0=$(ctx_switches "$wrk")
  # The load generator's context switches, all its threads included, from its rusage at exit.
  local LGTIME=(/usr/bin/time -f "%w %c" -o "$RUNDIR/$tag.lg.time") lg threads
  case $stack in
    c_stack)
      "${LGTIME[@]}" "$B/loadgen" -e "$fe" -c "$clients" -d "$depth" -s "$SIZE" -t "$DUR" -w "$WARM" --mdp echo \
        >"$RUNDIR/$tag.lg.out" 2>"$RUNDIR/$tag.lg.err" & ;;
    zmqgame_*)
      "${LGTIME[@]}" env $LOADGEN_ENV dotnet "$BENCH_DLL" load --broker "$fe" -c "$clients" -d "$depth" -s "$SIZE" -t "${DUR}s" -w "${WARM}s" \
        --service game --cmd 5 --broker-pid "$srv" --worker-pid "$wrk" --format kv --connect-timeout 30s \
        $([ $shared = 1 ] && echo --shared-loops) >"$RUNDIR/$tag.lg.out" 2>"$RUNDIR/$tag.lg.err" & ;;
  esac
  lg=$!; STARTED+=("$lg")
  # The load generator's threads: the most seen, sampled every half second while it runs.
  ( m=0; while kill -0 "$lg" 2>/dev/null; do
      t=$(threads_of_child "$lg"); [ "${t:-0}" -gt $m ] && { m=$t; echo "$m" >"$RUNDIR/$tag.lg.threads"; }
      sleep 0.5
    done ) &
  local sampler=$!
  wait "$lg"; rc=$?; forget_pid "$lg"; wait "$sampler" 2>/dev/null
  threads=$(cat "$RUNDIR/$tag.lg.threads" 2>/dev/null)
  st1=$(steal_ticks); t1=$(date +%s.%N); c1=$(cpu_ticks "$srv"); w1=$(cpu_ticks "$wrk")
  x1=$(ctx_switches "$srv"); y1=$(ctx_switches "$wrk")
  stop_pid "$wrk"; stop_pid "$srv"
  out=$(cat "$RUNDIR/$tag.lg.out"); err=$(cat "$RUNDIR/$tag.lg.err")
  if [ $rc -ne 0 ] || [ -z "$out" ]; then echo "  load generator failed (rc=$rc): $err" >&2; return 1; fi

  local sent lgu lgs steal su ss wu ws
  if [ "$stack" = c_stack ]; then sent=$(kv sent "$err"); lgu=$(kv cpu_user_s "$err"); lgs=$(kv cpu_sys_s "$err")
  else sent=$(kv sent "$out"); lgu=$(kv lg_user_s "$out"); lgs=$(kv lg_sys_s "$out"); fi
  steal=$(awk -v a="$st0" -v b="$st1" -v t0="$t0" -v t1="$t1" -v k="$CLK_TCK" -v n="$NCPU" 'BEGIN{printf "%.1f", (b-a)/k/((t1-t0)*n)*100}')
  set -- $c0 $c1; su=$(( $3 - $1 )); ss=$(( $4 - $2 ))
  set -- $w0 $w1; wu=$(( $3 - $1 )); ws=$(( $4 - $2 ))
  printf '%s\t' "$rep" 1 "$stack" "$WORKERS" "$clients" "$depth" \
    "$(kv reqs "$out")" "$(kv rps "$out")" "$(kv p50_us "$out")" "$(kv p99_us "$out")" "$(kv p999_us "$out")" \
    "$(kv errors "$out")" "$sent" "$(ticks_to_s $su)" "$(ticks_to_s $ss)" "$(ticks_to_s $wu)" "$(ticks_to_s $ws)" \
    "$lgu" "$lgs" >>"$TSV"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$steal" $(( x1 - x0 )) $(( y1 - y0 )) \
    "$(awk '{print $1 + $2}' "$RUNDIR/$tag.lg.time" 2>/dev/null | tail -n 1)" "${threads:--}" "$shared" >>"$TSV"
  printf '  %-14s %s steal=%s%% threads=%s%s\n' "$stack" "$(echo "$out" | cut -d' ' -f1-10)" "$steal" "${threads:--}" "$([ $shared = 1 ] && echo ' (shared loops)')"
}

T0=$(date +%s)
for rep in $(seq "$REPS"); do
  order=$ONLY
  # alternate which stack goes first, so neither always runs on the warmer machine
  if [ $((rep % 2)) = 0 ]; then order=$(echo "$ONLY" | tr ' ' '\n' | tac | tr '\n' ' '); fi
  for load in $LOADS; do
    clients=${load%x*}; depth=${load#*x}
    for stack in $order; do
      echo "== rep $rep: $stack clients=$clients depth=$depth"
      run_one "$rep" "$stack" "$clients" "$depth" || echo "  (run failed)"
    done
  done
done
echo "matrix time: $(( $(date +%s) - T0 )) s" | tee -a "$RUNDIR/env.txt"

"$PY" "$ROOT/bench/tables.py" fullstack "$RUNDIR" >"$RUNDIR/table.md"
echo
cat "$RUNDIR/table.md"
if [ "$UPDATE_DOCS" = 1 ]; then
  "$PY" "$ROOT/bench/tables.py" splice "$ROOT/docs/performance.md" fullstack "$RUNDIR/table.md"
  echo "docs/performance.md: fullstack section regenerated"
fi
echo "results: $RUNDIR"

#!/usr/bin/env bash
# Abuse limits under a flood: one ZmqGame client floods the broker as fast as it can (many requests in flight) beside
# well-behaved ZmqGame clients (each one request in flight, paced under the limit), against a broker process with the
# per-session request rate limit on and a ZmqGame worker host (typed echo route: service game, cmd 5). Quiet and flood
# phases alternate in one run; prints the well-behaved clients' p50/p99 with the flooder against without it, by ratio.
#
# Usage:  bash bench/run-flood.sh        (about a minute with the defaults)
# Knobs (environment):
#   RPS=100 BURST=200      the broker's --session-rps / --session-burst
#   CLIENTS=32 RATE=50     well-behaved clients, and each one's paced request rate (under RPS)
#   DUR=5 ROUNDS=3 DEPTH=64 WORKERS=8   seconds per phase, quiet+flood rounds, the flooder's requests in flight, worker slots
#   ART=bench/.artifacts   dotnet build output (Release)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ART=${ART:-$ROOT/bench/.artifacts}
RPS=${RPS:-100}
BURST=${BURST:-200}
CLIENTS=${CLIENTS:-32}
RATE=${RATE:-50}
DUR=${DUR:-5}
ROUNDS=${ROUNDS:-3}
DEPTH=${DEPTH:-64}
WORKERS=${WORKERS:-8}

STARTED=()
cleanup() {
  local p
  for p in "${STARTED[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${STARTED[@]}"; do wait "$p" 2>/dev/null; done
  [ -n "${LOGS:-}" ] && rm -rf "$LOGS"
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

. "$ROOT/bench/build.sh"
build_release broker/ZmqGame.Broker worker/ZmqGame.Worker.Host bench/ZmqGame.Bench
BROKER_DLL=$ART/bin/ZmqGame.Broker/release/ZmqGame.Broker.dll
WORKER_DLL=$ART/bin/ZmqGame.Worker.Host/release/ZmqGame.Worker.Host.dll
BENCH_DLL=$ART/bin/ZmqGame.Bench/release/ZmqGame.Bench.dll
LOGS=$(mktemp -d "${TMPDIR:-/tmp}/zmqgame-flood.XXXXXX") || exit 1

# The broker binds free ports and says which in its start-up line.
dotnet "$BROKER_DLL" tcp://127.0.0.1:0 tcp://127.0.0.1:0 --control tcp://127.0.0.1:0 --session-key-file "" \
  --session-rps "$RPS" --session-burst "$BURST" >"$LOGS/broker.log" 2>&1 &
BROKER=$!; STARTED+=("$BROKER")
for i in $(seq 150); do grep -q "Broker listening" "$LOGS/broker.log" && break; kill -0 $BROKER 2>/dev/null || break; sleep 0.1; done
LINE=$(grep -m1 "Broker listening" "$LOGS/broker.log") || { echo "broker did not start:" >&2; cat "$LOGS/broker.log" >&2; exit 1; }
FE=$(echo "$LINE" | sed -E 's/.*frontend ([^ ,]+).*/\1/')
BE=$(echo "$LINE" | sed -E 's/.*backend ([^ ,]+).*/\1/')
BEPORT=${BE##*:}
echo "broker pid $BROKER: frontend $FE, backend $BE, --session-rps $RPS --session-burst $BURST"

dotnet "$WORKER_DLL" --broker "$BE" --slots "$WORKERS" --service game >"$LOGS/worker.log" 2>&1 &
WORKER=$!; STARTED+=("$WORKER")
for i in $(seq 150); do
  [ "$(ss -Htn state established "dport = :$BEPORT" | wc -l)" -ge "$WORKERS" ] && break
  kill -0 $WORKER 2>/dev/null || { echo "worker host exited:" >&2; cat "$LOGS/worker.log" >&2; exit 1; }
  sleep 0.1
done
sleep 0.5 # READY after the connections

echo "== $(date -Is) $(uname -srm), $(nproc) cpus, zmqgame $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null)"
dotnet "$BENCH_DLL" flood --broker "$FE" -c "$CLIENTS" --rate "$RATE" -t "$DUR" --rounds "$ROUNDS" --flood-depth "$DEPTH"
rc=$?
echo "broker log (abuse limits):"
grep -E "Abuse limits|Rate limited" "$LOGS/broker.log" | head -n 3
exit $rc

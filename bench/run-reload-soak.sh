#!/usr/bin/env bash
# Reload soak: rolling reloads back to back under a steady closed-loop load, every request counted.
#   a broker, a worker host in supervisor mode (--processes 2), `client load -c CLIENTS -d DEPTH` against the typed echo
#   route, and RELOADS x `trigger workers reload --supervisor …`, each waited for (exit 0 = "Reload complete").
# Prints sent / ok / errors by status / unanswered from the load generator and the broker's worker_lost,
# redispatched and workers_disconnected counters; exits 1 on any error, unanswered request, lost worker or failed reload.
#
# Usage:  bash bench/run-reload-soak.sh        (about 5 s per reload on 2 cores)
# Knobs (environment):
#   RELOADS=50 CLIENTS=16 DEPTH=2 PROCESSES=2 SLOTS=4   reloads, load shape, worker processes and slots per process
#   ART=bench/.artifacts                                dotnet build output (Release)
#   LOGS=bench/results/reload-soak                      logs go to LOGS/<timestamp>/
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ART=${ART:-$ROOT/bench/.artifacts}
RELOADS=${RELOADS:-50}
CLIENTS=${CLIENTS:-16}
DEPTH=${DEPTH:-2}
PROCESSES=${PROCESSES:-2}
SLOTS=${SLOTS:-4}
LOGS=${LOGS:-$ROOT/bench/results/reload-soak}/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$LOGS"

STARTED=()
cleanup() {
  local p
  for p in "${STARTED[@]}"; do kill -TERM "$p" 2>/dev/null; done
  sleep 0.5
  for p in "${STARTED[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

wait_line() { # FILE REGEX SECONDS: the first matching line of a log, or failure
  local i
  for i in $(seq $(($3 * 10))); do grep -m1 -E "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

. "$ROOT/bench/build.sh"
build_release broker/ZmqGame.Broker worker/ZmqGame.Worker.Host client/ZmqGame.Client.Cli trigger/ZmqGame.Trigger.Cli
BROKER=$ART/bin/ZmqGame.Broker/release/ZmqGame.Broker.dll
WORKER=$ART/bin/ZmqGame.Worker.Host/release/ZmqGame.Worker.Host.dll
CLIENT=$ART/bin/ZmqGame.Client.Cli/release/client.dll
TRIGGER=$ART/bin/ZmqGame.Trigger.Cli/release/trigger.dll

echo "== broker"
dotnet "$BROKER" tcp://127.0.0.1:0 tcp://127.0.0.1:0 --control tcp://127.0.0.1:0 --session-key-file "" >"$LOGS/broker.log" 2>&1 &
STARTED+=($!)
line=$(wait_line "$LOGS/broker.log" 'Broker listening: frontend' 30) || { echo "broker did not start" >&2; cat "$LOGS/broker.log" >&2; exit 1; }
FRONTEND=$(sed -E 's/.*frontend (\S+), backend.*/\1/' <<<"$line")
BACKEND=$(sed -E 's/.*backend (\S+), control.*/\1/' <<<"$line")
CONTROL=$(sed -E 's/.*control (\S+).*/\1/' <<<"$line")
echo "   frontend $FRONTEND backend $BACKEND control $CONTROL"

echo "== supervisor: $PROCESSES processes x $SLOTS slots"
dotnet "$WORKER" --processes "$PROCESSES" --slots "$SLOTS" --service game --broker "$BACKEND" --control "$CONTROL" \
  --admin tcp://127.0.0.1:0 >"$LOGS/supervisor.log" 2>&1 &
STARTED+=($!)
line=$(wait_line "$LOGS/supervisor.log" 'admin endpoint listening on' 30) || { echo "supervisor did not start" >&2; cat "$LOGS/supervisor.log" >&2; exit 1; }
ADMIN=$(sed -E 's/.*listening on (\S+) .*/\1/' <<<"$line")
for i in $(seq 300); do
  idle=$(dotnet "$TRIGGER" stats --json --broker "$CONTROL" 2>/dev/null | grep -o '"idle":[0-9]*' | head -1 | cut -d: -f2)
  [ "${idle:-0}" -ge $((PROCESSES * SLOTS)) ] && break
  sleep 0.2
done
[ "${idle:-0}" -ge $((PROCESSES * SLOTS)) ] || { echo "workers not ready" >&2; exit 1; }

echo "== load: $CLIENTS clients x $DEPTH in flight; $RELOADS reloads back to back"
# Its own process group, so that SIGINT (the CLI's Ctrl-C: stop sending, drain, report) reaches it.
set -m
dotnet "$CLIENT" load --broker "$FRONTEND" -c "$CLIENTS" -d "$DEPTH" -w 0 -t 12:00:00 --timeout 10s --format both >"$LOGS/load.log" 2>&1 &
LOAD=$!
set +m
STARTED+=($LOAD)
sleep 2
failed=0
started=$(date +%s)
for r in $(seq "$RELOADS"); do
  if ! dotnet "$TRIGGER" workers reload --supervisor "$ADMIN" >"$LOGS/reload-$r.log" 2>&1; then
    echo "   reload $r failed: $(tail -1 "$LOGS/reload-$r.log")"
    failed=$((failed + 1))
  fi
  [ $((r % 10)) -eq 0 ] && echo "   $r reloads done ($(($(date +%s) - started)) s)"
done
sleep 1
kill -INT "$LOAD"
wait "$LOAD"

stats=$(dotnet "$TRIGGER" stats --json --broker "$CONTROL")
counter() { grep -o "\"$1\":[0-9]*" <<<"$stats" | head -1 | cut -d: -f2; }
kv=$(grep -E '^clients=' "$LOGS/load.log" | tail -1)
value() { tr ' ' '\n' <<<"$kv" | grep -E "^$1=" | cut -d= -f2; }
echo "== result ($LOGS)"
echo "   reloads:     $RELOADS ($failed failed) in $(($(date +%s) - started)) s"
echo "   requests:    sent $(value sent)  ok $(value ok)  errors $(value errors)  unanswered $(value unanswered)"
echo "   errors by status: $(tr ' ' '\n' <<<"$kv" | grep -E '^err_' | grep -v '=0$' | tr '\n' ' ')"
echo "   broker:      worker_lost $(counter worker_lost)  redispatched $(counter redispatched)  workers_disconnected $(counter workers_disconnected)  workers_registered $(counter workers_registered)"
echo "   supervisor:  $(grep -c 'Reload complete' "$LOGS/supervisor.log") reloads complete, $(grep -c 'REQUEST after DISCONNECT' "$LOGS/supervisor.log") requests dropped after DISCONNECT"
if [ "$failed" -ne 0 ] || [ "$(value errors)" != 0 ] || [ "$(value unanswered)" != 0 ] || [ "$(counter worker_lost)" != 0 ] || [ -z "$kv" ]; then
  echo "LOSS" >&2
  exit 1
fi
echo "no loss"

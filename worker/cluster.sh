#!/usr/bin/env bash
# Starts a complete local ZmqGame cluster: one broker and one worker host serving the sample
# services (echo, game, lobby). Ctrl-C (or SIGTERM) stops both gracefully.
#
#   bash worker/cluster.sh                       # frontend tcp://*:5555, backend :5556, control 127.0.0.1:5557
#   FRONTEND_PORT=6555 BACKEND_PORT=6556 CONTROL_PORT=6557 bash worker/cluster.sh
#   bash worker/cluster.sh --slots 4 --service echo,game   # extra arguments go to the worker host
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

FRONTEND_PORT=${FRONTEND_PORT:-5555}
BACKEND_PORT=${BACKEND_PORT:-5556}
CONTROL_PORT=${CONTROL_PORT:-5557}
CONFIGURATION=${CONFIGURATION:-Release}
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

echo "== building (${CONFIGURATION})"
dotnet build ZmqGame.sln -c "$CONFIGURATION" -v quiet -nologo >/dev/null || {
  echo "build failed; run: dotnet build ZmqGame.sln -c $CONFIGURATION" >&2
  exit 1
}

bin() { echo "$root/$1/bin/$CONFIGURATION/net10.0/$2.dll"; }

broker_pid=
worker_pid=
stop() {
  trap - INT TERM EXIT
  [ -n "$worker_pid" ] && kill -TERM "$worker_pid" 2>/dev/null && wait "$worker_pid" 2>/dev/null
  [ -n "$broker_pid" ] && kill -TERM "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null
  echo "== cluster stopped"
}
trap stop INT TERM EXIT

dotnet "$(bin broker/ZmqGame.Broker ZmqGame.Broker)" \
  --frontend "tcp://*:$FRONTEND_PORT" --backend "tcp://*:$BACKEND_PORT" --control "tcp://127.0.0.1:$CONTROL_PORT" &
broker_pid=$!
dotnet "$(bin worker/ZmqGame.Worker.Host ZmqGame.Worker.Host)" --broker "tcp://127.0.0.1:$BACKEND_PORT" "$@" &
worker_pid=$!

echo "== cluster up: clients -> tcp://127.0.0.1:$FRONTEND_PORT, workers -> tcp://127.0.0.1:$BACKEND_PORT, trigger -> tcp://127.0.0.1:$CONTROL_PORT (Ctrl-C stops)"
# Stop everything as soon as either process ends by itself.
wait -n "$broker_pid" "$worker_pid" || true

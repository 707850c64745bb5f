#!/usr/bin/env bash
# Starts a complete local ZmqGame cluster: one or more brokers and one worker host serving the sample
# services (echo, game, lobby), attached to every broker. Ctrl-C (or SIGTERM) stops everything gracefully.
#
#   bash worker/cluster.sh                       # one broker: frontend tcp://*:5555, backend :5556, control 127.0.0.1:5557
#   bash worker/cluster.sh --brokers 3           # three brokers on NATS: 5555/5556/5557, 5565/5566/5567, 5575/5576/5577
#   FRONTEND_PORT=6555 BACKEND_PORT=6556 CONTROL_PORT=6557 bash worker/cluster.sh
#   bash worker/cluster.sh --slots 4 --service echo,game   # other arguments go to the worker host
#
# With more than one broker the brokers join a cluster through NATS: NATS_URL names a running nats-server (with
# JetStream on); without it the script starts one on NATS_PORT (default 4222) when nats-server is installed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

FRONTEND_PORT=${FRONTEND_PORT:-5555}
BACKEND_PORT=${BACKEND_PORT:-5556}
CONTROL_PORT=${CONTROL_PORT:-5557}
NATS_PORT=${NATS_PORT:-4222}
CONFIGURATION=${CONFIGURATION:-Release}
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

brokers=1
worker_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --brokers) [ $# -ge 2 ] || { echo "cluster.sh: --brokers needs a number" >&2; exit 2; }; brokers=$2; shift 2 ;;
    --brokers=*) brokers=${1#--brokers=}; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) worker_args+=("$1"); shift ;;
  esac
done
case "$brokers" in
  ''|*[!0-9]*|0) echo "cluster.sh: --brokers: '$brokers' is not a number of brokers (1 or more)" >&2; exit 2 ;;
esac

nats_url=
if [ "$brokers" -gt 1 ]; then
  if [ -n "${NATS_URL:-}" ]; then
    nats_url=$NATS_URL
  elif ! command -v nats-server >/dev/null 2>&1; then
    echo "cluster.sh: --brokers $brokers needs NATS: install nats-server (Debian: sudo apt-get install nats-server)," >&2
    echo "or set NATS_URL to a running nats-server with JetStream on (nats-server -js)" >&2
    exit 1
  fi
fi

echo "== building (${CONFIGURATION})"
dotnet build ZmqGame.sln -c "$CONFIGURATION" -v quiet -nologo >/dev/null || {
  echo "build failed; run: dotnet build ZmqGame.sln -c $CONFIGURATION" >&2
  exit 1
}

bin() { echo "$root/$1/bin/$CONFIGURATION/net10.0/$2.dll"; }

pids=()
nats_pid=
nats_dir=
stop() {
  trap - INT TERM EXIT
  # Workers first (they drain), then the brokers, then NATS.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[$i]}" 2>/dev/null && wait "${pids[$i]}" 2>/dev/null || true
  done
  if [ -n "$nats_pid" ]; then kill -TERM "$nats_pid" 2>/dev/null && wait "$nats_pid" 2>/dev/null || true; fi
  [ -n "$nats_dir" ] && rm -rf "$nats_dir"
  echo "== cluster stopped"
}
trap stop INT TERM EXIT

if [ "$brokers" -gt 1 ] && [ -z "$nats_url" ]; then
  nats_dir=$(mktemp -d)
  nats-server -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$nats_dir" -l "$nats_dir/nats.log" &
  nats_pid=$!
  nats_url="nats://127.0.0.1:$NATS_PORT"
  for _ in $(seq 1 100); do
    grep -q "Server is ready" "$nats_dir/nats.log" 2>/dev/null && break
    kill -0 "$nats_pid" 2>/dev/null || { echo "cluster.sh: nats-server did not start:" >&2; cat "$nats_dir/nats.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "== nats-server with JetStream on $nats_url"
fi

frontends=()
backends=()
controls=()
for ((i = 0; i < brokers; i++)); do
  frontend=$((FRONTEND_PORT + 10 * i)) backend=$((BACKEND_PORT + 10 * i)) control=$((CONTROL_PORT + 10 * i))
  cluster_args=()
  [ -n "$nats_url" ] && cluster_args=(--cluster "$nats_url")
  dotnet "$(bin broker/ZmqGame.Broker ZmqGame.Broker)" ${cluster_args[@]+"${cluster_args[@]}"} \
    --frontend "tcp://*:$frontend" --backend "tcp://*:$backend" --control "tcp://127.0.0.1:$control" &
  pids+=($!)
  frontends+=("tcp://127.0.0.1:$frontend")
  backends+=("tcp://127.0.0.1:$backend")
  controls+=("tcp://127.0.0.1:$control")
done
join() { local IFS=,; echo "$*"; }

dotnet "$(bin worker/ZmqGame.Worker.Host ZmqGame.Worker.Host)" --broker "$(join "${backends[@]}")" \
  ${worker_args[@]+"${worker_args[@]}"} &
pids+=($!)

echo "== cluster up: $brokers broker(s); clients -> $(join "${frontends[@]}"), workers -> $(join "${backends[@]}"), trigger -> $(join "${controls[@]}") (Ctrl-C stops)"
# Stop everything as soon as any process ends by itself.
wait -n "${pids[@]}" || true

# Sourced by the bench scripts: the processes a bench starts, their ports, and small readers of their output.
# Every process started with start_bg is in STARTED until stop_pid; kill_started (the EXIT trap this file sets) ends
# whatever is left, so an interrupted or failed bench leaves nothing running. A script with more to clean up sets its
# own EXIT trap and calls kill_started from it.

STARTED=()
PY=${PY:-/usr/bin/python3}

# start_bg LOG CMD...: runs CMD in the background, output to LOG; its PID in LASTPID.
start_bg() { local log=$1; shift; "$@" >"$log" 2>&1 & LASTPID=$!; STARTED+=("$LASTPID"); }

# forget_pid PID: no longer ours to stop.
forget_pid() { local p keep=(); for p in "${STARTED[@]}"; do [ "$p" != "$1" ] && keep+=("$p"); done; STARTED=("${keep[@]}"); }

# stop_pid PID [SECONDS]: SIGTERM, then SIGKILL (with a warning) if it is still there after SECONDS (5).
stop_pid() {
  local pid=$1 tenths=$(( ${2:-5} * 10 )) i
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq "$tenths"); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then echo "  warn: pid $pid ignored SIGTERM for ${2:-5} s, sending SIGKILL" >&2; kill -KILL "$pid" 2>/dev/null; fi
  wait "$pid" 2>/dev/null
  forget_pid "$pid"
}

# stop_all [SECONDS]: stop_pid of every process still started.
stop_all() { local p; for p in "${STARTED[@]}"; do stop_pid "$p" "${1:-5}"; done; STARTED=(); }

# kill_started: SIGTERM to every process still started, a moment to go, then SIGKILL.
kill_started() {
  local p
  rm -f "$PORT_LOG"
  [ ${#STARTED[@]} -eq 0 ] && return 0
  for p in "${STARTED[@]}"; do kill -TERM "$p" 2>/dev/null; done
  sleep 0.3
  for p in "${STARTED[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  STARTED=()
}
trap kill_started EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

. "$(dirname "${BASH_SOURCE[0]}")/ports.sh"

# wait_listen PORT PID: until PID listens on PORT (10 s); fails at once if PID exits.
wait_listen() { local i; for i in $(seq 100); do ss -Hltnp "sport = :$1" | grep -q "pid=$2," && return 0; kill -0 "$2" 2>/dev/null || return 1; sleep 0.1; done; return 1; }

# kv KEY "k=v k=v ...": the value of KEY in a line of key=value words.
kv() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -1; }

# steal_ticks: CPU time stolen by the hypervisor so far (/proc/stat), to report a noisy machine.
steal_ticks() { awk '/^cpu /{print $9; exit}' /proc/stat; }

#!/usr/bin/env bash
# ZmqGame broker next to the C Majordomo broker (mdbroker), both fed by the same C MDP echo workers and
# driven by the same C load generator, interleaved in one run of the shared peer bench (../shared/bench/run.sh).
#
# Usage:  bash bench/run-peers.sh          (about 2.5 minutes with the defaults)
# Knobs (environment), besides every knob of run.sh (DUR, WARM, SIZE, REPS, STEAL_MAX, ...):
#   SHARED_BENCH=<repo>/../shared/bench   where run.sh and the C peers live
#   ONLY="mdbroker_w8 extra"              configs to run (extra = the ZmqGame broker)
#   RESULTS=bench/results/peers           results go to RESULTS/<timestamp>/ (run.sh's files + table.md)
#   ART=bench/.artifacts                  dotnet build output (Release)
#   UPDATE_DOCS=1                         0 = do not rewrite the generated section of docs/performance.md
#   BROKER_ENV=                           extra environment for the broker, e.g.
#                                         BROKER_ENV='DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1'
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED_BENCH=${SHARED_BENCH:-$ROOT/../shared/bench}
RESULTS=${RESULTS:-$ROOT/bench/results/peers}
ART=${ART:-$ROOT/bench/.artifacts}
UPDATE_DOCS=${UPDATE_DOCS:-1}
BROKER_ENV=${BROKER_ENV:-}
PY=${PY:-/usr/bin/python3}

[ -f "$SHARED_BENCH/run.sh" ] || { echo "run.sh not found in $SHARED_BENCH (set SHARED_BENCH=)" >&2; exit 1; }
mkdir -p "$RESULTS"
RESULTS=$(cd "$RESULTS" && pwd)

echo "== build ZmqGame.Broker (Release) into $ART"
dotnet build "$ROOT/broker/ZmqGame.Broker/ZmqGame.Broker.csproj" -c Release --artifacts-path "$ART" -nologo -v q >/dev/null
DLL=$ART/bin/ZmqGame.Broker/release/ZmqGame.Broker.dll
[ -f "$DLL" ] || { echo "broker build output not found: $DLL" >&2; exit 1; }

# The control endpoint on port 0, so two runs never fight over it. run.sh execs the command: its PID is the broker's.
export EXTRA_MDP=1 EXTRA_NAME=zmqgame EXTRA_WORKERS=8
export EXTRA_CMD="${BROKER_ENV:+env $BROKER_ENV }dotnet $DLL {FE} {BE} --control tcp://127.0.0.1:0"
export ONLY=${ONLY:-"mdbroker_w8 extra"}
export RESULTS_DIR=$RESULTS PY

before=$(ls -1 "$RESULTS")
bash "$SHARED_BENCH/run.sh"
RUNDIR=
for d in $(ls -1 "$RESULTS"); do
  if ! grep -qx "$d" <<<"$before"; then RUNDIR=$RESULTS/$d; fi
done
[ -n "$RUNDIR" ] && [ -f "$RUNDIR/results.tsv" ] || { echo "no results from run.sh" >&2; exit 1; }
{
  echo "command: bench/run-peers.sh (ONLY=\"$ONLY\" DUR=${DUR:-5} WARM=${WARM:-1} REPS=${REPS:-2} SIZE=${SIZE:-64})"
  echo "zmqgame: $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')${BROKER_ENV:+ with $BROKER_ENV}"
} >>"$RUNDIR/env.txt"

"$PY" "$ROOT/bench/tables.py" peers "$RUNDIR" >"$RUNDIR/table.md"
echo
cat "$RUNDIR/table.md"
if [ "$UPDATE_DOCS" = 1 ]; then
  "$PY" "$ROOT/bench/tables.py" splice "$ROOT/docs/performance.md" peers "$RUNDIR/table.md"
  echo "docs/performance.md: peers section regenerated"
fi
echo "results: $RUNDIR"

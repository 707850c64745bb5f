#!/usr/bin/env bash
# Fills Plugins/ beside package.json (or --out DIR) with the netstandard2.1 DLLs package.json lists, built from this
# repository: ZmqGame.Client, ZmqGame.Protocol, ZmqGame.Transport and every library they need.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/Plugins"
configuration=Release
usage="usage: bash client/unity/plugins.sh [--out DIR] [--configuration Release|Debug]"
while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || { echo "error: --out needs a folder ($usage)" >&2; exit 2; }; out="$2"; shift 2 ;;
    --configuration|-c) [ $# -ge 2 ] || { echo "error: $1 needs a value ($usage)" >&2; exit 2; }; configuration="$2"; shift 2 ;;
    -h|--help) echo "$usage"; exit 0 ;;
    *) echo "error: unknown option $1 ($usage)" >&2; exit 2 ;;
  esac
done

consumer="$here/Consumer~/ZmqGame.Unity.Consumer"
dotnet build "$consumer/ZmqGame.Unity.Consumer.csproj" -c "$configuration" -nologo -v q
bin="$consumer/bin/$configuration/netstandard2.1"
mkdir -p "$out"
dlls=$(sed -n 's/^ *"\([A-Za-z0-9.]*\.dll\)",\{0,1\}$/\1/p' "$here/package.json")
for dll in $dlls; do
  cp "$bin/$dll" "$out/"
done
echo "copied $(echo "$dlls" | wc -w) DLLs to $out"

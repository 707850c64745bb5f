# Sourced by the bench scripts (through procs.sh, or directly): free_port and port_used.
PY=${PY:-/usr/bin/python3}

# Ports for the processes a bench starts. Never in the kernel's ephemeral range (ip_local_port_range): a port there
# may be taken by any outgoing connection (a load generator's thousands of clients) between the choice and the bind,
# which is how fixed ports once failed with "address already in use". So: a random port below that range (above it
# when it starts too low), with no socket on it in any state (TIME-WAIT too), never handed out twice by this script.
PORT_LOG=${TMPDIR:-/tmp}/zmqgame-bench-ports.$$

# port_used PORT: some socket, in any state, has PORT as its local port.
port_used() { ss -Htan "sport = :$1" | grep -q .; }

# port_range: "LO HI", where bench ports are chosen (outside the ephemeral range).
port_range() {
  local elo=32768 ehi=60999
  [ -r /proc/sys/net/ipv4/ip_local_port_range ] && read -r elo ehi </proc/sys/net/ipv4/ip_local_port_range
  if [ "$elo" -gt 12000 ]; then echo "10000 $((elo - 1))"
  elif [ "$ehi" -lt 63000 ]; then echo "$((ehi + 1)) 65535"
  else echo "0 0"; fi
}

# free_port: a TCP port for a process to listen on (see above); the kernel's choice when there is no room outside.
free_port() {
  local lo hi p i
  read -r lo hi <<<"$(port_range)"
  if [ "$hi" -le 0 ]; then
    "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; return
  fi
  for i in $(seq 500); do
    p=$(( lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1) ))
    grep -qx "$p" "$PORT_LOG" 2>/dev/null && continue
    port_used "$p" && continue
    echo "$p" >>"$PORT_LOG"; echo "$p"; return 0
  done
  echo "free_port: no free port in $lo-$hi" >&2; return 1
}

"""libzmq peers for ZmqGame's interop tests (pyzmq on libzmq). One line per event on stdout; the first is
"PORT <n>" for the modes that bind (tcp://127.0.0.1, a free port). Exits after LIFETIME seconds at most.

  router [hb]                          ROUTER: echoes each message with a "from-libzmq" frame appended; a message
                                       "idle" makes it wait IDLE seconds (with heartbeats on: PING every 50 ms,
                                       250 ms timeout), then answer "idle-done".
  client dealer|req <endpoint> [hb] <service> <frame>...
                                       Stock MDP client (MDPC01) request through a broker; prints REPLY <json>.
                                       With hb: heartbeats on, waits IDLE seconds, sends the request again.
  mdpbroker [--echo-worker] [<service> <frame>...]
                                       Minimal Majordomo broker (MDP/0.1, RFC 7) on one ROUTER. With --echo-worker it runs an
                                       MDP echo worker ("echo") of its own; with a service, a client sends one request
                                       to it once a worker of it is READY. Prints WORKER-READY, REPLY <json>.
Frame arguments: "big:<n>" is n bytes of a fixed pattern, anything else is UTF-8 text.
"""
import json
import sys
import time

import zmq
from zmq.utils.monitor import recv_monitor_message

LIFETIME = 60
IDLE = 1.5
EVENTS = {v: n[6:] for n, v in vars(zmq).items() if n.startswith("EVENT_") and isinstance(v, int) and n != "EVENT_ALL"}
ctx = zmq.Context()
started = time.monotonic()


def out(*parts):
    print(*parts, flush=True)


def frame(spec):
    if spec.startswith("big:"):
        n = int(spec[4:])
        return bytes((i * 7 + 3) % 251 for i in range(n))
    return spec.encode()


def describe(frames, sent):
    return json.dumps({
        "frames": [f.decode("utf-8", "replace") if len(f) <= 64 else "<%d bytes>" % len(f) for f in frames],
        "sizes": [len(f) for f in frames],
        "equal": frames == sent,
    })


def heartbeat(sock):
    sock.setsockopt(zmq.HEARTBEAT_IVL, 50)
    sock.setsockopt(zmq.HEARTBEAT_TIMEOUT, 250)


def socket(kind, hb=False):
    sock = ctx.socket(kind)
    sock.linger = 0
    if hb:
        heartbeat(sock)
    return sock, sock.get_monitor_socket()


def print_events(mon):
    while mon.poll(0):
        ev = recv_monitor_message(mon)
        out("EVENT", EVENTS.get(ev["event"], ev["event"]), ev["value"])


def idle(mon):
    # Heartbeats (PING from libzmq, PONG from the peer) are all that crosses the connection meanwhile.
    end = time.monotonic() + IDLE
    while time.monotonic() < end:
        if mon.poll(50):
            print_events(mon)


def alive():
    return time.monotonic() - started < LIFETIME


def router(args):
    sock, mon = socket(zmq.ROUTER, "hb" in args)
    out("PORT", sock.bind_to_random_port("tcp://127.0.0.1"))
    while alive():
        print_events(mon)
        if not sock.poll(50):
            continue
        ident, *body = sock.recv_multipart()
        out("GOT", json.dumps([len(f) for f in body]))
        if body == [b"idle"]:
            idle(mon)
            out("IDLE-DONE")
            sock.send_multipart([ident, b"idle-done"])
        else:
            sock.send_multipart([ident, *body, b"from-libzmq"])


def client(args):
    kind, endpoint, *rest = args
    hb = rest[0] == "hb"
    service, *specs = rest[1:] if hb else rest
    sock, mon = socket(zmq.DEALER if kind == "dealer" else zmq.REQ, hb)
    sock.connect(endpoint)
    body = [frame(s) for s in specs]
    for attempt in range(2 if hb else 1):
        if attempt:
            idle(mon)
        sock.send_multipart(([b""] if kind == "dealer" else []) + [b"MDPC01", service.encode(), *body])
        if not sock.poll(10000):
            print_events(mon)
            out("TIMEOUT")
            return
        reply = sock.recv_multipart()
        if kind == "dealer":
            reply = reply[1:]
        print_events(mon)
        out("REPLY", reply[0].decode(), reply[1].decode(), describe(reply[2:], body))


def mdpbroker(args):
    echo = bool(args) and args[0] == "--echo-worker"
    args = args[1:] if echo else args
    service, specs = (args[0].encode(), args[1:]) if args else (None, [])
    body = [frame(s) for s in specs]
    broker = ctx.socket(zmq.ROUTER)
    broker.linger = 0
    port = broker.bind_to_random_port("tcp://127.0.0.1")
    endpoint = "tcp://127.0.0.1:%d" % port
    poller = zmq.Poller()
    poller.register(broker, zmq.POLLIN)
    workers = {}
    worker = client_sock = None
    if echo:
        worker = ctx.socket(zmq.DEALER)
        worker.linger = 0
        worker.connect(endpoint)
        worker.send_multipart([b"", b"MDPW01", b"\x01", b"echo"])
        poller.register(worker, zmq.POLLIN)
    out("PORT", port)
    next_heartbeat = time.monotonic() + 1
    while alive():
        if time.monotonic() >= next_heartbeat:
            next_heartbeat = time.monotonic() + 1
            for ids in workers.values():
                for wid in ids:
                    broker.send_multipart([wid, b"", b"MDPW01", b"\x04"])
        ready = dict(poller.poll(100))
        if broker in ready:
            sender, _, header, *rest = broker.recv_multipart()
            if header == b"MDPW01":
                command = rest[0]
                if command == b"\x01":
                    workers.setdefault(rest[1], []).append(sender)
                    out("WORKER-READY", rest[1].decode())
                    if rest[1] == service and client_sock is None:
                        client_sock = ctx.socket(zmq.DEALER)
                        client_sock.linger = 0
                        client_sock.connect(endpoint)
                        client_sock.send_multipart([b"", b"MDPC01", service, *body])
                        poller.register(client_sock, zmq.POLLIN)
                elif command == b"\x03":
                    to, _, *reply = rest[1:]
                    svc = next((s for s, ids in workers.items() if sender in ids), b"")
                    broker.send_multipart([to, b"", b"MDPC01", svc, *reply])
                elif command == b"\x05":
                    out("WORKER-DISCONNECT")
            elif header == b"MDPC01":
                svc, *request = rest
                ids = workers.get(svc)
                if ids:
                    ids.append(ids.pop(0))
                    broker.send_multipart([ids[-1], b"", b"MDPW01", b"\x02", sender, b"", *request])
                else:
                    out("NO-WORKER", svc.decode())
        if worker is not None and worker in ready:
            _, _, command, *rest = worker.recv_multipart()
            if command == b"\x02":
                to, _, *request = rest
                worker.send_multipart([b"", b"MDPW01", b"\x03", to, b"", *request])
        if client_sock is not None and client_sock in ready:
            _, header, svc, *reply = client_sock.recv_multipart()
            out("REPLY", header.decode(), svc.decode(), describe(reply, body))


{"router": router, "client": client, "mdpbroker": mdpbroker}[sys.argv[1]](sys.argv[2:])

// The bytes of each message, read and written as docs/protocol.md and RFC 45 give them, and the client's small
// parts (reconnect order, backoff, push buffers, deadlines) on their own.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { encode } from "@msgpack/msgpack";
import * as Frames from "../dist/frames.js";
import { ZwsLink, encodeCommand, encodeProperties, decodeProperties } from "../dist/zws.js";
import { roundOrder, backoffDelay } from "../dist/reconnect.js";
import { PushFanOut } from "../dist/pushes.js";
import { RequestTable, BROKER_DEADLINE_GRACE_MS } from "../dist/requests.js";
import { Status, statusName, decodePayload, encodePayload } from "../dist/index.js";

const bytes = (...values) => Uint8Array.from(values.flatMap((v) => (typeof v === "string" ? [...Buffer.from(v)] : [v])));

describe("ZGC01 frames", () => {
  test("the request header: 'ZG', version 1, kind 1, u64 id, i32 command, u32 timeout, big-endian", () => {
    assert.deepEqual(Frames.requestHeader(0x0102030405060708n, -2, 300), bytes("ZG", 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xff, 0xff, 0xfe, 0, 0, 1, 0x2c));
  });

  test("a request with a session is SESSION REQUEST [\"\"][ZGC01][0x08][session id][service][header][payload]", () => {
    const header = Frames.requestHeader(1n, 2, 10);
    const frames = Frames.request(5n, bytes("game"), header, bytes(0x80));
    assert.deepEqual(frames, [bytes(), bytes("ZGC01"), bytes(8), bytes(0, 0, 0, 0, 0, 0, 0, 5), bytes("game"), header, bytes(0x80)]);
    assert.deepEqual(Frames.request(0n, bytes("game"), header, bytes(0x80)).slice(2, 4), [bytes(1), bytes("game")]);
    assert.equal(Frames.requestSize(bytes("game"), bytes(0x80)), 5 + 1 + 8 + 4 + 20 + 1);
  });

  test("HELLO, HEARTBEAT with and without a session, CLOSE", () => {
    assert.deepEqual(Frames.hello(bytes("lobby"), null), [bytes(), bytes("ZGC01"), bytes(3), bytes("lobby"), bytes()]);
    assert.deepEqual(Frames.hello(bytes(), bytes(9, 9)).at(-1), bytes(9, 9));
    assert.deepEqual(Frames.heartbeat(0n), [bytes(), bytes("ZGC01"), bytes(4)]);
    assert.deepEqual(Frames.heartbeat(258n).at(-1), bytes(0, 0, 0, 0, 0, 0, 1, 2));
    assert.deepEqual(Frames.close(), [bytes(), bytes("ZGC01"), bytes(6)]);
  });

  test("a REPLY's header gives its request id and status; a bad header does not read", () => {
    const head = [bytes(), bytes("ZGC01"), bytes(2)];
    const reply = Frames.readReply([...head, bytes("ZG", 1, 2, 0, 0, 0, 0, 0, 0, 1, 0, Status.Busy), bytes("queue full")]);
    assert.equal(reply.requestId, 256n);
    assert.equal(reply.status, Status.Busy);
    assert.equal(Frames.text(reply.payload), "queue full");
    assert.equal(Frames.readReply([...head, bytes("ZG", 1, 5, 0, 0, 0, 0, 0, 0, 1, 0, 0)]), null, "kind 5 is not a reply");
    assert.equal(Frames.readReply([...head, bytes("ZG", 1, 2)]), null, "too short");
    assert.equal(Frames.readCommand([bytes(), bytes("MDPC01"), bytes(2)]), null);
  });

  test("a PUSH's header gives its command id; its payload is the next frame", () => {
    const push = Frames.readPush([bytes(), bytes("ZGC01"), bytes(5), bytes("ZG", 1, 5, 0, 0, 0, 100), bytes(0xc0)]);
    assert.deepEqual(push, { command: 100, payload: bytes(0xc0) });
  });

  test("a WELCOME's map: a u64 session id keeps every digit, idempotent routes by service", () => {
    const map = encode(
      { session: 0xfedcba9876543210n, resumed: true, timeout_ms: 10000, user: "ann", flags: 3, groups: ["room:a"], max_message_size: 2048, idempotent: { game: [1, 2] } },
      { useBigInt64: true },
    );
    const { welcome, ticket } = Frames.readWelcome([bytes(), bytes("ZGC01"), bytes(3), map, bytes(7, 7)]);
    assert.equal(welcome.session, 0xfedcba9876543210n);
    assert.equal(welcome.resumed, true);
    assert.equal(welcome.user, "ann");
    assert.equal(welcome.flags, 3n);
    assert.deepEqual(welcome.groups, ["room:a"]);
    assert.equal(welcome.maxMessageSize, 2048);
    assert.deepEqual([...welcome.idempotent.get("game")], [1, 2]);
    assert.deepEqual(ticket, bytes(7, 7));
    assert.equal(Frames.readWelcome([bytes(), bytes("ZGC01"), bytes(3), encode({ session: 0 })]), null, "session 0 is no session");
  });

  test("CLOSED: one reason byte, then text", () => {
    assert.deepEqual(Frames.readClosed([bytes(), bytes("ZGC01"), bytes(6), bytes(3), bytes("AFK")]), { reason: 3, text: "AFK" });
    assert.equal(Frames.readClosed([bytes(), bytes("ZGC01"), bytes(6), bytes(3, 3)]), null);
  });

  test("payloads: integers as numbers, beyond 2^53 as bigint; status names as the .NET client says them", () => {
    assert.deepEqual(decodePayload(encodePayload({ A: 1, B: 2n ** 62n, C: [2n] })), { A: 1, B: 2n ** 62n, C: [2] });
    assert.equal(statusName(Status.RateLimited), "rate limited");
    assert.equal(statusName(42), "status 42");
  });
});

/** A WebSocket stand-in: records what the link sends, and lets the test play the server. */
class FakeSocket {
  static last;
  constructor(url, protocols) {
    this.url = url;
    this.offered = protocols;
    this.sent = [];
    this.protocol = "";
    FakeSocket.last = this;
  }
  send(data) {
    this.sent.push(Uint8Array.from(data));
  }
  close() {
    this.closed = true;
  }
  accept(protocol) {
    this.protocol = protocol;
    this.onopen?.({});
  }
  deliver(...messages) {
    for (const message of messages) {
      this.onmessage?.({ data: Uint8Array.from(message).buffer });
    }
  }
}

describe("ZWS 2.0", () => {
  test("READY is a command frame: flags 0x02, '\\x05READY', then Socket-Type as a ZMTP property", () => {
    assert.deepEqual(
      [0x02, ...encodeCommand("READY", encodeProperties({ "Socket-Type": "DEALER" }))],
      [...bytes(2, 5, "READY", 11, "Socket-Type", 0, 0, 0, 6, "DEALER")],
    );
    assert.deepEqual(decodeProperties(encodeProperties({ "Socket-Type": "ROUTER", Identity: "" })), { "Socket-Type": "ROUTER", Identity: "" });
    assert.equal(decodeProperties(bytes(11, "Socket-Type", 0, 0, 0, 9, "ROUT")), null);
  });

  test("with ZWS2.0/NULL chosen by the server the link says READY, sends nothing else until the server's READY, and answers PING", async () => {
    const messages = [];
    const link = new ZwsLink(FakeSocket, "ws://x/", { onMessage: (m) => messages.push(m), onClose: () => undefined });
    const socket = FakeSocket.last;
    assert.deepEqual(socket.offered, ["ZWS2.0"]);
    socket.accept("ZWS2.0/NULL");
    assert.deepEqual(socket.sent, [bytes(2, 5, "READY", 11, "Socket-Type", 0, 0, 0, 6, "DEALER")]);
    assert.equal(link.send([bytes("a")]), false, "nothing before the peer's READY");
    socket.deliver(bytes(2, 5, "READY", 11, "Socket-Type", 0, 0, 0, 6, "ROUTER"));
    await link.ready;
    assert.equal(link.send([bytes(), bytes("hi")]), true);
    assert.deepEqual(socket.sent.slice(1), [bytes(1), bytes(0, "hi")], "MORE on every frame but the last");
    socket.deliver(bytes(1), bytes(1, "x"), bytes(0, "y"), bytes(2, 4, "PING", 0, 10, "ctx"));
    assert.deepEqual(messages, [[bytes(), bytes("x"), bytes("y")]]);
    assert.deepEqual(socket.sent.at(-1), bytes(2, 4, "PONG", "ctx"));
  });

  test("with ZWS2.0 the first message each way is the routing id, and the server's is not handed on", async () => {
    const messages = [];
    const link = new ZwsLink(FakeSocket, "ws://x/", { onMessage: (m) => messages.push(m), onClose: () => undefined });
    const socket = FakeSocket.last;
    socket.accept("ZWS2.0");
    await link.ready;
    assert.deepEqual(socket.sent, [bytes(0)]);
    socket.deliver(bytes(0, "router-id"), bytes(0, "payload"));
    assert.deepEqual(messages, [[bytes("payload")]]);
  });

  test("a text message, or another subprotocol, ends the connection with a reason", () => {
    let reason;
    new ZwsLink(FakeSocket, "ws://x/", { onMessage: () => undefined, onClose: (r) => (reason = r) });
    FakeSocket.last.accept("chat");
    assert.match(reason, /subprotocol 'chat'/);
    new ZwsLink(FakeSocket, "ws://x/", { onMessage: () => undefined, onClose: (r) => (reason = r) });
    FakeSocket.last.accept("ZWS2.0");
    FakeSocket.last.onmessage({ data: "hello" });
    assert.match(reason, /text message/);
    assert.equal(FakeSocket.last.closed, true);
  });
});

describe("reconnect order and backoff", () => {
  test("after a lost broker every other broker comes first, the lost one last", () => {
    for (const r of [0, 0.5, 0.99]) {
      const order = roundOrder(1, 4, () => r);
      assert.equal(order.length, 4);
      assert.equal(order.at(-1), 1);
      assert.deepEqual([...order].sort(), [0, 1, 2, 3]);
    }
    assert.deepEqual(roundOrder(-1, 3, () => 0.5), [1, 2, 0]);
    assert.deepEqual(roundOrder(0, 1), [0]);
  });

  test("the backoff doubles per failed round, with jitter, between min and max", () => {
    assert.equal(backoffDelay(1, 250, 10_000, () => 1), 250);
    assert.equal(backoffDelay(3, 250, 10_000, () => 1), 1000);
    assert.equal(backoffDelay(3, 250, 10_000, () => 0), 500);
    assert.equal(backoffDelay(20, 250, 10_000, () => 1), 10_000);
  });
});

describe("push buffers", () => {
  test("a full buffer drops its oldest push and counts it; other readers keep theirs", async () => {
    const fanOut = new PushFanOut(2, () => undefined);
    const slow = fanOut.stream(null);
    const chat = fanOut.stream(100);
    for (const command of [100, 101, 100]) {
      fanOut.deliver(command, bytes(command));
    }
    assert.equal(fanOut.dropped, 1);
    assert.deepEqual([(await slow.next()).value.command, (await slow.next()).value.command], [101, 100]);
    assert.deepEqual([(await chat.next()).value.payload, (await chat.next()).value.payload], [bytes(100), bytes(100)]);
    fanOut.completeAll();
    assert.equal((await slow.next()).done, true);
  });

  test("a callback that throws is reported and the next push still reaches it", async () => {
    const warnings = [];
    const fanOut = new PushFanOut(8, (w) => warnings.push(w));
    const seen = [];
    let second;
    const done = new Promise((resolve) => (second = resolve));
    fanOut.listen(7, (push) => {
      seen.push(push.payload[0]);
      if (seen.length === 1) throw new Error("boom");
      second();
    });
    fanOut.deliver(7, bytes(1));
    fanOut.deliver(7, bytes(2));
    await done;
    assert.deepEqual(seen, [1, 2]);
    assert.match(warnings[0], /command 7 failed: Error: boom/);
  });
});

describe("request deadlines", () => {
  test("an unsent request ends at its deadline; a sent one waits for the broker's answer a moment longer", async () => {
    const table = new RequestTable();
    const unsent = table.add("game", bytes("game"), 2, bytes(), 50);
    const sent = table.add("game", bytes("game"), 2, bytes(), 50);
    sent.request.sentOn = 1;
    const started = performance.now();
    await assert.rejects(unsent.reply, (e) => e.status === Status.Timeout && /no reply within 50 ms/.test(e.message));
    const unsentAfter = performance.now() - started;
    assert.equal(table.isPending(sent.request.id), true, "the sent one is still waiting");
    await assert.rejects(sent.reply, (e) => e.status === Status.Timeout);
    assert.ok(performance.now() - started >= 50 + BROKER_DEADLINE_GRACE_MS - 5, "grace given to the sent one");
    assert.ok(unsentAfter < 50 + BROKER_DEADLINE_GRACE_MS, "none to the unsent one");
  });

  test("the header's timeout carries the time left until the deadline", () => {
    const table = new RequestTable();
    const { request, reply } = table.add("game", bytes("game"), 2, bytes(), 5000);
    const timeout = new DataView(table.header(request).buffer).getUint32(16);
    assert.ok(timeout <= 5000 && timeout > 4000, String(timeout));
    table.failAll(() => new Error("done"));
    return assert.rejects(reply, /done/);
  });
});

describe("options", () => {
  test("a bad endpoint or option is refused at connect, naming it", async () => {
    const { ZmqGameClient } = await import("../dist/index.js");
    const WebSocket = class {};
    await assert.rejects(ZmqGameClient.connect("tcp://localhost:5555", { WebSocket }), /'tcp:\/\/localhost:5555' is not a ws:\/\/ or wss:\/\/ URL/);
    await assert.rejects(ZmqGameClient.connect("ws://a b:1", { WebSocket }), TypeError);
    await assert.rejects(ZmqGameClient.connect("", { WebSocket }), /no broker endpoint given/);
    await assert.rejects(ZmqGameClient.connect("ws://localhost:1", { WebSocket, liveness: 0 }), /liveness must be an integer between 1 and 1000/);
    await assert.rejects(ZmqGameClient.connect("ws://localhost:1", { WebSocket, sessionService: "mmi.service" }), /sessionService must not be an mmi/);
    if (typeof globalThis.WebSocket !== "function") {
      await assert.rejects(ZmqGameClient.connect("ws://localhost:1"), /no WebSocket class: .*pass the ws package's/);
    }
  });
});

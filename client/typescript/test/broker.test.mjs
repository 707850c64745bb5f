// The client against a real broker (WebSocket frontend, ZWS 2.0) and the worker host with the sample services.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import WebSocket from "ws";
import { ZmqGameClient, ZmqGameRequestError, Status, GameService, LobbyService, LobbyCommands } from "../dist/index.js";
import { startBroker, startWorker, waitForStats, kickUser } from "./support/processes.mjs";
import { Relay } from "./support/relay.mjs";

/** Fails the test instead of hanging when `promise` takes longer than `ms`. */
function within(ms, promise, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms))),
  ]);
}

/** The next value `subscribe` hands its callback, as a promise. */
function next(subscribe) {
  return new Promise((resolve) => {
    const stop = subscribe((...values) => {
      stop();
      resolve(values);
    });
  });
}

describe("against a real broker and worker host", () => {
  let broker;
  let worker;
  const clients = [];
  const connect = async (url, options = {}) => {
    const client = await ZmqGameClient.connect(url ?? broker.websocket, { WebSocket, logger: {}, ...options });
    clients.push(client);
    return client;
  };

  before(async () => {
    broker = await startBroker();
    worker = await startWorker(broker.backend);
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await worker?.stop();
    await broker?.stop();
  });

  test("connect opens a session; a typed call returns the worker's reply", async () => {
    const client = await connect();
    assert.ok(client.session.id > 0n, "the broker gave the session an id");
    assert.equal(client.session.isLoggedIn, false);
    const game = new GameService(client);
    assert.deepEqual(await game.add(40, 2), { Sum: 42 });
    // 64-bit values keep every digit: beyond 2^53 they come back as bigint.
    assert.deepEqual(await game.add(2n ** 60n, 1), { Sum: 2n ** 60n + 1n });
    const pong = await game.ping(7);
    assert.equal(pong.Seq, 7);
    assert.ok(Math.abs(Number(pong.ServerTimeMs) - Date.now()) < 60_000, "the server's clock, in Unix ms");
  });

  test("without an injected WebSocket the client uses the runtime's own (Node's, here in a child process)", async (t) => {
    // Node 22 has a global WebSocket; Node 20 has it behind --experimental-websocket; Node 18 has none.
    if (Number(process.versions.node.split(".")[0]) < 20) {
      t.skip(`Node ${process.versions.node} has no WebSocket of its own`);
      return;
    }
    const flags = Number(process.versions.node.split(".")[0]) >= 22 ? [] : ["--experimental-websocket"];
    const script = `
      import { ZmqGameClient } from ${JSON.stringify(new URL("../dist/index.js", import.meta.url).href)};
      const client = await ZmqGameClient.connect(${JSON.stringify(broker.websocket)});
      const reply = await client.call("game", 2, { A: 20, B: 22 });
      await client.close();
      console.log(JSON.stringify({ sum: reply.Sum, global: typeof globalThis.WebSocket }));`;
    const child = spawn(process.execPath, [...flags, "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    const code = await within(30_000, new Promise((resolve) => child.once("exit", resolve)), "the child");
    assert.equal(code, 0);
    assert.deepEqual(JSON.parse(out.trim().split("\n").at(-1)), { sum: 42, global: "function" });
  });

  test("many requests outstanding at once are each matched to their own reply", async () => {
    const game = new GameService(await connect());
    const sums = await Promise.all(Array.from({ length: 200 }, (_, i) => game.add(i, 1000)));
    assert.deepEqual(sums.map((s) => s.Sum), Array.from({ length: 200 }, (_, i) => i + 1000));
  });

  test("under load, every request is counted: 8 clients, 2,000 requests, each answered ok or with its named error", async () => {
    const clients = await Promise.all(Array.from({ length: 8 }, () => connect()));
    const counts = { ok: 0, "no such route": 0, other: [] };
    await Promise.all(
      clients.flatMap((client, c) =>
        Array.from({ length: 250 }, async (_, i) => {
          const bad = i % 10 === 9; // every tenth goes to a route the worker does not have
          try {
            const reply = await client.call("game", bad ? 99 : 2, { A: c, B: i }, { deadlineMs: 30_000 });
            assert.equal(reply.Sum, c + i);
            counts.ok++;
          } catch (error) {
            if (error instanceof ZmqGameRequestError && error.status === Status.NoSuchRoute) {
              counts["no such route"]++;
            } else {
              counts.other.push(String(error));
            }
          }
        }),
      ),
    );
    assert.deepEqual(counts, { ok: 1800, "no such route": 200, other: [] });
  });

  test("error statuses reach the caller with their names: no such route, handler failed", async () => {
    const client = await connect();
    await assert.rejects(client.call("game", 99, {}), (error) => {
      assert.ok(error instanceof ZmqGameRequestError);
      assert.equal(error.status, Status.NoSuchRoute);
      assert.equal(error.statusName, "no such route");
      assert.equal(error.command, 99);
      return true;
    });
    await assert.rejects(new GameService(client).fail("boom"), (error) => {
      assert.equal(error.status, Status.HandlerFailed);
      assert.match(error.message, /^handler failed \(service game, cmd 3\)/);
      return true;
    });
  });

  test("a request past its deadline ends with status timeout, named by the broker when no worker serves it", async () => {
    const client = await connect();
    const started = performance.now();
    await assert.rejects(client.call("no-such-service", 1, {}, { deadlineMs: 300 }), (error) => {
      assert.equal(error.status, Status.Timeout);
      assert.match(error.serverMessage, /no worker of service 'no-such-service' is registered/);
      return true;
    });
    assert.ok(performance.now() - started >= 250, "not before its deadline");

    // A worker that holds the request longer than its deadline: the client ends it itself.
    await assert.rejects(new GameService(client).sleep(3000, { deadlineMs: 200 }), (error) => {
      assert.equal(error.status, Status.Timeout);
      return true;
    });
    assert.ok(performance.now() - started < 2900, "the deadline, not the handler, ended it");
  });

  test("a request over the broker's announced size limit fails too large without being sent", async () => {
    const client = await connect();
    await assert.rejects(client.callRaw("game", 5, new Uint8Array(2 * 1024 * 1024)), (error) => {
      assert.equal(error.status, Status.TooLarge);
      assert.match(error.serverMessage, /over the broker's limit of 1048576/);
      return true;
    });
  });

  test("login binds the session; a line said in a room is pushed to every member", async () => {
    const ann = await connect(undefined, { sessionService: "lobby" });
    const bob = await connect(undefined, { sessionService: "lobby" });
    const annLobby = new LobbyService(ann);
    const bobLobby = new LobbyService(bob);

    const changed = next((cb) => ann.onSessionChanged(cb));
    const login = await annLobby.login("ann");
    assert.equal(login.User, "ann");
    assert.equal(BigInt(login.Session), ann.session.id, "the worker saw this client's session");
    const [session] = await within(5000, changed, "WELCOME after the login");
    assert.equal(session.userId, "ann");
    assert.equal(ann.session.isLoggedIn, true);
    await bobLobby.login("bob");

    await annLobby.join("tavern");
    const joined = await bobLobby.join("tavern");
    assert.deepEqual(joined.Members, ["ann", "bob"]);

    const bobStream = bob.pushes({ command: LobbyCommands.ChatLine });
    const annLine = next((cb) => annLobby.onChatLine(cb));
    const said = await annLobby.say("tavern", "hi bob!");
    assert.equal(said.Members, 2);

    const pushed = await within(5000, bobStream.next(), "bob's push");
    assert.equal(pushed.value.command, LobbyCommands.ChatLine);
    assert.deepEqual(pushed.value.read(), { Room: "tavern", From: "ann", Text: "hi bob!" });
    const [line] = await within(5000, annLine, "ann's own line");
    assert.deepEqual(line, { Room: "tavern", From: "ann", Text: "hi bob!" });
    await bobStream.return();

    await assert.rejects(bobLobby.say("cellar", "anyone?"), (error) => error.status === Status.NotAuthorised);
  });

  test("a dropped connection is resumed: same session, still logged in, pushes sent meanwhile delivered", async () => {
    const port = Number(new URL(broker.websocket).port);
    const relay = new Relay(port);
    const relayPort = await relay.listen();
    try {
      const ann = await connect(`ws://127.0.0.1:${relayPort}/`, { heartbeatIntervalMs: 250, reconnectDelayMinMs: 50, reconnectDelayMaxMs: 200 });
      const bob = await connect();
      const annLobby = new LobbyService(ann);
      await annLobby.login("ann-resume");
      await annLobby.join("hall");
      await new LobbyService(bob).login("bob-resume");
      await new LobbyService(bob).join("hall");
      const before = ann.session;
      const lines = ann.pushes({ command: LobbyCommands.ChatLine });
      const resumed = next((cb) => ann.onSessionChanged(cb));

      relay.cut();
      // Once the broker has seen the connection go, ann's session waits for her, still in the room: a line said now
      // is queued for her. (A push written before the broker noticed would go down the dead connection.)
      await waitForStats(broker.control, (stats) => stats.sessions_detached === 1, "ann's session detached");
      const said = await new LobbyService(bob).say("hall", "while you were away");
      assert.equal(said.Members, 2);
      relay.restore();

      const [session, wasResumed] = await within(10_000, resumed, "the resume");
      assert.equal(wasResumed, true);
      assert.equal(session.id, before.id, "the same session");
      assert.equal(session.userId, "ann-resume", "still logged in");
      assert.ok(relay.accepted >= 2, "ann came back on a new connection");
      const line = await within(5000, lines.next(), "the line said meanwhile");
      assert.deepEqual(line.value.read(), { Room: "hall", From: "bob-resume", Text: "while you were away" });

      // And the session serves requests again without a new login.
      assert.equal((await annLobby.say("hall", "back")).Members, 2);
      await lines.return();
    } finally {
      await relay.close();
    }
  });

  test("a request made while the connection is down waits for the resumed session; one in flight fails broker lost", async () => {
    const port = Number(new URL(broker.websocket).port);
    const relay = new Relay(port);
    const relayPort = await relay.listen();
    try {
      const client = await connect(`ws://127.0.0.1:${relayPort}/`, { heartbeatIntervalMs: 250, reconnectDelayMinMs: 50, reconnectDelayMaxMs: 200 });
      const game = new GameService(client);
      const inFlight = game.sleep(1000, { deadlineMs: 5000 });
      // The session is open, so the request was written to the connection at once: it is in flight when the cut comes
      // (whether it reached the broker or not, the client cannot know: broker lost).
      relay.cut();
      await assert.rejects(inFlight, (error) => error.status === Status.BrokerLost && error.connectionLost === true);
      const waiting = game.add(1, 2, { deadlineMs: 10_000 });
      relay.restore();
      assert.deepEqual(await within(10_000, waiting, "the held request"), { Sum: 3 });
    } finally {
      await relay.close();
    }
  });

  test("a broker that falls silent is taken for lost after heartbeat × liveness; the client reconnects and resumes", async () => {
    const relay = new Relay(Number(new URL(broker.websocket).port));
    const relayPort = await relay.listen();
    try {
      const client = await connect(`ws://127.0.0.1:${relayPort}/`, { heartbeatIntervalMs: 200, liveness: 3, reconnectDelayMinMs: 50 });
      await new LobbyService(client).login("silent-sam");
      const resumed = next((cb) => client.onSessionChanged(cb));
      const frozenAt = performance.now();
      relay.freeze(); // nothing flows, nothing closes: only the missing heartbeat answers tell
      const [session, wasResumed] = await within(10_000, resumed, "the resume on a new connection");
      assert.ok(performance.now() - frozenAt >= 550, "not before 3 silent heartbeat intervals");
      assert.equal(wasResumed, true);
      assert.equal(session.userId, "silent-sam");
      assert.equal(relay.accepted, 2);
    } finally {
      await relay.close();
    }
  });

  test("a kicked session ends with reason kicked and the client opens a fresh one, not logged in", async () => {
    const client = await connect();
    await new LobbyService(client).login("kicked-kim");
    const closed = next((cb) => client.onSessionClosed(cb));
    const fresh = next((cb) => client.onSessionChanged(cb));
    const old = client.session.id;
    const kick = await kickUser(broker.control, "kicked-kim", "cheating");
    assert.equal(kick, 0, "the trigger kicked one session");
    const [event] = await within(5000, closed, "CLOSED");
    assert.equal(event.reasonName, "kicked");
    assert.equal(event.text, "cheating");
    assert.equal(event.sessionId, old);
    const [session, wasResumed] = await within(5000, fresh, "the new session");
    assert.equal(wasResumed, false);
    assert.notEqual(session.id, old);
    assert.equal(session.isLoggedIn, false);
  });

  test("close ends the session with CLOSE; later calls fail with a closed error", async () => {
    const client = await connect();
    const closed = next((cb) => client.onSessionClosed(cb));
    await client.close();
    const [event] = await within(2000, closed, "CLOSED");
    assert.equal(event.reasonName, "client closed");
    await assert.rejects(client.call("game", 2, { A: 1, B: 1 }), { name: "ZmqGameClosedError" });
  });

  test("connect to a port where no broker listens fails within connectTimeoutMs", async () => {
    const relay = new Relay(1);
    const port = await relay.listen();
    relay.cut();
    await relay.close();
    await assert.rejects(
      ZmqGameClient.connect(`ws://127.0.0.1:${port}/`, { WebSocket, connectTimeoutMs: 500, reconnectDelayMinMs: 50, reconnectDelayMaxMs: 100, logger: {} }),
      /no broker answered at ws:\/\/127\.0\.0\.1:\d+\/ within 0\.5 s/,
    );
  });
});

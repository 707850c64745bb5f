// Two brokers that share a session key, the second a lame duck when stopped: SIGTERM makes it tell its clients MOVE.
// The client lets its request on that broker finish, then moves to the other broker and resumes its session there.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import WebSocket from "ws";
import { ZmqGameClient, LobbyService, GameService } from "../dist/index.js";
import { startBroker, RunningProcess, dll, scratch } from "./support/processes.mjs";

const { folder, processes } = scratch();

test("a lame-duck broker's MOVE: the request in flight is answered, then the session resumes on the other broker", async () => {
  const args = ["--session-key-file", join(folder, "session.key"), "--Broker:LameDuck", "true", "--Broker:LameDuckTimeout", "20s"];
  const brokers = [await startBroker(args), await startBroker(args)];
  processes.push(...brokers);
  const worker = new RunningProcess(dll("worker", "ZmqGame.Worker.Host"), [
    "--broker", brokers.map((b) => b.backend).join(","), "--slots", "2", "--service", "game,lobby",
  ]);
  processes.push(worker);
  for (const broker of brokers) {
    await worker.waitForLine(`Slot 1 of service 'lobby' READY at ${broker.backend.replace(/[.]/g, "\\.")}`);
  }

  const said = [];
  const client = await ZmqGameClient.connect(brokers.map((b) => b.websocket), { WebSocket, logger: { info: (m) => said.push(m) } });
  try {
    await new LobbyService(client).login("mo");
    const before = { id: client.session.id, endpoint: client.endpoint };
    const from = brokers.find((b) => b.websocket === before.endpoint);
    const to = brokers.find((b) => b !== from);
    const resumed = new Promise((resolve) => {
      const stop = client.onSessionChanged((session, wasResumed) => {
        stop();
        resolve({ session, wasResumed });
      });
    });

    const inFlight = new GameService(client).sleep(800, { deadlineMs: 10_000 });
    from.child.kill("SIGTERM");
    assert.deepEqual(await inFlight, { Ms: 800 }, "answered by the lame duck before the client left");
    await from.waitForLine("Lame duck done after \\d+ ms: every request answered, every client moved", 20_000);
    assert.ok(said.some((m) => m.startsWith(`the broker at ${from.websocket} asks its clients to move`)), said.join("\n"));

    let timer;
    const { session, wasResumed } = await Promise.race([
      resumed,
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("no resume within 20 s")), 20_000))),
    ]);
    clearTimeout(timer);
    assert.equal(wasResumed, true);
    assert.equal(session.id, before.id);
    assert.equal(session.userId, "mo");
    assert.equal(client.endpoint, to.websocket);
    assert.deepEqual(await new GameService(client).add(1, 1), { Sum: 2 });
  } finally {
    await client.close();
  }
});

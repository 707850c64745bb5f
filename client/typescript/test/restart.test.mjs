// A broker that dies and comes back: the client reconnects and the restarted broker, which signs tickets with the same
// session key, resumes the session from the client's ticket (binding kept), though it never knew it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import WebSocket from "ws";
import { ZmqGameClient, LobbyService, GameService } from "../dist/index.js";
import { startBroker, startWorker, scratch } from "./support/processes.mjs";

const { folder, processes } = scratch();

test("after a broker restart the client resumes its session from its ticket, still logged in", async () => {
  const key = ["--session-key-file", join(folder, "session.key")];
  const first = await startBroker(key);
  processes.push(first);
  const worker = await startWorker(first.backend, 1);
  processes.push(worker);
  const client = await ZmqGameClient.connect(first.websocket, { WebSocket, logger: {}, heartbeatIntervalMs: 250, reconnectDelayMinMs: 50, reconnectDelayMaxMs: 250 });
  try {
    await new LobbyService(client).login("rita");
    const before = client.session;
    const resumed = new Promise((resolve) => {
      const stop = client.onSessionChanged((session, wasResumed) => {
        stop();
        resolve({ session, wasResumed });
      });
    });

    first.child.kill("SIGKILL");
    await first.exited;
    // The same endpoints again (the client and the worker know these), the same key.
    const second = await startBroker(key, { frontend: first.frontend, backend: first.backend, control: first.control, websocket: first.websocket });
    processes.push(second);

    let timer;
    const { session, wasResumed } = await Promise.race([
      resumed,
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("no resume within 20 s")), 20_000))),
    ]);
    clearTimeout(timer);
    assert.equal(wasResumed, true);
    assert.equal(session.id, before.id);
    assert.equal(session.userId, "rita");
    // The worker found the restarted broker too: requests are served again.
    assert.deepEqual(await new GameService(client).add(2, 3, { deadlineMs: 20_000 }), { Sum: 5 });
  } finally {
    await client.close();
  }
});

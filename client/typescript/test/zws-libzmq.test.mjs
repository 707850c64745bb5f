// ZWS 2.0 against the reference implementation: libzmq's own WebSocket transport (through pyzmq, the system's
// python3-zmq), a ROUTER that sends every message back to its sender, over ZWS2.0 (the subprotocol a WebSocket
// client can offer: routing ids as first messages).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import WebSocket from "ws";
import { ZwsLink } from "../dist/zws.js";

const ECHO_ROUTER = `
import sys, zmq
ctx = zmq.Context()
router = ctx.socket(zmq.ROUTER)
router.bind("ws://127.0.0.1:0")
print(router.last_endpoint.decode(), flush=True)
while True:
    frames = router.recv_multipart()
    router.send_multipart(frames)
`;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

describe("ZWS 2.0 against libzmq", () => {
  let python;
  let endpoint;

  before(async () => {
    python = spawn("/usr/bin/python3", ["-c", ECHO_ROUTER], { stdio: ["ignore", "pipe", "inherit"] });
    endpoint = await new Promise((resolve, reject) => {
      python.once("exit", (code) => reject(new Error(`the libzmq peer exited (${code}): is python3-zmq installed?`)));
      python.stdout.setEncoding("utf8");
      python.stdout.once("data", (line) => resolve(line.trim()));
    });
  });

  after(() => python?.kill());

  {
    test("a libzmq ROUTER takes our DEALER's multipart messages and its answers reach us whole", async () => {
      const received = [];
      let arrived;
      let closedWith = null;
      const link = new ZwsLink(
        WebSocket,
        endpoint,
        {
          onMessage: (frames) => {
            received.push(frames.map((f) => decoder.decode(f)));
            arrived?.();
          },
          onClose: (reason) => (closedWith = reason),
        },
      );
      await link.ready;
      assert.equal(link.isOpen, true);
      const messages = [["", "ZGC01", "one"], ["a"], ["", "x".repeat(70_000), "end"]];
      const all = new Promise((resolve) => (arrived = () => received.length === messages.length && resolve()));
      for (const message of messages) {
        assert.equal(link.send(message.map((f) => encoder.encode(f))), true);
      }
      let timer;
      await Promise.race([all, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`echoes: ${JSON.stringify(received)}`)), 10_000)))]);
      clearTimeout(timer);
      assert.deepEqual(received, messages);
      link.close();
      assert.equal(closedWith, "closed by the client");
    });
  }
});

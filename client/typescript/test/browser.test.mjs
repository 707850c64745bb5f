// The browser sample in a real headless Chromium (the system's /usr/bin/chromium, Debian package chromium), driven by
// Playwright, against a real broker and worker host: the page loads the built library, logs in, joins a room, and a
// chat line goes both ways between the page and a client in Node.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import WebSocket from "ws";
import { chromium } from "playwright-core";
import { ZmqGameClient, LobbyService, LobbyCommands } from "../dist/index.js";
import { serve } from "../sample/serve.mjs";
import { startBroker, startWorker } from "./support/processes.mjs";

const CHROMIUM = "/usr/bin/chromium";
const PATIENCE = 20_000;

describe("the lobby chat page in headless Chromium", () => {
  let broker;
  let worker;
  let server;
  let browser;
  let dan;

  before(async () => {
    // No skip: without the browser this fails, saying how to get it.
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install the Debian package chromium (apt-get install -y chromium)`);
    broker = await startBroker();
    worker = await startWorker(broker.backend, 2);
    server = await serve(0);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  });

  after(async () => {
    await dan?.close();
    await browser?.close();
    server?.close();
    await worker?.stop();
    await broker?.stop();
  });

  test("logs in, joins a room, shows a line pushed from another client, and its own line reaches that client", async () => {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    await page.goto(`http://127.0.0.1:${server.address().port}/sample/?broker=${encodeURIComponent(broker.websocket)}`);
    await page.waitForSelector("body[data-ready=true]", { timeout: PATIENCE });

    await page.fill("#name", "cat");
    await page.click("#login button");
    await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("logged in as cat"), null, { timeout: PATIENCE });
    await page.fill("#room", "garden");
    await page.click("#join button");
    await page.waitForFunction(() => document.getElementById("status").textContent === "logged in as cat in garden", null, { timeout: PATIENCE });

    dan = await ZmqGameClient.connect(broker.websocket, { WebSocket, logger: {} });
    const danLobby = new LobbyService(dan);
    await danLobby.login("dan");
    const lines = dan.pushes({ command: LobbyCommands.ChatLine });
    await danLobby.join("garden");
    await page.waitForFunction(() => document.getElementById("lines").textContent.includes("* dan joined garden"), null, { timeout: PATIENCE });

    await danLobby.say("garden", "hello cat");
    await page.waitForFunction(() => [...document.querySelectorAll("#lines li")].some((li) => li.textContent === "dan: hello cat"), null, { timeout: PATIENCE });
    assert.deepEqual((await lines.next()).value.read(), { Room: "garden", From: "dan", Text: "hello cat" });

    await page.fill("#text", "hi dan");
    await page.click("#say button");
    const fromPage = await lines.next();
    assert.deepEqual(fromPage.value.read(), { Room: "garden", From: "cat", Text: "hi dan" });
    await lines.return();

    assert.equal(await page.textContent("#error"), "");
    assert.deepEqual(errors, [], "script errors on the page");
  });
});

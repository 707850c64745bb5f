// The real executables the tests run against: the broker with its WebSocket frontend and the worker host with the
// sample services, each started as `dotnet NAME.dll` from the .NET build and awaited on the log line that says it is
// ready (never a sleep). Every endpoint binds port 0; the broker's start-up lines say which ports it got.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { after } from "node:test";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");

/** How long a process may take to say it is ready. */
export const PATIENCE_MS = 60_000;

/** The build output of a project: ZMQGAME_CONFIGURATION (Debug or Release) if set, else the newer of the two. */
export function dll(folder, project, assembly = project) {
  const configurations = process.env.ZMQGAME_CONFIGURATION ? [process.env.ZMQGAME_CONFIGURATION] : ["Debug", "Release"];
  const found = configurations
    .map((c) => join(root, folder, project, "bin", c, "net10.0", `${assembly}.dll`))
    .filter((path) => existsSync(path))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (found.length === 0) {
    throw new Error(`${assembly}.dll is not built: run 'dotnet build ZmqGame.sln' in ${root}`);
  }
  return found[0];
}

/** A started executable whose output lines are kept and can be waited on. */
export class RunningProcess {
  constructor(path, args) {
    this.lines = [];
    this.waiters = new Set();
    this.child = spawn("dotnet", [path, ...args], {
      cwd: dirname(path),
      env: { ...process.env, DOTNET_NOLOGO: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.exited = new Promise((resolve) => this.child.once("exit", (code, signal) => resolve(code ?? signal)));
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let partial = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk) => {
        const parts = (partial + chunk).split("\n");
        partial = parts.pop();
        for (const line of parts) {
          this.lines.push(line);
          for (const waiter of [...this.waiters]) {
            waiter(line);
          }
        }
      });
    }
  }

  get output() {
    return this.lines.join("\n");
  }

  /** The first output line (already printed or to come) matching `pattern`, as its match. */
  waitForLine(pattern, timeoutMs = PATIENCE_MS) {
    const regex = new RegExp(pattern);
    for (const line of this.lines) {
      const match = regex.exec(line);
      if (match) {
        return Promise.resolve(match);
      }
    }
    return new Promise((resolve, reject) => {
      const done = (error, match) => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        error ? reject(error) : resolve(match);
      };
      const waiter = (line) => {
        const match = regex.exec(line);
        if (match) {
          done(null, match);
        }
      };
      const timer = setTimeout(() => done(new Error(`no output line matching /${pattern}/ within ${timeoutMs} ms; output:\n${this.output}`)), timeoutMs);
      this.waiters.add(waiter);
      this.exited.then((code) => done(new Error(`process exited (${code}) before printing /${pattern}/; output:\n${this.output}`)));
    });
  }

  /** SIGTERM, then SIGKILL if it has not exited within 10 s. */
  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return;
    }
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * A broker with its TCP endpoints and a WebSocket frontend, on free ports of 127.0.0.1 unless `at` names them (a
 * restart on the endpoints of a broker that stopped).
 */
export async function startBroker(extraArgs = [], at = {}) {
  const broker = new RunningProcess(dll("broker", "ZmqGame.Broker"), [
    at.frontend ?? "tcp://127.0.0.1:0",
    at.backend ?? "tcp://127.0.0.1:0",
    "--control",
    at.control ?? "tcp://127.0.0.1:0",
    "--websocket",
    at.websocket ?? "ws://127.0.0.1:0",
    ...extraArgs,
  ]);
  const endpoints = await broker.waitForLine(/Broker listening: frontend (\S+), backend (\S+), control (\S+)/.source);
  const websocket = await broker.waitForLine(/Broker WebSocket frontend listening on (\S+)/.source);
  broker.frontend = endpoints[1].replace(/,$/, "");
  broker.backend = endpoints[2].replace(/,$/, "");
  broker.control = endpoints[3].replace(/,$/, "");
  broker.websocket = websocket[1];
  return broker;
}

/** The worker host with the sample services `game` and `lobby`, attached to `backend`, once every service is READY. */
export async function startWorker(backend, slots = 4) {
  const worker = new RunningProcess(dll("worker", "ZmqGame.Worker.Host"), ["--broker", backend, "--slots", String(slots), "--service", "game,lobby"]);
  await worker.waitForLine("Slot \\d+ of service 'game' READY");
  await worker.waitForLine("Slot \\d+ of service 'lobby' READY");
  return worker;
}

/** The broker's stats answer (`trigger stats --json` at its control endpoint), parsed. */
export async function brokerStats(control) {
  const trigger = new RunningProcess(dll("trigger", "ZmqGame.Trigger.Cli", "trigger"), ["stats", "--json", "--broker", control]);
  const code = await trigger.exited;
  if (code !== 0) {
    throw new Error(`trigger stats exited ${code}: ${trigger.output}`);
  }
  return JSON.parse(trigger.lines.find((line) => line.startsWith("{")));
}

/** Asks for the broker's stats until `predicate` holds for them (a signal, not a sleep); fails after `timeoutMs`. */
export async function waitForStats(control, predicate, what, timeoutMs = 20_000) {
  const deadline = performance.now() + timeoutMs;
  let stats;
  while (performance.now() < deadline) {
    stats = await brokerStats(control);
    if (predicate(stats)) {
      return stats;
    }
  }
  throw new Error(`the broker's stats never showed ${what} within ${timeoutMs} ms; last: ${JSON.stringify(stats)}`);
}

/** `trigger kick --user USER --reason REASON` at the broker's control endpoint; resolves with its exit code. */
export async function kickUser(control, user, reason) {
  const trigger = new RunningProcess(dll("trigger", "ZmqGame.Trigger.Cli", "trigger"), ["kick", "--user", user, "--reason", reason, "--broker", control]);
  return await trigger.exited;
}

/**
 * A test file's scratch: a temporary folder (a shared session key, say) and a list of the processes it starts; after
 * the file's tests, the processes are stopped, last started first, and the folder removed.
 */
export function scratch() {
  const folder = mkdtempSync(join(tmpdir(), "zmqgame-ts-"));
  const processes = [];
  after(async () => {
    for (const p of processes.reverse()) {
      await p.stop();
    }
    rmSync(folder, { recursive: true, force: true });
  });
  return { folder, processes };
}

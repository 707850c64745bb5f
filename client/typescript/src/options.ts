/**
 * Settings of a {@link ZmqGameClient}, with the .NET client's defaults (heartbeat 2.5 s, liveness 3, request timeout
 * 10 s), and their validation: a bad value throws a `RangeError` or `TypeError` naming the setting.
 */
import type { WebSocketConstructor } from "./zws.js";

/** Where the client reports what it does; by default warnings go to `console.warn` and nothing else is said. */
export interface ZmqGameLogger {
  debug?(message: string): void;
  info?(message: string): void;
  warn?(message: string): void;
}

/** Settings of a client. Every duration is in milliseconds. */
export interface ZmqGameClientOptions {
  /**
   * The WebSocket class to connect with. Default: `globalThis.WebSocket` (browsers, Node ≥ 22). On Node 20 pass the
   * `ws` package's: `import WebSocket from "ws"; … { WebSocket }`.
   */
  WebSocket?: WebSocketConstructor;
  /** Deadline of a request when the call gives none; also sent to the broker so a waiting request expires there too. Default 10,000. */
  requestTimeoutMs?: number;
  /** A HEARTBEAT goes when nothing was sent, or nothing heard, for this long. Default 2,500. */
  heartbeatIntervalMs?: number;
  /** Heartbeat intervals of silence from the broker after which the connection is taken for dead and replaced. Default 3. */
  liveness?: number;
  /** How long `connect` waits for the broker to open the client's session. Default 5,000. */
  connectTimeoutMs?: number;
  /** First delay before trying the brokers again after every one failed; it doubles, with jitter, up to the max. Default 250. */
  reconnectDelayMinMs?: number;
  /** Upper bound of the reconnect backoff. Default 10,000. */
  reconnectDelayMaxMs?: number;
  /** The service whose workers get this client's `client connected` / `client closed` events (HELLO); none by default. */
  sessionService?: string;
  /** Pushes each reader may have waiting before its oldest is dropped (counted in `droppedPushes`). Default 1,024. */
  pushBufferSize?: number;
  /** The most bytes a request may hold until the broker announces its own limit (WELCOME). Default 1 MiB. */
  maxMessageSize?: number;
  /** Where the client reports reconnects, session changes and dropped input. */
  logger?: ZmqGameLogger;
}

/** The options with every default filled in. */
export interface Settings extends Required<Omit<ZmqGameClientOptions, "WebSocket" | "logger" | "sessionService">> {
  WebSocket: WebSocketConstructor;
  sessionService: Uint8Array;
  logger: Required<ZmqGameLogger>;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const none = () => undefined;

/** Fills in the defaults and checks every value. */
export function settingsFrom(options: ZmqGameClientOptions = {}): Settings {
  const WebSocketClass = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (typeof WebSocketClass !== "function") {
    throw new TypeError(
      "no WebSocket class: this runtime has no global WebSocket (Node before 22); pass the ws package's, " +
        'e.g. import WebSocket from "ws"; ZmqGameClient.connect(url, { WebSocket })',
    );
  }
  const settings = {
    requestTimeoutMs: duration(options.requestTimeoutMs, 10_000, "requestTimeoutMs"),
    heartbeatIntervalMs: duration(options.heartbeatIntervalMs, 2_500, "heartbeatIntervalMs"),
    liveness: integer(options.liveness, 3, 1, 1000, "liveness"),
    connectTimeoutMs: duration(options.connectTimeoutMs, 5_000, "connectTimeoutMs"),
    reconnectDelayMinMs: duration(options.reconnectDelayMinMs, 250, "reconnectDelayMinMs"),
    reconnectDelayMaxMs: duration(options.reconnectDelayMaxMs, 10_000, "reconnectDelayMaxMs"),
    pushBufferSize: integer(options.pushBufferSize, 1024, 1, 1_000_000, "pushBufferSize"),
    maxMessageSize: integer(options.maxMessageSize, 1 << 20, 1024, 0xffffffff, "maxMessageSize"),
    sessionService: serviceBytes(options.sessionService ?? "", "sessionService", true),
    WebSocket: WebSocketClass,
    logger: {
      debug: options.logger?.debug?.bind(options.logger) ?? none,
      info: options.logger?.info?.bind(options.logger) ?? none,
      warn: options.logger ? (options.logger.warn?.bind(options.logger) ?? none) : (message: string) => console.warn(`zmqgame-client: ${message}`),
    },
  };
  if (settings.reconnectDelayMaxMs < settings.reconnectDelayMinMs) {
    throw new RangeError(`reconnectDelayMaxMs must not be less than reconnectDelayMinMs (${settings.reconnectDelayMinMs})`);
  }
  if (settings.heartbeatIntervalMs * settings.liveness > DAY_MS) {
    throw new RangeError("heartbeatIntervalMs × liveness must not exceed one day");
  }
  return settings;
}

/** The UTF-8 bytes of a service name: 1 to 255 bytes (0 allowed for the session service), not `mmi.*`. */
export function serviceBytes(service: string, what: string, emptyAllowed = false): Uint8Array {
  if (typeof service !== "string") {
    throw new TypeError(`${what} must be a string`);
  }
  const bytes = new TextEncoder().encode(service);
  if (bytes.length === 0 && !emptyAllowed) {
    throw new TypeError(`${what} must not be empty`);
  }
  if (bytes.length > 255) {
    throw new RangeError(`${what} must be at most 255 UTF-8 bytes`);
  }
  if (service.startsWith("mmi.")) {
    throw new TypeError(`${what} must not be an mmi.* service: those are answered by the broker`);
  }
  return bytes;
}

/** The broker list: a comma-separated string or an array of `ws://` / `wss://` URLs. */
export function endpointList(endpoints: string | readonly string[]): string[] {
  const list = (typeof endpoints === "string" ? endpoints.split(",") : [...endpoints]).map((e) => e.trim()).filter((e) => e !== "");
  if (list.length === 0) {
    throw new TypeError("no broker endpoint given");
  }
  for (const endpoint of list) {
    let url: URL | null = null;
    try {
      url = new URL(endpoint);
    } catch {
      // not a URL at all
    }
    if (url === null || (url.protocol !== "ws:" && url.protocol !== "wss:") || url.hostname === "" || url.hash !== "") {
      throw new TypeError(`endpoint '${endpoint}' is not a ws:// or wss:// URL (e.g. ws://localhost:5580)`);
    }
  }
  return list;
}

/** A duration in milliseconds: 1 ms to one day. */
export function duration(value: number | undefined, fallback: number, what: string): number {
  const ms = value ?? fallback;
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 1 || ms > DAY_MS) {
    throw new RangeError(`${what} must be between 1 and ${DAY_MS} milliseconds (was ${String(value)})`);
  }
  return ms;
}

function integer(value: number | undefined, fallback: number, min: number, max: number, what: string): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new RangeError(`${what} must be an integer between ${min} and ${max} (was ${String(value)})`);
  }
  return n;
}

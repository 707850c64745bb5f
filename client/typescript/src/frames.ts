/**
 * The ZGC01 codec of the client side (docs/protocol.md, "Frontend: ZmqGame clients"): each message the client sends,
 * written as the list of frames its DEALER takes, and each one it receives, read into plain values. Integers in
 * headers are big-endian. Readers only check and split; what a message means is up to the caller.
 */
import { decodePayload } from "./payload.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const EMPTY = new Uint8Array(0);
const HEADER = encoder.encode("ZGC01");

/** Command bytes of ZGC01. */
export const Command = {
  Request: 0x01,
  Reply: 0x02,
  Hello: 0x03,
  Heartbeat: 0x04,
  Push: 0x05,
  Close: 0x06,
  NoSession: 0x07,
  SessionRequest: 0x08,
  Move: 0x09,
} as const;

/** Size of the request header: 'Z' 'G', version 1, kind 1, request id (u64), command id (i32), timeout ms (u32). */
export const REQUEST_HEADER_SIZE = 20;
/** Size of the reply header: 'Z' 'G', version 1, kind 2, request id (u64), status (u8). */
export const REPLY_HEADER_SIZE = 13;
/** Size of the push header: 'Z' 'G', version 1, kind 5, command id (i32). */
export const PUSH_HEADER_SIZE = 8;
/** A WELCOME's ticket longer than this is ignored (the previous one is kept). */
export const MAX_TICKET_BYTES = 4096;

function head(command: number): Uint8Array[] {
  return [EMPTY, HEADER, Uint8Array.of(command)];
}

function u64(value: bigint): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, value);
  return bytes;
}

/** HELLO: [session service][ticket]; an empty ticket opens a fresh session. */
export function hello(sessionService: Uint8Array, ticket: Uint8Array | null): Uint8Array[] {
  return [...head(Command.Hello), sessionService, ticket ?? EMPTY];
}

/** HEARTBEAT, naming the session when one is open (`sessionId` not 0). */
export function heartbeat(sessionId: bigint): Uint8Array[] {
  return sessionId === 0n ? head(Command.Heartbeat) : [...head(Command.Heartbeat), u64(sessionId)];
}

/** CLOSE: ends the session. */
export function close(): Uint8Array[] {
  return head(Command.Close);
}

/** The request header of request `id` to `command`, allowed to wait `timeoutMs` in the broker's queue. */
export function requestHeader(id: bigint, command: number, timeoutMs: number): Uint8Array {
  const bytes = new Uint8Array(REQUEST_HEADER_SIZE);
  const view = new DataView(bytes.buffer);
  bytes[0] = 0x5a; // 'Z'
  bytes[1] = 0x47; // 'G'
  bytes[2] = 1;
  bytes[3] = 1;
  view.setBigUint64(4, id);
  view.setInt32(12, command);
  view.setUint32(16, Math.min(Math.max(0, Math.ceil(timeoutMs)), 0xffffffff));
  return bytes;
}

/**
 * REQUEST [service][request header][payload], or SESSION REQUEST [session id][service][request header][payload] when
 * a session is open (`sessionId` not 0): a broker that does not have that session on this connection answers
 * `no session` instead of running it without one.
 */
export function request(sessionId: bigint, service: Uint8Array, header: Uint8Array, payload: Uint8Array): Uint8Array[] {
  return sessionId === 0n
    ? [...head(Command.Request), service, header, payload]
    : [...head(Command.SessionRequest), u64(sessionId), service, header, payload];
}

/** The bytes a SESSION REQUEST's frames hold together, as the broker counts them against its MaxMessageSize. */
export function requestSize(service: Uint8Array, payload: Uint8Array): number {
  return HEADER.length + 1 + 8 + service.length + REQUEST_HEADER_SIZE + payload.length;
}

/** The command byte of a ZGC01 message `[""]["ZGC01"][command]…`; null when it is not one. */
export function readCommand(frames: readonly Uint8Array[]): number | null {
  if (frames.length < 3 || frames[0]!.length !== 0 || !equal(frames[1]!, HEADER) || frames[2]!.length !== 1) {
    return null;
  }
  return frames[2]![0]!;
}

/** A REPLY's request id, status and payload (empty when missing); null when the reply header does not read. */
export function readReply(frames: readonly Uint8Array[]): { requestId: bigint; status: number; payload: Uint8Array } | null {
  const header = frames[3];
  if (header === undefined || header.length !== REPLY_HEADER_SIZE || !isHeader(header, 2)) {
    return null;
  }
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  return { requestId: view.getBigUint64(4), status: header[12]!, payload: frames[4] ?? EMPTY };
}

/** A PUSH's command id and payload (empty when missing); null when the push header does not read. */
export function readPush(frames: readonly Uint8Array[]): { command: number; payload: Uint8Array } | null {
  const header = frames[3];
  if (header === undefined || header.length !== PUSH_HEADER_SIZE || !isHeader(header, 5)) {
    return null;
  }
  return { command: new DataView(header.buffer, header.byteOffset, header.byteLength).getInt32(4), payload: frames[4] ?? EMPTY };
}

/** The session state a WELCOME carries (its MessagePack map). */
export interface Welcome {
  session: bigint;
  resumed: boolean;
  timeoutMs: number;
  user: string | null;
  flags: bigint;
  groups: string[];
  maxMessageSize: number;
  idempotent: Map<string, Set<number>>;
}

/** A WELCOME's map and ticket (null when missing, empty or too long); null when the map does not read. */
export function readWelcome(frames: readonly Uint8Array[]): { welcome: Welcome; ticket: Uint8Array | null } | null {
  const map = frames[3];
  if (map === undefined) {
    return null;
  }
  let raw: unknown;
  try {
    raw = decodePayload(map);
  } catch {
    return null;
  }
  if (typeof raw !== "object" || raw === null) {
    return null;
  }
  const m = raw as Record<string, unknown>;
  const session = toBigInt(m["session"]);
  if (session === null || session === 0n) {
    return null;
  }
  const idempotent = new Map<string, Set<number>>();
  if (typeof m["idempotent"] === "object" && m["idempotent"] !== null) {
    for (const [service, commands] of Object.entries(m["idempotent"] as Record<string, unknown>)) {
      if (Array.isArray(commands)) {
        idempotent.set(service, new Set(commands.map(Number)));
      }
    }
  }
  const ticket = frames[4];
  return {
    welcome: {
      session,
      resumed: m["resumed"] === true,
      timeoutMs: Number(m["timeout_ms"] ?? 0),
      user: typeof m["user"] === "string" && m["user"] !== "" ? m["user"] : null,
      flags: toBigInt(m["flags"]) ?? 0n,
      groups: Array.isArray(m["groups"]) ? m["groups"].filter((g): g is string => typeof g === "string") : [],
      maxMessageSize: Number(m["max_message_size"] ?? 0),
      idempotent,
    },
    ticket: ticket !== undefined && ticket.length > 0 && ticket.length <= MAX_TICKET_BYTES ? ticket.slice() : null,
  };
}

/** CLOSED's reason byte and text; null when the reason is not one byte. */
export function readClosed(frames: readonly Uint8Array[]): { reason: number; text: string } | null {
  const reason = frames[3];
  if (reason === undefined || reason.length !== 1) {
    return null;
  }
  return { reason: reason[0]!, text: frames[4] ? decoder.decode(frames[4]) : "" };
}

/** MOVE's text for people. */
export function readMove(frames: readonly Uint8Array[]): string {
  return frames[3] ? decoder.decode(frames[3]) : "";
}

/** UTF-8 text of a frame that carries an error message. */
export function text(frame: Uint8Array): string {
  return decoder.decode(frame);
}

function isHeader(frame: Uint8Array, kind: number): boolean {
  return frame[0] === 0x5a && frame[1] === 0x47 && frame[2] === 1 && frame[3] === kind;
}

function toBigInt(value: unknown): bigint | null {
  if (typeof value === "bigint") {
    return value;
  }
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) {
    return BigInt(value);
  }
  return null;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) {
    return false;
  }
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      return false;
    }
  }
  return true;
}

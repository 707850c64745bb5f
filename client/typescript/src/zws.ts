/**
 * ZWS 2.0 (ZeroMQ RFC 45): ZeroMQ over WebSocket, as a DEALER. Every ZeroMQ frame is one binary WebSocket message
 * whose first byte holds the flags (bit 0 MORE, bit 1 COMMAND) and the rest the frame's body.
 *
 * The subprotocol names the handshake. With `ZWS2.0/NULL` each side sends the NULL mechanism's READY command
 * (`Socket-Type` = `DEALER` here) and waits for the peer's; with bare `ZWS2.0` (libzmq's mechanism-less variant, what
 * jszmq speaks) each side's first message is its routing id instead. The client offers `ZWS2.0` only: a `/` may not
 * appear in a WebSocket subprotocol (RFC 6455 token), so browsers, Node's WebSocket and the `ws` package all refuse
 * to offer `ZWS2.0/NULL`. A server that answers with `ZWS2.0/NULL` anyway gets the READY handshake. A PING command is
 * answered with a PONG carrying its context. This file knows the bytes of ZWS and nothing of ZmqGame's protocols: it
 * hands on whole multipart messages.
 */

/**
 * The part of the WHATWG WebSocket the client uses; both the global `WebSocket` and the `ws` package's fit it. The
 * handlers take `any` because each implementation has its own event classes; the client reads `data` of a message
 * event and `code` and `reason` of a close event.
 */
export interface WebSocketLike {
  binaryType: string;
  readonly protocol: string;
  /* eslint-disable @typescript-eslint/no-explicit-any */
  onopen: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
  /* eslint-enable @typescript-eslint/no-explicit-any */
  send(data: Uint8Array<ArrayBuffer>): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket class: `globalThis.WebSocket` (browsers, Node ≥ 22) or `WebSocket` of the `ws` package (Node 20). */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** The subprotocols offered: the only ZWS 2.0 name a WebSocket client may send (see above). */
export const ZWS_SUBPROTOCOLS: readonly string[] = ["ZWS2.0"];

/** Flag bits of the first byte of every ZWS message. */
export const ZWS_MORE = 0x01;
export const ZWS_COMMAND = 0x02;

/** Frames in one incoming message beyond which the connection is dropped (the broker never sends that many). */
const MAX_FRAMES = 64;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A command's body: the name's length, the name, then its data. */
export function encodeCommand(name: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const nameBytes = encoder.encode(name);
  const body = new Uint8Array(1 + nameBytes.length + data.length);
  body[0] = nameBytes.length;
  body.set(nameBytes, 1);
  body.set(data, 1 + nameBytes.length);
  return body;
}

/** A command body split into its name and data; null when it does not read. */
export function decodeCommand(body: Uint8Array): { name: string; data: Uint8Array } | null {
  if (body.length < 1 || body.length < 1 + body[0]!) {
    return null;
  }
  return { name: decoder.decode(body.subarray(1, 1 + body[0]!)), data: body.subarray(1 + body[0]!) };
}

/** ZMTP metadata properties: a 1-byte name length, the name, a 4-byte big-endian value length, the value. */
export function encodeProperties(properties: Record<string, string>): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [name, value] of Object.entries(properties)) {
    const n = encoder.encode(name);
    const v = encoder.encode(value);
    const part = new Uint8Array(1 + n.length + 4 + v.length);
    part[0] = n.length;
    part.set(n, 1);
    new DataView(part.buffer).setUint32(1 + n.length, v.length);
    part.set(v, 1 + n.length + 4);
    parts.push(part);
  }
  return concat(parts);
}

/** The properties of a READY; null when they do not read. */
export function decodeProperties(data: Uint8Array): Record<string, string> | null {
  const properties: Record<string, string> = {};
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  while (at < data.length) {
    const nameLength = data[at]!;
    if (at + 1 + nameLength + 4 > data.length) {
      return null;
    }
    const name = decoder.decode(data.subarray(at + 1, at + 1 + nameLength));
    const valueLength = view.getUint32(at + 1 + nameLength);
    const valueAt = at + 1 + nameLength + 4;
    if (valueAt + valueLength > data.length) {
      return null;
    }
    properties[name] = decoder.decode(data.subarray(valueAt, valueAt + valueLength));
    at = valueAt + valueLength;
  }
  return properties;
}

/** One WebSocket message: the flags byte, then the body. */
export function encodeFrame(flags: number, body: Uint8Array): Uint8Array<ArrayBuffer> {
  const message = new Uint8Array(1 + body.length);
  message[0] = flags;
  message.set(body, 1);
  return message;
}

/** What a {@link ZwsLink} tells its owner. */
export interface ZwsHandlers {
  /** A whole multipart message arrived (after the handshake). */
  onMessage(frames: Uint8Array[]): void;
  /** The connection ended (it never opened, the peer closed it, or it broke ZWS); called once. */
  onClose(reason: string): void;
}

/**
 * One ZWS 2.0 connection as a DEALER. {@link ready} resolves once the handshake is done (the peer's READY, or with
 * `ZWS2.0` at once); messages are sent only after that. {@link ZwsHandlers.onClose} is called exactly once, also when
 * the connection never opened.
 */
export class ZwsLink {
  /** Resolves when the handshake is done; rejects when the connection ends first. */
  readonly ready: Promise<void>;

  private readonly socket: WebSocketLike;
  private readonly handlers: ZwsHandlers;
  private readonly parts: Uint8Array[] = [];
  private state: "opening" | "handshake" | "open" | "closed" = "opening";
  private skipRoutingId = false;
  private resolveReady!: () => void;
  private rejectReady!: (error: Error) => void;

  /** Connects to `url` offering `protocols` (both ZWS 2.0 variants unless told otherwise, preferred first). */
  constructor(WebSocketClass: WebSocketConstructor, readonly url: string, handlers: ZwsHandlers, protocols: readonly string[] = ZWS_SUBPROTOCOLS) {
    this.handlers = handlers;
    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined); // a caller that never waits for it must not see an unhandled rejection
    this.socket = new WebSocketClass(url, [...protocols]);
    this.socket.binaryType = "arraybuffer";
    this.socket.onopen = () => this.opened();
    this.socket.onmessage = (event: { data: unknown }) => this.received(event.data);
    this.socket.onclose = (event: { code: number; reason: string }) => this.ended(event.reason ? `closed (${event.code} ${event.reason})` : `closed (${event.code})`);
    this.socket.onerror = () => this.ended(this.state === "opening" ? `could not connect to ${url}` : "connection error");
  }

  /** True once the handshake is done and until the connection ends. */
  get isOpen(): boolean {
    return this.state === "open";
  }

  /** Sends one multipart message; false when the connection is not open. */
  send(frames: readonly Uint8Array[]): boolean {
    if (this.state !== "open") {
      return false;
    }
    try {
      for (let i = 0; i < frames.length; i++) {
        this.socket.send(encodeFrame(i < frames.length - 1 ? ZWS_MORE : 0, frames[i]!));
      }
      return true;
    } catch (error) {
      this.ended(`send failed: ${String(error)}`);
      return false;
    }
  }

  /** Closes the connection; {@link ZwsHandlers.onClose} is called with `reason`. */
  close(reason = "closed by the client"): void {
    this.ended(reason);
  }

  private opened(): void {
    if (this.state !== "opening") {
      return;
    }
    const protocol = this.socket.protocol;
    if (protocol === "ZWS2.0/NULL") {
      this.state = "handshake";
      this.socket.send(encodeFrame(ZWS_COMMAND, encodeCommand("READY", encodeProperties({ "Socket-Type": "DEALER" }))));
    } else if (protocol === "ZWS2.0") {
      // libzmq's ZWS2.0 without a mechanism: the routing id (empty: none asked for) is the first message each way.
      this.socket.send(encodeFrame(0, new Uint8Array(0)));
      this.skipRoutingId = true;
      this.state = "open";
      this.resolveReady();
    } else {
      this.ended(`the server chose the subprotocol '${protocol}', not ZWS2.0`);
    }
  }

  private received(data: unknown): void {
    if (this.state === "closed") {
      return;
    }
    if (!(data instanceof ArrayBuffer)) {
      this.ended("a text message: ZWS sends binary messages only");
      return;
    }
    const message = new Uint8Array(data);
    if (message.length < 1) {
      this.ended("an empty WebSocket message: ZWS needs the flags byte");
      return;
    }
    const flags = message[0]!;
    const body = message.subarray(1);
    if ((flags & ZWS_COMMAND) !== 0) {
      this.command(body);
      return;
    }
    if (this.state !== "open") {
      this.ended("a message before the handshake's READY");
      return;
    }
    this.parts.push(body);
    if ((flags & ZWS_MORE) !== 0) {
      if (this.parts.length > MAX_FRAMES) {
        this.ended(`a message of more than ${MAX_FRAMES} frames`);
      }
      return;
    }
    const frames = this.parts.splice(0, this.parts.length);
    if (this.skipRoutingId) {
      this.skipRoutingId = false;
      return;
    }
    this.handlers.onMessage(frames);
  }

  private command(body: Uint8Array): void {
    const command = decodeCommand(body);
    if (command === null) {
      this.ended("a command that does not read");
      return;
    }
    switch (command.name) {
      case "READY":
        if (this.state !== "handshake") {
          this.ended("READY after the handshake");
          return;
        }
        if (decodeProperties(command.data) === null) {
          this.ended("a READY whose properties do not read");
          return;
        }
        this.state = "open";
        this.resolveReady();
        return;
      case "ERROR":
        this.ended(`the server refused the handshake: ${decoder.decode(command.data.subarray(1, 1 + (command.data[0] ?? 0)))}`);
        return;
      case "PING":
        // PING: a 2-byte TTL, then the context the PONG carries back.
        if (this.state === "open") {
          this.socket.send(encodeFrame(ZWS_COMMAND, encodeCommand("PONG", command.data.subarray(2))));
        }
        return;
      default:
        return; // PONG and commands of later ZMTP versions: nothing to do
    }
  }

  private ended(reason: string): void {
    if (this.state === "closed") {
      return;
    }
    this.state = "closed";
    this.parts.length = 0;
    this.socket.onopen = this.socket.onmessage = this.socket.onclose = null;
    this.socket.onerror = () => undefined; // closing a connecting socket reports an error (the ws package throws it if unheard)
    try {
      this.socket.close();
    } catch {
      // already closed
    }
    this.rejectReady(new Error(reason));
    this.handlers.onClose(reason);
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * The client's outstanding requests: ids, deadlines, the requests waiting for a session, and every way a request
 * ends. Whoever removes a request from the table completes it, so a request completes exactly once: by its reply,
 * its deadline, its abort signal, the loss of its broker, or the client's close.
 */
import { Status, ZmqGameRequestError } from "./status.js";
import * as Frames from "./frames.js";

/**
 * How long past a request's deadline the client waits before ending it itself, once the request was sent: the broker
 * ends a request still in its queue at the same deadline with a status that names why (for example no worker of the
 * service is registered), and that answer, a broker tick and a trip later, should win.
 */
export const BROKER_DEADLINE_GRACE_MS = 500;

/** One outstanding request. */
export interface PendingRequest {
  readonly id: bigint;
  readonly service: string;
  readonly serviceBytes: Uint8Array;
  readonly command: number;
  readonly payload: Uint8Array;
  readonly timeoutMs: number;
  /** When its deadline passes, in `performance.now()` milliseconds. */
  readonly deadline: number;
  /** The connection it was written to (its epoch); 0 while it is at no broker. */
  sentOn: number;
}

interface Entry {
  request: PendingRequest;
  resolve: (payload: Uint8Array) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  graced: boolean;
  unlisten: () => void;
}

/** The pending requests and the queue of those waiting for a connection with a session. */
export class RequestTable {
  private readonly pending = new Map<bigint, Entry>();
  private readonly unsent: PendingRequest[] = [];
  private nextId = 0n;
  /** Replies to requests nobody waits for any more (ended by their deadline, say). */
  unknownReplies = 0;

  get count(): number {
    return this.pending.size;
  }

  /** True while requests wait for a connection with a session. */
  get hasUnsent(): boolean {
    return this.unsent.length > 0;
  }

  /** Registers a request with a fresh id; its deadline and `signal` run from now on. */
  add(service: string, serviceBytes: Uint8Array, command: number, payload: Uint8Array, timeoutMs: number, signal?: AbortSignal): {
    request: PendingRequest;
    reply: Promise<Uint8Array>;
  } {
    const id = ++this.nextId;
    const request: PendingRequest = { id, service, serviceBytes, command, payload, timeoutMs, deadline: performance.now() + timeoutMs, sentOn: 0 };
    const reply = new Promise<Uint8Array>((resolve, reject) => {
      const onAbort = () => this.end(id, signal?.reason instanceof Error ? signal.reason : new Error("the request was aborted"));
      signal?.addEventListener("abort", onAbort, { once: true });
      const entry: Entry = {
        request,
        resolve,
        reject,
        graced: false,
        timer: setTimeout(() => this.expire(id), timeoutMs),
        unlisten: () => signal?.removeEventListener("abort", onAbort),
      };
      this.pending.set(id, entry);
    });
    if (signal?.aborted) {
      this.end(id, signal.reason instanceof Error ? signal.reason : new Error("the request was aborted"));
    }
    return { request, reply };
  }

  /** False when the request already ended. */
  isPending(id: bigint): boolean {
    return this.pending.has(id);
  }

  /** Holds a request until a connection has a session (its deadline still runs). */
  hold(request: PendingRequest): void {
    request.sentOn = 0;
    this.unsent.push(request);
  }

  /** The held requests that are still pending, oldest first; the queue is empty afterwards. */
  takeUnsent(): PendingRequest[] {
    return this.unsent.splice(0, this.unsent.length).filter((r) => this.pending.has(r.id));
  }

  /** The request header for sending `request` now: its timeout field carries the time left until its deadline. */
  header(request: PendingRequest): Uint8Array {
    return Frames.requestHeader(request.id, request.command, Math.max(1, request.deadline - performance.now()));
  }

  /** Completes the request a REPLY answers; a reply nobody waits for is counted. */
  complete(id: bigint, status: number, payload: Uint8Array): void {
    const entry = this.pending.get(id);
    if (entry === undefined) {
      this.unknownReplies++;
      return;
    }
    const { request } = entry;
    if (status === Status.Ok) {
      this.remove(id);
      entry.resolve(payload);
    } else {
      this.end(id, new ZmqGameRequestError(status, request.service, request.command, Frames.text(payload)));
    }
  }

  /** The request a `no session` reply answered, if it is still pending: it did not run, so it can go again. */
  get(id: bigint): PendingRequest | undefined {
    return this.pending.get(id)?.request;
  }

  /** True while a request written to connection `epoch` waits for its reply. */
  anySentOn(epoch: number): boolean {
    for (const entry of this.pending.values()) {
      if (entry.request.sentOn === epoch) {
        return true;
      }
    }
    return false;
  }

  /**
   * The broker of connection `epoch` was lost: each request written to it waits for the next connection's session
   * when `idempotent` says its route may run twice (deadline unchanged), else fails with `BrokerLost`.
   */
  lostOn(epoch: number, endpoint: string, idempotent: (request: PendingRequest) => boolean): { failed: number; resent: number } {
    let failed = 0;
    let resent = 0;
    for (const [id, entry] of [...this.pending]) {
      const { request } = entry;
      if (request.sentOn !== epoch) {
        continue;
      }
      if (idempotent(request)) {
        resent++;
        this.hold(request);
        continue;
      }
      failed++;
      this.end(
        id,
        new ZmqGameRequestError(
          Status.BrokerLost,
          request.service,
          request.command,
          `the broker at ${endpoint} was lost before the reply; the request may or may not have run`,
          true,
        ),
      );
    }
    return { failed, resent };
  }

  /** Fails every pending request (the client closed). */
  failAll(error: () => Error): void {
    for (const id of [...this.pending.keys()]) {
      this.end(id, error());
    }
    this.unsent.length = 0;
  }

  private expire(id: bigint): void {
    const entry = this.pending.get(id);
    if (entry === undefined) {
      return;
    }
    if (entry.request.sentOn !== 0 && !entry.graced) {
      // Sent: the broker's own answer at the same deadline names why; give it a moment to arrive.
      entry.graced = true;
      entry.timer = setTimeout(() => this.expire(id), BROKER_DEADLINE_GRACE_MS);
      return;
    }
    const { request } = entry;
    this.end(id, new ZmqGameRequestError(Status.Timeout, request.service, request.command, `no reply within ${request.timeoutMs} ms`));
  }

  private end(id: bigint, error: Error): void {
    const entry = this.remove(id);
    entry?.reject(error);
  }

  private remove(id: bigint): Entry | undefined {
    const entry = this.pending.get(id);
    if (entry === undefined) {
      return undefined;
    }
    this.pending.delete(id);
    clearTimeout(entry.timer);
    entry.unlisten();
    return entry;
  }
}

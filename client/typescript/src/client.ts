/**
 * A ZmqGame client over WebSocket: the ZGC01 protocol (docs/protocol.md) on a ZWS 2.0 connection to a broker's
 * WebSocket frontend, behaving as the .NET client does. It always holds a session on the broker: it opens one on
 * connect, resumes it after a reconnect, and opens a new one (not logged in) when the broker ends it. Requests wait
 * for the session's WELCOME so each carries it; every request ends in a reply, a {@link ZmqGameRequestError} or a
 * {@link ZmqGameClosedError}, never hangs. The client heartbeats the broker and, when it falls silent or the
 * connection closes, connects again (another broker of the list first, then with backoff) and resumes the session.
 */
import * as Frames from "./frames.js";
import { encodePayload, decodePayload } from "./payload.js";
import { PushFanOut, type ServerPush } from "./pushes.js";
import { RequestTable, type PendingRequest } from "./requests.js";
import { SessionState, type ClientSession, type SessionClosedEvent } from "./session.js";
import { Status, ZmqGameClosedError, ZmqGameRequestError } from "./status.js";
import { ZwsLink } from "./zws.js";
import { duration, endpointList, serviceBytes, settingsFrom, type Settings, type ZmqGameClientOptions } from "./options.js";
import { roundOrder, backoffDelay } from "./reconnect.js";

/** How long `close` waits for the broker's CLOSED after CLOSE before it closes the connection anyway. */
const CLOSE_TIMEOUT_MS = 1000;
/** The least time a new connection waits for its broker's first word before trying another listed broker. */
const MIN_UNANSWERED_MS = 1000;

/** Per-call settings of {@link ZmqGameClient.call}. */
export interface CallOptions {
  /** The request's deadline in milliseconds; the client's `requestTimeoutMs` when not given. */
  deadlineMs?: number;
  /** Aborting it ends the request at once with the signal's reason (the reply, if any, is ignored). */
  signal?: AbortSignal;
}

/** One connection attempt and its fate. */
interface Attempt {
  readonly epoch: number;
  readonly endpoint: string;
  readonly link: ZwsLink;
  /** Resolves true when the broker first spoke on it, false when it closed before. */
  readonly answered: Promise<boolean>;
  /** Resolves when it closed. */
  readonly closed: Promise<void>;
  heard: boolean;
  signalAnswered(value: boolean): void;
  signalClosed(): void;
}

/** A connection to a ZmqGame broker's WebSocket frontend. Create one with {@link ZmqGameClient.connect}. */
export class ZmqGameClient {
  private readonly settings: Settings;
  private readonly endpoints: string[];
  private readonly requests = new RequestTable();
  private readonly sessionState: SessionState;
  private readonly fanOut: PushFanOut;
  private readonly tickTimer: ReturnType<typeof setInterval>;
  private readonly firstWelcome: Promise<void>;
  private resolveFirstWelcome!: () => void;
  private attempt: Attempt | null = null;
  private epochs = 0;
  private movingEpoch = 0;
  private lastHeard = 0;
  private lastSent = 0;
  private lastHeartbeat = 0;
  private announcedMaxMessageSize = 0;
  private idempotent = new Map<string, Set<number>>();
  private closed = false;
  private closeAnswered: (() => void) | null = null;
  private wake: (() => void) | null = null;
  /** Messages from the broker that did not read (counted, reported now and then). */
  malformedMessages = 0;

  private constructor(endpoints: string[], settings: Settings) {
    this.endpoints = endpoints;
    this.settings = settings;
    this.sessionState = new SessionState(settings.logger.warn);
    this.fanOut = new PushFanOut(settings.pushBufferSize, settings.logger.warn);
    this.firstWelcome = new Promise((resolve) => (this.resolveFirstWelcome = resolve));
    this.tickTimer = setInterval(() => this.tick(), Math.max(1, Math.floor(settings.heartbeatIntervalMs / 4)));
  }

  /**
   * Connects to a broker's WebSocket frontend (`"ws://host:5580"`, or a comma-separated list or array of the brokers
   * of a cluster: the client starts at one chosen at random and moves to another when it loses it) and resolves once
   * the broker has opened the client's session.
   * @throws Error when no broker answered within `connectTimeoutMs`; TypeError/RangeError for a bad endpoint or option.
   */
  static async connect(endpoints: string | readonly string[], options: ZmqGameClientOptions = {}): Promise<ZmqGameClient> {
    const list = endpointList(endpoints);
    const client = new ZmqGameClient(list, settingsFrom(options));
    client.run().catch((error: unknown) => client.settings.logger.warn(`the connection loop stopped: ${String(error)}`));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), client.settings.connectTimeoutMs)));
    const welcomed = await Promise.race([client.firstWelcome.then(() => true), timedOut]);
    clearTimeout(timer);
    if (!welcomed) {
      await client.close();
      throw new Error(`no broker answered at ${list.join(",")} within ${client.settings.connectTimeoutMs / 1000} s`);
    }
    return client;
  }

  /** The broker this client talks to now (the last one while it moves between brokers). */
  get endpoint(): string {
    return this.attempt?.endpoint ?? this.endpoints[0]!;
  }

  /** The session as the broker last described it; null only between the broker ending one and its WELCOME for the next. */
  get session(): ClientSession | null {
    return this.sessionState.current;
  }

  /** Pushes dropped because a reader's buffer was full (its oldest push each time), over all readers. */
  get droppedPushes(): number {
    return this.fanOut.dropped;
  }

  /** Requests waiting for their reply. */
  get pendingRequests(): number {
    return this.requests.count;
  }

  /**
   * Sends `request` (MessagePack) to command `command` of `service` and resolves with the reply's payload, read from
   * MessagePack. Rejects with {@link ZmqGameRequestError} (its `status` says why: an error status of the worker or
   * broker, `Timeout` at the deadline, `BrokerLost` when the broker holding it was lost, `TooLarge`), or with
   * {@link ZmqGameClosedError} when the client is closed first.
   */
  async call<TResponse = unknown, TRequest = unknown>(service: string, command: number, request: TRequest, options: CallOptions = {}): Promise<TResponse> {
    const reply = await this.callRaw(service, command, encodePayload(request), options);
    try {
      return decodePayload(reply) as TResponse;
    } catch (error) {
      throw new ZmqGameRequestError(Status.HandlerFailed, service, command, `the reply could not be read as MessagePack: ${String(error)}`);
    }
  }

  /** As {@link call}, for callers that serialize themselves: one payload frame out, the reply's payload frame back (empty when it has none). */
  callRaw(service: string, command: number, payload: Uint8Array, options: CallOptions = {}): Promise<Uint8Array> {
    if (this.closed) {
      return Promise.reject(new ZmqGameClosedError());
    }
    const serviceName = serviceBytes(service, "service");
    if (!Number.isInteger(command) || command < -0x80000000 || command > 0x7fffffff) {
      throw new RangeError(`command must be a 32-bit integer (was ${String(command)})`);
    }
    const deadlineMs = duration(options.deadlineMs, this.settings.requestTimeoutMs, "deadlineMs");
    const size = Frames.requestSize(serviceName, payload);
    const limit = this.announcedMaxMessageSize > 0 ? this.announcedMaxMessageSize : this.settings.maxMessageSize;
    if (size > limit) {
      return Promise.reject(new ZmqGameRequestError(Status.TooLarge, service, command, `request of ${size} bytes is over the broker's limit of ${limit}`));
    }
    const { request, reply } = this.requests.add(service, serviceName, command, payload.slice(), deadlineMs, options.signal);
    this.send(request);
    return reply;
  }

  /**
   * Calls `handler` with the payload (read from MessagePack) of every push of command `command` from now on, one at a
   * time, in arrival order (an async handler is awaited first). A handler that throws is reported and the subscription
   * goes on. Returns the function that stops it; closing the client stops it too.
   */
  onPush<T = unknown>(command: number, handler: (value: T, push: ServerPush) => unknown): () => void;
  /** Calls `handler` with every push, whatever its command. */
  onPush(handler: (push: ServerPush) => unknown): () => void;
  onPush<T>(commandOrHandler: number | ((push: ServerPush) => unknown), handler?: (value: T, push: ServerPush) => unknown): () => void {
    this.throwIfClosed();
    if (typeof commandOrHandler === "function") {
      return this.fanOut.listen(null, commandOrHandler);
    }
    const typed = handler!;
    return this.fanOut.listen(commandOrHandler, (push) => typed(push.read<T>(), push));
  }

  /**
   * Every push from now on (of one command when `command` is given), in arrival order, until the client closes or
   * `signal` aborts: `for await (const push of client.pushes()) { … push.command, push.read<T>() … }`. Each call is
   * its own reader with its own buffer; leaving the loop stops it.
   */
  pushes(options: { command?: number; signal?: AbortSignal } = {}): AsyncIterableIterator<ServerPush> {
    this.throwIfClosed();
    return this.fanOut.stream(options.command ?? null, options.signal);
  }

  /**
   * Calls `listener` after every WELCOME once `connect` has resolved: a login or logout, a change of groups, a resume
   * after a reconnect (`resumed` true), a new session after the broker ended one, a ticket refresh.
   */
  onSessionChanged(listener: (session: ClientSession, resumed: boolean) => void): () => void {
    return this.sessionState.onChanged(listener);
  }

  /**
   * Calls `listener` when the broker ends the session (expired, kicked, replaced by a login elsewhere, or closed by
   * this client). Unless this client closed it, the client has already asked for a new session, not logged in.
   */
  onSessionClosed(listener: (event: SessionClosedEvent) => void): () => void {
    return this.sessionState.onClosed(listener);
  }

  /**
   * Closes the session (CLOSE, waiting up to a second for the broker's CLOSED), fails outstanding requests with
   * {@link ZmqGameClosedError}, ends push readers and closes the connection.
   */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    clearInterval(this.tickTimer);
    this.requests.failAll(() => new ZmqGameClosedError("the client was closed before the request completed"));
    this.sessionState.closing = true;
    const attempt = this.attempt;
    if (attempt?.link.isOpen && attempt.heard && (this.sessionState.id !== 0n || this.sessionState.helloSentAt !== null)) {
      const answered = new Promise<void>((resolve) => (this.closeAnswered = resolve));
      if (attempt.link.send(Frames.close())) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([answered, new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)))]);
        clearTimeout(timer);
      }
    }
    this.fanOut.completeAll();
    attempt?.link.close("the client closed");
    this.wake?.();
  }

  /** The connection loop: one broker after another until one answers, then that one until it is lost. */
  private async run(): Promise<void> {
    let last = -1;
    let failedRounds = 0;
    while (!this.closed) {
      let answered = false;
      for (const index of roundOrder(last, this.endpoints.length)) {
        if (this.closed) {
          return;
        }
        last = index;
        const attempt = this.open(this.endpoints[index]!);
        if (await attempt.answered) {
          answered = true;
          failedRounds = 0;
          await attempt.closed;
          break;
        }
      }
      if (!answered && !this.closed) {
        const delay = backoffDelay(++failedRounds, this.settings.reconnectDelayMinMs, this.settings.reconnectDelayMaxMs);
        this.settings.logger.info(`no broker answered at ${this.endpoints.join(",")}; trying again in ${Math.round(delay)} ms (round ${failedRounds})`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
      }
    }
  }

  /** Opens a connection to `endpoint`; HELLO goes as soon as its ZWS handshake is done. */
  private open(endpoint: string): Attempt {
    const epoch = ++this.epochs;
    let signalAnswered!: (value: boolean) => void;
    let signalClosed!: () => void;
    const answered = new Promise<boolean>((resolve) => (signalAnswered = resolve));
    const closed = new Promise<void>((resolve) => (signalClosed = resolve));
    const link = new ZwsLink(this.settings.WebSocket, endpoint, {
      onMessage: (frames) => this.received(epoch, frames),
      onClose: (reason) => this.linkClosed(epoch, reason),
    });
    const attempt: Attempt = { epoch, endpoint, link, answered, closed, heard: false, signalAnswered, signalClosed };
    this.attempt = attempt;
    this.lastHeard = performance.now();
    link.ready.then(
      () => {
        if (this.attempt === attempt && !this.closed) {
          this.lastHeard = performance.now();
          this.sendHello(this.sessionState.ticket !== null);
        }
      },
      () => undefined,
    );
    return attempt;
  }

  /** The connection of `epoch` ended (the transport said so, or the client closed it): its broker is lost. */
  private linkClosed(epoch: number, reason: string): void {
    const attempt = this.attempt;
    if (attempt === null || attempt.epoch !== epoch) {
      return;
    }
    this.sessionState.connectionClosed();
    this.closeAnswered?.();
    const { failed, resent } = this.requests.lostOn(epoch, attempt.endpoint, (r) => this.idempotent.get(r.service)?.has(r.command) === true);
    if (attempt.heard && !this.closed) {
      this.settings.logger.warn(`lost the broker at ${attempt.endpoint}: ${reason}; ${failed} request(s) failed, ${resent} to send again`);
    } else {
      this.settings.logger.debug(`connection to ${attempt.endpoint} ended: ${reason}`);
    }
    attempt.signalAnswered(false);
    attempt.signalClosed();
  }

  /** Liveness, every quarter heartbeat interval: lose a silent broker, heartbeat a quiet one. */
  private tick(): void {
    const attempt = this.attempt;
    if (attempt === null || this.closed || this.leaveIfMoved()) {
      return;
    }
    const now = performance.now();
    const interval = this.settings.heartbeatIntervalMs;
    const silenceLimit = interval * this.settings.liveness;
    const silence = now - this.lastHeard;
    if (!attempt.heard && this.endpoints.length > 1 && silence >= Math.max(interval, MIN_UNANSWERED_MS)) {
      attempt.link.close(`no answer within ${Math.round(silence)} ms`);
    } else if (silence >= silenceLimit) {
      attempt.link.close(`nothing heard for ${Math.round(silence)} ms`);
    } else if (this.sessionState.helloSentAt !== null && now - this.sessionState.helloSentAt >= silenceLimit) {
      attempt.link.close(`HELLO unanswered for ${Math.round(now - this.sessionState.helloSentAt)} ms`);
    } else if (attempt.link.isOpen && (now - this.lastSent >= interval || (silence >= interval && now - this.lastHeartbeat >= interval))) {
      if (attempt.link.send(Frames.heartbeat(this.sessionState.id))) {
        this.lastSent = this.lastHeartbeat = now;
      }
    }
  }

  /** A request goes now if the connection has a session, else it waits for the next WELCOME (its deadline still runs). */
  private send(request: PendingRequest): void {
    const attempt = this.attempt;
    if (attempt === null || !attempt.link.isOpen || !this.sessionState.linkWelcomed || this.movingEpoch === attempt.epoch) {
      this.requests.hold(request);
      return;
    }
    const frames = Frames.request(this.sessionState.id, request.serviceBytes, this.requests.header(request), request.payload);
    if (attempt.link.send(frames)) {
      request.sentOn = attempt.epoch;
      this.lastSent = performance.now();
    } else {
      this.requests.hold(request);
    }
  }

  /** The session is open on this connection: the held requests go, oldest first. */
  private flushUnsent(): void {
    for (const request of this.requests.takeUnsent()) {
      this.send(request);
    }
  }

  private sendHello(resume: boolean): void {
    if (this.attempt?.link.send(Frames.hello(this.settings.sessionService, resume ? this.sessionState.ticket : null))) {
      this.lastSent = performance.now();
      this.sessionState.helloSent(this.lastSent);
    }
  }

  private received(epoch: number, frames: Uint8Array[]): void {
    const attempt = this.attempt;
    if (attempt === null || attempt.epoch !== epoch) {
      return;
    }
    this.lastHeard = performance.now();
    if (!attempt.heard) {
      attempt.heard = true;
      attempt.signalAnswered(true);
    }
    try {
      this.dispatch(frames);
    } catch (error) {
      this.malformed(`unexpected error: ${String(error)}`);
    }
  }

  /** One case per ZGC01 command byte. */
  private dispatch(frames: Uint8Array[]): void {
    const command = Frames.readCommand(frames);
    switch (command) {
      case Frames.Command.Reply: {
        const reply = Frames.readReply(frames);
        if (reply === null) {
          this.malformed("REPLY without a valid reply header");
          return;
        }
        const refused = reply.status === Status.NoSession ? this.requests.get(reply.requestId) : undefined;
        if (refused !== undefined) {
          // It did not run: hold it, and everything after it, until the session is resumed on this connection.
          this.requests.hold(refused);
          this.sessionState.linkWelcomed = false;
          if (this.sessionState.helloSentAt === null && !this.sessionState.closing) {
            this.sendHello(this.sessionState.ticket !== null);
          }
          return;
        }
        this.requests.complete(reply.requestId, reply.status, reply.payload);
        this.leaveIfMoved();
        return;
      }
      case Frames.Command.Heartbeat:
        return; // liveness was refreshed already
      case Frames.Command.Hello: {
        const welcome = Frames.readWelcome(frames);
        if (welcome === null) {
          this.malformed("WELCOME without a valid welcome map");
          return;
        }
        if (welcome.welcome.maxMessageSize > 0) {
          this.announcedMaxMessageSize = welcome.welcome.maxMessageSize;
        }
        this.idempotent = welcome.welcome.idempotent;
        const { firstOnLink, first } = this.sessionState.welcomed(welcome.welcome, welcome.ticket);
        this.settings.logger.debug(
          `session ${welcome.welcome.session} ${welcome.welcome.resumed ? "resumed" : "open"} at ${this.endpoint} (user ${welcome.welcome.user ?? "-"})`,
        );
        if (firstOnLink) {
          this.flushUnsent();
        }
        if (first) {
          this.resolveFirstWelcome();
        }
        return;
      }
      case Frames.Command.Push: {
        const push = Frames.readPush(frames);
        if (push === null) {
          this.malformed("PUSH without a valid push header");
          return;
        }
        this.fanOut.deliver(push.command, push.payload);
        return;
      }
      case Frames.Command.Close: {
        const closed = Frames.readClosed(frames);
        if (closed === null) {
          this.malformed("CLOSED without a one-byte reason");
          return;
        }
        const id = this.sessionState.id;
        this.sessionState.closedByBroker(closed.reason, closed.text);
        if (this.sessionState.closing) {
          this.closeAnswered?.();
          return;
        }
        this.settings.logger.info(`session ${id} ended at ${this.endpoint}: ${closed.text || closed.reason}; opening a new one`);
        this.sendHello(false);
        return;
      }
      case Frames.Command.NoSession:
        // Answers come in order: one that answered a heartbeat sent before a pending HELLO is settled by that HELLO.
        if (!this.sessionState.closing && this.sessionState.helloSentAt === null) {
          this.sendHello(this.sessionState.ticket !== null);
        }
        return;
      case Frames.Command.Move:
        if (this.movingEpoch !== this.attempt!.epoch) {
          this.movingEpoch = this.attempt!.epoch;
          this.settings.logger.info(`the broker at ${this.endpoint} asks its clients to move: ${Frames.readMove(frames)}`);
        }
        this.leaveIfMoved();
        return;
      default:
        this.malformed(command === null ? "not a ZGC01 message" : `unknown ZGC01 command 0x${command.toString(16)}`);
    }
  }

  /**
   * The broker of this connection said MOVE and holds no more of its requests: the connection closes and the loop
   * opens the next broker, where the session resumes. True when it closed.
   */
  private leaveIfMoved(): boolean {
    const attempt = this.attempt;
    if (attempt === null || this.movingEpoch !== attempt.epoch || !attempt.link.isOpen || this.requests.anySentOn(attempt.epoch)) {
      return false;
    }
    attempt.link.close("moving to another broker");
    return true;
  }

  private malformed(reason: string): void {
    const count = ++this.malformedMessages;
    if ((count & (count - 1)) === 0) {
      this.settings.logger.warn(`dropped a message from the broker: ${reason} (${count} so far)`); // 1st, 2nd, 4th…: never a flood
    }
  }

  private throwIfClosed(): void {
    if (this.closed) {
      throw new ZmqGameClosedError();
    }
  }
}

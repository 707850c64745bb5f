/**
 * Server pushes to their readers. Each reader (a {@link PushFanOut.stream} or an `onPush` callback) has its own
 * bounded buffer; a full buffer drops its oldest push and counts it, so a slow reader never holds up the connection,
 * requests or other readers.
 */
import { decodePayload } from "./payload.js";

/** A message the server pushed to this client (ZGC01 PUSH): a command id and its payload. */
export class ServerPush {
  constructor(
    /** The push's command id, chosen by the worker or trigger that sent it. */
    readonly command: number,
    /** The payload frame as received (MessagePack when sent by the ZmqGame libraries); empty when the push had none. */
    readonly payload: Uint8Array,
  ) {}

  /** Reads the payload as MessagePack; throws when it does not read. */
  read<T = unknown>(): T {
    return decodePayload(this.payload) as T;
  }
}

/** One reader's buffer. */
class Subscriber {
  private readonly buffer: ServerPush[] = [];
  private waiter: ((result: IteratorResult<ServerPush>) => void) | null = null;
  private done = false;

  constructor(
    readonly command: number | null,
    private readonly limit: number,
    private readonly onDrop: () => void,
    private readonly onEnd: (subscriber: Subscriber) => void,
  ) {}

  deliver(push: ServerPush): void {
    if (this.done) {
      return;
    }
    if (this.waiter !== null) {
      const waiter = this.waiter;
      this.waiter = null;
      waiter({ value: push, done: false });
      return;
    }
    if (this.buffer.length >= this.limit) {
      this.buffer.shift();
      this.onDrop();
    }
    this.buffer.push(push);
  }

  next(): Promise<IteratorResult<ServerPush>> {
    const push = this.buffer.shift();
    if (push !== undefined) {
      return Promise.resolve({ value: push, done: false });
    }
    if (this.done) {
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** No more pushes: a waiting reader ends at once, a buffered one after what it holds. */
  complete(): void {
    if (this.done) {
      return;
    }
    this.done = true;
    this.onEnd(this);
    if (this.waiter !== null) {
      const waiter = this.waiter;
      this.waiter = null;
      waiter({ value: undefined, done: true });
    }
  }

  /** The reader stopped: drop what it holds. */
  cancel(): void {
    this.buffer.length = 0;
    this.complete();
  }
}

/** Every push to every reader that wants it. */
export class PushFanOut {
  private readonly subscribers = new Set<Subscriber>();
  private closed = false;
  /** Pushes dropped because a reader's buffer was full. */
  dropped = 0;
  /** Pushes received. */
  received = 0;

  constructor(
    private readonly bufferSize: number,
    private readonly warn: (message: string) => void,
  ) {}

  deliver(command: number, payload: Uint8Array): void {
    this.received++;
    const push = new ServerPush(command, payload);
    for (const subscriber of this.subscribers) {
      if (subscriber.command === null || subscriber.command === command) {
        subscriber.deliver(push);
      }
    }
  }

  /** Every push from now on (of one command when `command` is given), until the client closes or `signal` aborts. */
  stream(command: number | null, signal?: AbortSignal): AsyncIterableIterator<ServerPush> {
    const subscriber = this.subscribe(command);
    const onAbort = () => subscriber.cancel();
    signal?.addEventListener("abort", onAbort, { once: true });
    if (signal?.aborted) {
      subscriber.cancel();
    }
    const iterator: AsyncIterableIterator<ServerPush> = {
      next: () => subscriber.next(),
      return: () => {
        signal?.removeEventListener("abort", onAbort);
        subscriber.cancel();
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /**
   * Calls `handler` with every push (of one command when `command` is given), one at a time, in arrival order; an
   * async handler is awaited before the next. A handler that throws is reported and the subscription goes on.
   * Returns the function that stops it.
   */
  listen(command: number | null, handler: (push: ServerPush) => unknown): () => void {
    const subscriber = this.subscribe(command);
    void (async () => {
      for (;;) {
        const { value, done } = await subscriber.next();
        if (done) {
          return;
        }
        try {
          await handler(value);
        } catch (error) {
          this.warn(`push handler for command ${value.command} failed: ${String(error)}`);
        }
      }
    })();
    return () => subscriber.cancel();
  }

  /** The client closed: every reader ends. */
  completeAll(): void {
    this.closed = true;
    for (const subscriber of [...this.subscribers]) {
      subscriber.complete();
    }
  }

  private subscribe(command: number | null): Subscriber {
    const subscriber = new Subscriber(
      command,
      this.bufferSize,
      () => this.dropped++,
      (s) => this.subscribers.delete(s),
    );
    if (this.closed) {
      subscriber.complete();
    } else {
      this.subscribers.add(subscriber);
    }
    return subscriber;
  }
}

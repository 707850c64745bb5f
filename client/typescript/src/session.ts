/**
 * The client's side of its session (docs/protocol.md, "Sessions"): what the broker last said about it (WELCOME), the
 * ticket to resume it with, whether a HELLO is on its way, and the listeners of its changes. It decides nothing about
 * connections; the client asks it what to say and tells it what was heard.
 */
import { closeReasonName, type SessionCloseReasonCode } from "./status.js";
import type { Welcome } from "./frames.js";

/** The session as the broker last described it (its latest WELCOME). Immutable: a change is a new object. */
export interface ClientSession {
  /** The session id the broker chose (never 0). */
  readonly id: bigint;
  /** The user the session is bound to (set by a worker after a login); null when not logged in. */
  readonly userId: string | null;
  /** True when the session is bound to a user. */
  readonly isLoggedIn: boolean;
  /** The user's data flags, as the worker that bound the session set them. */
  readonly flags: bigint;
  /** The groups the session is in (pushes to a group reach it). */
  readonly groups: readonly string[];
  /** The broker ends the session after this much silence from the client (the client heartbeats well within it). */
  readonly timeoutMs: number;
}

/** What {@link ZmqGameClient.onSessionClosed} listeners get. */
export interface SessionClosedEvent {
  /** The id of the session that ended; 0n when the client held none (a resume refused before it was known). */
  readonly sessionId: bigint;
  /** Why it ended: one of `SessionCloseReason`. */
  readonly reason: SessionCloseReasonCode;
  /** The reason's name: "client closed", "expired", "kicked" or "replaced". */
  readonly reasonName: string;
  /** The broker's text for people (for a kick, the kicker's reason); may be empty. */
  readonly text: string;
}

/** The session's state on the client. */
export class SessionState {
  /** The latest ticket, to resume with. */
  ticket: Uint8Array | null = null;
  /** The open session's id; 0n: none. */
  id = 0n;
  /** The session of the latest WELCOME; null before the first and between CLOSED and the next WELCOME. */
  current: ClientSession | null = null;
  /** A HELLO is on its way and neither WELCOME nor CLOSED answered it yet; when it was sent. */
  helloSentAt: number | null = null;
  /** A WELCOME arrived on the current connection: requests may go. */
  linkWelcomed = false;
  /** CLOSE was said by the client: no new session after CLOSED. */
  closing = false;

  private welcomedOnce = false;
  private readonly changed = new Set<(session: ClientSession, resumed: boolean) => void>();
  private readonly closed = new Set<(event: SessionClosedEvent) => void>();

  constructor(private readonly warn: (message: string) => void) {}

  /** A HELLO went: it resumes when there is a ticket. */
  helloSent(now: number): void {
    this.helloSentAt = now;
  }

  /** The connection closed: whatever was asked on it is void. */
  connectionClosed(): void {
    this.linkWelcomed = false;
    this.helloSentAt = null;
  }

  /**
   * WELCOME: the session is open (new or resumed). Returns whether it is the first WELCOME on this connection (held
   * requests go then) and whether it is the client's very first (the one `connect` returns with: no event).
   */
  welcomed(welcome: Welcome, ticket: Uint8Array | null): { firstOnLink: boolean; first: boolean } {
    if (ticket !== null) {
      this.ticket = ticket;
    }
    this.helloSentAt = null;
    this.id = welcome.session;
    const session: ClientSession = Object.freeze({
      id: welcome.session,
      userId: welcome.user,
      isLoggedIn: welcome.user !== null,
      flags: welcome.flags,
      groups: Object.freeze([...welcome.groups]),
      timeoutMs: welcome.timeoutMs,
    });
    this.current = session;
    if (this.closing) {
      return { firstOnLink: false, first: false };
    }
    const firstOnLink = !this.linkWelcomed;
    this.linkWelcomed = true;
    if (!this.welcomedOnce) {
      this.welcomedOnce = true;
      return { firstOnLink, first: true };
    }
    this.emit(this.changed, (listener) => listener(session, welcome.resumed));
    return { firstOnLink, first: false };
  }

  /** CLOSED: the session ended; the ticket is void. */
  closedByBroker(reason: number, text: string): void {
    const event: SessionClosedEvent = Object.freeze({ sessionId: this.id, reason, reasonName: closeReasonName(reason), text });
    this.id = 0n;
    this.ticket = null;
    this.current = null;
    this.helloSentAt = null;
    this.emit(this.closed, (listener) => listener(event));
  }

  onChanged(listener: (session: ClientSession, resumed: boolean) => void): () => void {
    this.changed.add(listener);
    return () => this.changed.delete(listener);
  }

  onClosed(listener: (event: SessionClosedEvent) => void): () => void {
    this.closed.add(listener);
    return () => this.closed.delete(listener);
  }

  /** Listeners run after the message that caused the event has been handled, one at a time; one that throws is reported. */
  private emit<T>(listeners: Set<T>, call: (listener: T) => void): void {
    for (const listener of [...listeners]) {
      queueMicrotask(() => {
        try {
          call(listener);
        } catch (error) {
          this.warn(`session listener failed: ${String(error)}`);
        }
      });
    }
  }
}

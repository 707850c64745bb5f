/**
 * How a request ends and how a session ends: the status codes of the reply header and the reasons of CLOSED
 * (docs/protocol.md, "Status codes" and "Sessions"), with the names the .NET client uses in its messages.
 */

/** The status of a reply. `BrokerLost` is set by the client library itself, never sent on the wire. */
export const Status = {
  Ok: 0,
  NoSuchRoute: 1,
  HandlerFailed: 2,
  Timeout: 3,
  WorkerLost: 4,
  Busy: 5,
  NotAuthorised: 6,
  BadRequest: 7,
  NoSession: 8,
  TooLarge: 9,
  RateLimited: 10,
  BrokerLost: 11,
} as const;

/** One of the {@link Status} codes (an unknown code from a newer broker is kept as its number). */
export type StatusCode = (typeof Status)[keyof typeof Status] | number;

const statusNames: Record<number, string> = {
  0: "ok",
  1: "no such route",
  2: "handler failed",
  3: "timeout",
  4: "worker lost",
  5: "busy",
  6: "not authorised",
  7: "bad request",
  8: "no session",
  9: "too large",
  10: "rate limited",
  11: "broker lost",
};

/** Lower-case name of a status as used in messages, e.g. "no such route"; "status N" for an unknown one. */
export function statusName(status: StatusCode): string {
  return statusNames[status] ?? `status ${status}`;
}

/** Why the broker ended a session (CLOSED's reason byte). */
export const SessionCloseReason = {
  ClientClosed: 1,
  Expired: 2,
  Kicked: 3,
  Replaced: 4,
} as const;

/** One of the {@link SessionCloseReason} codes. */
export type SessionCloseReasonCode = (typeof SessionCloseReason)[keyof typeof SessionCloseReason] | number;

const reasonNames: Record<number, string> = { 1: "client closed", 2: "expired", 3: "kicked", 4: "replaced" };

/** Lower-case name of a close reason, e.g. "kicked"; "reason N" for an unknown one. */
export function closeReasonName(reason: SessionCloseReasonCode): string {
  return reasonNames[reason] ?? `reason ${reason}`;
}

/**
 * A request ended without an `ok` reply: the worker or broker answered an error status, its deadline passed
 * (`Timeout`), it was too large to send (`TooLarge`), or the broker holding it was lost before the reply
 * (`BrokerLost`, with {@link connectionLost} set: it may or may not have run).
 */
export class ZmqGameRequestError extends Error {
  override readonly name = "ZmqGameRequestError";

  constructor(
    /** How the request ended: one of {@link Status}. */
    readonly status: StatusCode,
    /** The service the request was sent to. */
    readonly service: string,
    /** The command id of the request. */
    readonly command: number,
    /** The text that came with the status (the reply payload), or the client's own explanation; may be empty. */
    readonly serverMessage: string,
    /** True when the broker holding the request was lost before the reply. */
    readonly connectionLost = false,
  ) {
    super(
      serverMessage
        ? `${statusName(status)} (service ${service}, cmd ${command}): ${serverMessage}`
        : `${statusName(status)} (service ${service}, cmd ${command})`,
    );
  }

  /** The lower-case name of {@link status}, e.g. "timeout". */
  get statusName(): string {
    return statusName(this.status);
  }
}

/** The client was closed before the request completed, or a call was made on a closed client. */
export class ZmqGameClosedError extends Error {
  override readonly name = "ZmqGameClosedError";

  constructor(message = "the client is closed") {
    super(message);
  }
}

/**
 * zmqgame-client: the ZmqGame client for browsers and Node, over the broker's WebSocket frontend (ZWS 2.0).
 * @packageDocumentation
 */
export { ZmqGameClient, type CallOptions } from "./client.js";
export type { ZmqGameClientOptions, ZmqGameLogger } from "./options.js";
export type { ClientSession, SessionClosedEvent } from "./session.js";
export { ServerPush } from "./pushes.js";
export {
  Status,
  statusName,
  SessionCloseReason,
  closeReasonName,
  ZmqGameRequestError,
  ZmqGameClosedError,
  type StatusCode,
  type SessionCloseReasonCode,
} from "./status.js";
export { encodePayload, decodePayload, type Int64 } from "./payload.js";
export type { WebSocketConstructor, WebSocketLike } from "./zws.js";
export * from "./samples.js";

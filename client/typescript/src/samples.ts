/**
 * Types and typed calls of the sample services the worker host runs (worker/ZmqGame.Worker.Host: SampleServices.cs,
 * GameCommands.cs, Lobby.cs): `game` (ping, add, fail, sleep, echo) and the chat `lobby` (login, rooms, lines pushed
 * to a room). Field names are the .NET records' property names, as MessagePack carries them.
 */
import type { ZmqGameClient, CallOptions } from "./client.js";
import type { Int64 } from "./payload.js";
import type { ServerPush } from "./pushes.js";

/** Command ids of the sample `game` service. */
export const GameCommands = { Ping: 1, Add: 2, Fail: 3, Sleep: 4, Echo: 5 } as const;

export interface PingRequest { Seq: Int64 }
export interface PongReply { Seq: Int64; ServerTimeMs: Int64 }
export interface AddRequest { A: Int64; B: Int64 }
export interface AddReply { Sum: Int64 }
export interface FailRequest { Message: string | null }
export interface SleepRequest { Ms: number }
export interface SleepReply { Ms: number }

/** Command ids of the sample `lobby` service: requests 1–5, pushes 100 and 101. */
export const LobbyCommands = { Login: 1, Join: 2, Say: 3, Leave: 4, Who: 5, ChatLine: 100, Notice: 101 } as const;

export interface LobbyLoginRequest { Name: string }
export interface LobbyLoginReply { User: string; Session: Int64 }
export interface LobbyRoomRequest { Room: string }
export interface LobbyRoomReply { Room: string; Members: string[] }
export interface LobbySayRequest { Room: string; Text: string }
export interface LobbySayReply { Room: string; Members: number }
/** Push {@link LobbyCommands.ChatLine}: a line said in a room the session is in. */
export interface LobbyChatLine { Room: string; From: string; Text: string }
/** Push {@link LobbyCommands.Notice}: someone `"joined"` or `"left"` a room the session is in. */
export interface LobbyNotice { Room: string; User: string; What: string }

/** The sample `game` service's routes, typed. */
export class GameService {
  constructor(private readonly client: ZmqGameClient, readonly service = "game") {}

  ping(seq: Int64, options?: CallOptions): Promise<PongReply> {
    return this.client.call<PongReply, PingRequest>(this.service, GameCommands.Ping, { Seq: seq }, options);
  }

  add(a: Int64, b: Int64, options?: CallOptions): Promise<AddReply> {
    return this.client.call<AddReply, AddRequest>(this.service, GameCommands.Add, { A: a, B: b }, options);
  }

  /** Always fails: the handler throws, the call rejects with status `HandlerFailed`. */
  fail(message: string | null, options?: CallOptions): Promise<never> {
    return this.client.call<never, FailRequest>(this.service, GameCommands.Fail, { Message: message }, options);
  }

  sleep(ms: number, options?: CallOptions): Promise<SleepReply> {
    return this.client.call<SleepReply, SleepRequest>(this.service, GameCommands.Sleep, { Ms: ms }, options);
  }

  echo(bytes: Uint8Array, options?: CallOptions): Promise<Uint8Array> {
    return this.client.call<Uint8Array, Uint8Array>(this.service, GameCommands.Echo, bytes, options);
  }
}

/**
 * The sample chat `lobby`, typed: `login` binds the client's session to a user (the worker's route does it; the
 * session keeps it across reconnects), rooms are broker groups, and lines said in a room are pushed to its members.
 */
export class LobbyService {
  constructor(private readonly client: ZmqGameClient, readonly service = "lobby") {}

  login(name: string, options?: CallOptions): Promise<LobbyLoginReply> {
    return this.client.call<LobbyLoginReply, LobbyLoginRequest>(this.service, LobbyCommands.Login, { Name: name }, options);
  }

  join(room: string, options?: CallOptions): Promise<LobbyRoomReply> {
    return this.client.call<LobbyRoomReply, LobbyRoomRequest>(this.service, LobbyCommands.Join, { Room: room }, options);
  }

  say(room: string, text: string, options?: CallOptions): Promise<LobbySayReply> {
    return this.client.call<LobbySayReply, LobbySayRequest>(this.service, LobbyCommands.Say, { Room: room, Text: text }, options);
  }

  leave(room: string, options?: CallOptions): Promise<LobbyRoomReply> {
    return this.client.call<LobbyRoomReply, LobbyRoomRequest>(this.service, LobbyCommands.Leave, { Room: room }, options);
  }

  who(room: string, options?: CallOptions): Promise<LobbyRoomReply> {
    return this.client.call<LobbyRoomReply, LobbyRoomRequest>(this.service, LobbyCommands.Who, { Room: room }, options);
  }

  /** Calls `handler` with every chat line pushed to this client; returns the function that stops it. */
  onChatLine(handler: (line: LobbyChatLine, push: ServerPush) => unknown): () => void {
    return this.client.onPush<LobbyChatLine>(LobbyCommands.ChatLine, handler);
  }

  /** Calls `handler` with every join/leave notice pushed to this client; returns the function that stops it. */
  onNotice(handler: (notice: LobbyNotice, push: ServerPush) => unknown): () => void {
    return this.client.onPush<LobbyNotice>(LobbyCommands.Notice, handler);
  }
}

// Compiled (not run) by `npm test`: the package's public types as a game's code uses them, in Node with the `ws`
// package and in a browser with the DOM's WebSocket. A type that no longer fits fails the build.
import { ZmqGameClient, ZmqGameRequestError, Status, LobbyService, GameService, type AddReply, type WebSocketConstructor } from "zmqgame-client";
import WebSocket from "ws";

export const fromWs: WebSocketConstructor = WebSocket;
export const fromDom: WebSocketConstructor = globalThis.WebSocket;

export async function play(): Promise<void> {
  const client = await ZmqGameClient.connect("ws://localhost:5580", { sessionService: "lobby", WebSocket });
  const sum: AddReply = await client.call<AddReply>("game", 2, { A: 40, B: 2 });
  const total: number | bigint = sum.Sum;
  try {
    await new GameService(client).sleep(5000, { deadlineMs: 500 });
  } catch (e) {
    if (e instanceof ZmqGameRequestError && e.status === Status.Timeout) {
      console.log(e.statusName, e.serverMessage, total);
    }
  }
  const lobby = new LobbyService(client);
  await lobby.login("ann");
  const stop = client.onPush<{ From: string; Text: string }>(100, (line) => console.log(`${line.From}: ${line.Text}`));
  lobby.onChatLine((line) => console.log(line.Room, line.From, line.Text));
  client.onSessionClosed((event) => console.log(event.reasonName, event.text));
  client.onSessionChanged((session, resumed) => console.log(session.userId, session.id, resumed));
  for await (const push of client.pushes({ command: 100 })) {
    console.log(push.command, push.read<{ Text: string }>().Text);
    break;
  }
  stop();
  await client.close();
}

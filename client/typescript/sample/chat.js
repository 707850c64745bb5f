// The sample lobby chat in a browser: connect to the broker's WebSocket frontend, log in, join a room, and show every
// line and notice the lobby worker pushes to it. The broker comes from ?broker=ws://host:port, else port 5580 of
// this page's host (the broker's default `--websocket ws://*:5580`).
import { ZmqGameClient, LobbyService } from "../dist/index.js";

const $ = (id) => document.getElementById(id);
const broker = new URLSearchParams(location.search).get("broker") ?? `ws://${location.hostname || "localhost"}:5580`;
let room = null;

function show(text, className) {
  const item = document.createElement("li");
  item.textContent = text;
  if (className) item.className = className;
  $("lines").append(item);
}

function failed(error) {
  $("error").textContent = error.statusName ? `${error.statusName}: ${error.serverMessage}` : String(error.message ?? error);
}

function describe(session) {
  $("status").textContent = session?.isLoggedIn ? `logged in as ${session.userId}${room ? ` in ${room}` : ""}` : `connected to ${broker}`;
}

try {
  const client = await ZmqGameClient.connect(broker, { sessionService: "lobby" });
  const lobby = new LobbyService(client);
  window.zmqgame = client; // for the console
  describe(client.session);
  client.onSessionChanged((session, resumed) => {
    describe(session);
    if (resumed) show("(reconnected: session resumed)", "notice");
  });
  client.onSessionClosed((event) => show(`(session ended: ${event.reasonName}${event.text ? `: ${event.text}` : ""})`, "notice"));
  lobby.onChatLine((line) => show(`${line.From}: ${line.Text}`));
  lobby.onNotice((notice) => show(`* ${notice.User} ${notice.What} ${notice.Room}`, "notice"));

  $("login").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("error").textContent = "";
    try {
      await lobby.login($("name").value);
      describe(client.session);
    } catch (error) {
      failed(error);
    }
  });
  $("join").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("error").textContent = "";
    try {
      const joined = await lobby.join($("room").value);
      room = joined.Room;
      describe(client.session);
    } catch (error) {
      failed(error);
    }
  });
  $("say").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("error").textContent = "";
    try {
      await lobby.say(room ?? $("room").value, $("text").value);
      $("text").value = "";
    } catch (error) {
      failed(error);
    }
  });
  document.body.dataset.ready = "true";
} catch (error) {
  $("status").textContent = "not connected";
  failed(error);
}

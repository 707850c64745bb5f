// The page of the test player: loads the jslib, starts .NET, wires the jslib to the C# bridge, and calls the player's
// Frame every 16 ms (a WebGL player's Update); the outcome goes into #result.
import { dotnet } from "./_framework/dotnet.js";
import { heap, loadJslib } from "./jslib-shim.js";

const result = document.getElementById("result");
try {
  const lib = await loadJslib("./ZmqGameWebSocket.jslib");
  const { setModuleImports, getAssemblyExports } = await dotnet.create();
  setModuleImports("zmqgame-jslib", {
    open: (url, protocol) => { const id = lib.ZmqGameWebSocket_Open(url, protocol); console.log("opening " + url + " as " + id); return id; },
    send: (id, data) => {
      const pointer = heap.put(new Uint8Array(data));
      try {
        return lib.ZmqGameWebSocket_Send(id, pointer, data.length);
      } finally {
        heap.free(pointer);
      }
    },
    bufferedAmount: id => lib.ZmqGameWebSocket_BufferedAmount(id),
    close: id => lib.ZmqGameWebSocket_Close(id)
  });
  const exports = await getAssemblyExports("ZmqGame.WebGl.Player");
  const bridge = exports.ZmqGame.WebGl.Player.BrowserBridge;
  const player = exports.ZmqGame.WebGl.Player.Player;
  lib.ZmqGameWebSocket_SetCallbacks(
    id => { console.log("open " + id); bridge.OnOpen(id); },
    (id, pointer, length) => bridge.OnMessage(id, Array.from(heap.read(pointer, length))),
    (id, pointer) => { console.log("error " + id + " " + heap.string(pointer)); bridge.OnError(id, heap.string(pointer)); },
    (id, code, pointer) => { console.log("close " + id + " " + code); bridge.OnClose(id, code, heap.string(pointer)); });
  player.Start(new URLSearchParams(location.search).get("broker"));
  const frame = setInterval(() => {
    const outcome = player.Frame();
    if (outcome) {
      clearInterval(frame);
      result.textContent = outcome;
    }
  }, 16);
} catch (e) {
  result.textContent = "error: " + e;
}

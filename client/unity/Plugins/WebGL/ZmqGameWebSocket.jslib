// The browser's WebSocket for ZmqGame's client in a Unity WebGL build: the functions that
// Runtime/WebGL/WebGlWebSocketBridge.cs declares with [DllImport("__Internal")]. Each socket has a number; its events
// go to the C# callbacks registered once with ZmqGameWebSocket_SetCallbacks (static methods marked
// [MonoPInvokeCallback]), on the browser's main thread, where the C# side only queues them for
// ZmqGameWebSocket.Pump(). Binary messages only (binaryType "arraybuffer"); ZeroMQ's framing over them (ZWS 2.0) is
// done in C#.
var ZmqGameWebSocketLibrary = {
  $ZmqGameSockets: {
    next: 1,
    sockets: {},
    onOpen: 0,
    onMessage: 0,
    onError: 0,
    onClose: 0,
    // A string in the Emscripten heap (the C# side copies it before this frees it).
    withString: function (text, use) {
      var size = lengthBytesUTF8(text) + 1;
      var pointer = _malloc(size);
      stringToUTF8(text, pointer, size);
      try {
        use(pointer);
      } finally {
        _free(pointer);
      }
    }
  },

  ZmqGameWebSocket_SetCallbacks: function (onOpen, onMessage, onError, onClose) {
    ZmqGameSockets.onOpen = onOpen;
    ZmqGameSockets.onMessage = onMessage;
    ZmqGameSockets.onError = onError;
    ZmqGameSockets.onClose = onClose;
  },

  // Opens a socket to the URL offering the one subprotocol; returns its number (events follow), or 0 when the
  // browser refused at once (a malformed URL): the C# side then reports the error itself.
  ZmqGameWebSocket_Open: function (urlPointer, protocolPointer) {
    var url = UTF8ToString(urlPointer);
    var protocol = UTF8ToString(protocolPointer);
    var socket;
    try {
      socket = new WebSocket(url, protocol);
    } catch (e) {
      return 0;
    }

    var id = ZmqGameSockets.next++;
    socket.binaryType = "arraybuffer";
    ZmqGameSockets.sockets[id] = socket;
    socket.onopen = function () {
      {{{ makeDynCall('vi', 'ZmqGameSockets.onOpen') }}}(id);
    };
    socket.onmessage = function (event) {
      if (typeof event.data === "string") {
        ZmqGameSockets.withString("the broker sent a text message", function (pointer) {
          {{{ makeDynCall('vii', 'ZmqGameSockets.onError') }}}(id, pointer);
        });
        socket.close(1003);
        return;
      }

      var bytes = new Uint8Array(event.data);
      var pointer = _malloc(bytes.length > 0 ? bytes.length : 1);
      try {
        HEAPU8.set(bytes, pointer);
        {{{ makeDynCall('viii', 'ZmqGameSockets.onMessage') }}}(id, pointer, bytes.length);
      } finally {
        _free(pointer);
      }
    };
    socket.onerror = function () {
      // A browser says nothing more about a WebSocket error; the close event follows with its code.
      ZmqGameSockets.withString("the browser reported a WebSocket error", function (pointer) {
        {{{ makeDynCall('vii', 'ZmqGameSockets.onError') }}}(id, pointer);
      });
    };
    socket.onclose = function (event) {
      delete ZmqGameSockets.sockets[id];
      ZmqGameSockets.withString(event.reason || "", function (pointer) {
        {{{ makeDynCall('viii', 'ZmqGameSockets.onClose') }}}(id, event.code, pointer);
      });
    };
    return id;
  },

  // Sends length bytes from the heap as one binary message; false (0) when the socket is not open.
  ZmqGameWebSocket_Send: function (id, pointer, length) {
    var socket = ZmqGameSockets.sockets[id];
    if (!socket || socket.readyState !== 1) {
      return 0;
    }

    socket.send(HEAPU8.slice(pointer, pointer + length));
    return 1;
  },

  // The bytes queued in the browser and not yet sent (WebSocket.bufferedAmount).
  ZmqGameWebSocket_BufferedAmount: function (id) {
    var socket = ZmqGameSockets.sockets[id];
    return socket ? socket.bufferedAmount : 0;
  },

  // A normal close (1000); the close event follows.
  ZmqGameWebSocket_Close: function (id) {
    var socket = ZmqGameSockets.sockets[id];
    if (socket) {
      try {
        socket.close(1000);
      } catch (e) {
        delete ZmqGameSockets.sockets[id];
      }
    }
  }
};

autoAddDeps(ZmqGameWebSocketLibrary, "$ZmqGameSockets");
mergeInto(LibraryManager.library, ZmqGameWebSocketLibrary);

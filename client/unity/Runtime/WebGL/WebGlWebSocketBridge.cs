#if UNITY_WEBGL && !UNITY_EDITOR
#nullable enable

using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using AOT;
using UnityEngine;
using ZmqGame.Transport.WebSocket;

namespace ZmqGame.Client.WebGL
{
    /// <summary>
    /// ZmqGame's WebSocket bridge in a Unity WebGL build: the browser's WebSocket through
    /// <c>Plugins/WebGL/ZmqGameWebSocket.jslib</c>. Installed before the first scene loads: it becomes
    /// <see cref="ZmqGameWebSocket.Bridge"/>, sets <see cref="ZmqGameWebSocket.Pumped"/> (a browser gives Unity no
    /// threads) and adds a hidden object whose <c>Update</c> calls <see cref="ZmqGameWebSocket.Pump"/> once a frame.
    /// The browser calls back on the main thread; the callbacks only queue the events for the next pump.
    /// </summary>
    public sealed class WebGlWebSocketBridge : IWebSocketBridge
    {
        private static readonly Dictionary<int, IWebSocketEvents> Sockets = new Dictionary<int, IWebSocketEvents>();

        private delegate void OpenCallback(int id);

        private delegate void MessageCallback(int id, IntPtr data, int length);

        private delegate void ErrorCallback(int id, IntPtr text);

        private delegate void CloseCallback(int id, int code, IntPtr reason);

        /// <inheritdoc/>
        public IWebSocketConnection Open(string url, string subProtocol, IWebSocketEvents events)
        {
            var id = ZmqGameWebSocket_Open(url, subProtocol);
            if (id == 0)
            {
                throw new ArgumentException(url + ": the browser refused to open a WebSocket to it");
            }

            Sockets[id] = events;
            return new Connection(id);
        }

        [RuntimeInitializeOnLoadMethod(RuntimeInitializeLoadType.BeforeSceneLoad)]
        private static void Install()
        {
            ZmqGameWebSocket_SetCallbacks(OnOpen, OnMessage, OnError, OnClose);
            ZmqGameWebSocket.Bridge = new WebGlWebSocketBridge();
            ZmqGameWebSocket.Pumped = true;
            var pump = new GameObject("ZmqGame WebSocket pump") { hideFlags = HideFlags.HideAndDontSave };
            UnityEngine.Object.DontDestroyOnLoad(pump);
            pump.AddComponent<WebGlWebSocketPump>();
        }

        [MonoPInvokeCallback(typeof(OpenCallback))]
        private static void OnOpen(int id)
        {
            if (Sockets.TryGetValue(id, out var events))
            {
                events.OnOpen();
            }
        }

        [MonoPInvokeCallback(typeof(MessageCallback))]
        private static void OnMessage(int id, IntPtr data, int length)
        {
            if (Sockets.TryGetValue(id, out var events))
            {
                var message = new byte[length];
                Marshal.Copy(data, message, 0, length);
                events.OnMessage(message);
            }
        }

        [MonoPInvokeCallback(typeof(ErrorCallback))]
        private static void OnError(int id, IntPtr text)
        {
            if (Sockets.TryGetValue(id, out var events))
            {
                events.OnError(Marshal.PtrToStringUTF8(text) ?? string.Empty);
            }
        }

        [MonoPInvokeCallback(typeof(CloseCallback))]
        private static void OnClose(int id, int code, IntPtr reason)
        {
            if (Sockets.TryGetValue(id, out var events))
            {
                Sockets.Remove(id);
                events.OnClose(code, Marshal.PtrToStringUTF8(reason) ?? string.Empty);
            }
        }

        [DllImport("__Internal")]
        private static extern void ZmqGameWebSocket_SetCallbacks(OpenCallback onOpen, MessageCallback onMessage, ErrorCallback onError, CloseCallback onClose);

        [DllImport("__Internal")]
        private static extern int ZmqGameWebSocket_Open(string url, string protocol);

        [DllImport("__Internal")]
        private static extern int ZmqGameWebSocket_Send(int id, byte[] data, int length);

        [DllImport("__Internal")]
        private static extern int ZmqGameWebSocket_BufferedAmount(int id);

        [DllImport("__Internal")]
        private static extern void ZmqGameWebSocket_Close(int id);

        /// <summary>One browser WebSocket, by its number in the jslib.</summary>
        private sealed class Connection : IWebSocketConnection
        {
            private readonly int id;
            private bool closed;

            public Connection(int id) => this.id = id;

            public long BufferedAmount => closed ? 0 : ZmqGameWebSocket_BufferedAmount(id);

            public void Send(byte[] message)
            {
                if (!closed)
                {
                    // 0: the socket is not open (any more); its close event is on its way and says so.
                    _ = ZmqGameWebSocket_Send(id, message, message.Length);
                }
            }

            public void Close()
            {
                if (!closed)
                {
                    closed = true;
                    ZmqGameWebSocket_Close(id);
                }
            }
        }
    }

    /// <summary>Runs ZmqGame's WebSocket connection loops once a frame, on the main thread (WebGL has no other).</summary>
    public sealed class WebGlWebSocketPump : MonoBehaviour
    {
        private void Update() => ZmqGameWebSocket.Pump();
    }
}
#endif

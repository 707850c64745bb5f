#nullable enable

using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using NetMQ;
using UnityEngine;
using ZmqGame.Client;

namespace ZmqGame.Samples.Lobby
{
    /// <summary>
    /// The ZmqGame lobby in a Unity scene: connects to a broker at Start, logs in, joins a room, shows the room's chat
    /// pushes and says lines, and closes its session when destroyed. Needs the broker and the worker host with the
    /// sample <c>lobby</c> service (<c>bash worker/cluster.sh</c>). Add it to a GameObject and press Play.
    /// </summary>
    public sealed class ZmqGameLobby : MonoBehaviour
    {
        [SerializeField] private string broker = "tcp://127.0.0.1:5555";
        [SerializeField] private string playerName = "player";
        [SerializeField] private string room = "tavern";
        [SerializeField] private int shownLines = 20;

        // Pushes arrive on the thread pool; Update moves them to the main thread, where OnGUI draws them.
        private readonly ConcurrentQueue<string> arrived = new ConcurrentQueue<string>();
        private readonly List<string> lines = new List<string>();
        private readonly List<IDisposable> subscriptions = new List<IDisposable>();
        private readonly CancellationTokenSource destroyed = new CancellationTokenSource();
        private ZmqGameClient? client;
        private Task disconnected = Task.CompletedTask;
        private string status = "not connected";
        private string draft = string.Empty;

        /// <summary>The broker's frontend (a cluster: its frontends, comma-separated).</summary>
        public string Broker { get => broker; set => broker = value; }

        /// <summary>The name to log in with.</summary>
        public string PlayerName { get => playerName; set => playerName = value; }

        /// <summary>The room to join.</summary>
        public string Room { get => room; set => room = value; }

        /// <summary>Says <paramref name="text"/> in the room; the room's members get it as a push, this player too.</summary>
        public async Task Say(string text)
        {
            var current = client;
            if (current == null || text.Length == 0)
            {
                return;
            }

            try
            {
                await current.RequestAsync<Say, Said>(LobbyCommands.Service, LobbyCommands.Say, new Say { Room = room, Text = text }, destroyed.Token);
            }
            catch (ZmqGameRequestException ex)
            {
                Show("not said: " + ex.Status + " " + ex.Message);
            }
            catch (OperationCanceledException) when (destroyed.IsCancellationRequested)
            {
            }
        }

        private void Awake()
        {
            // NetMQ on Unity's runtime: .NET sockets rather than the Windows-only completion ports.
            AsyncIO.ForceDotNet.Force();
        }

        private void Start() => _ = RunAsync(destroyed.Token);

        private void Update()
        {
            while (arrived.TryDequeue(out var line))
            {
                lines.Add(line);
                if (lines.Count > shownLines)
                {
                    lines.RemoveAt(0);
                }
            }
        }

        private void OnGUI()
        {
            GUILayout.BeginArea(new Rect(10, 10, 480, 640));
            GUILayout.Label(status);
            foreach (var line in lines)
            {
                GUILayout.Label(line);
            }

            draft = GUILayout.TextField(draft);
            if (GUILayout.Button("Say"))
            {
                _ = Say(draft);
                draft = string.Empty;
            }

            GUILayout.EndArea();
        }

        private void OnApplicationQuit()
        {
            // The session closes before NetMQ's threads stop (Unity calls OnDestroy after this), so the editor leaves
            // play mode without waiting for them.
            Disconnect().Wait(TimeSpan.FromSeconds(2));
            NetMQConfig.Cleanup(block: false);
        }

        private void OnDestroy() => Disconnect();

        private async Task RunAsync(CancellationToken cancellationToken)
        {
            try
            {
                status = "connecting to " + broker;
                var options = new ZmqGameClientOptions
                {
                    SessionService = LobbyCommands.Service,
                    SerializerOptions = LobbySerializer.Options,
                };
                var connected = await ZmqGameClient.ConnectAsync(broker, options, cancellationToken);
                if (cancellationToken.IsCancellationRequested)
                {
                    await connected.DisposeAsync(); // destroyed while connecting
                    return;
                }

                client = connected;
                client.SessionClosed += (sender, e) => Show("session ended: " + e.Reason + " " + e.Text);
                subscriptions.Add(client.OnPush<ChatLine>(LobbyCommands.ChatLine, line => Show("[" + line.Room + "] " + line.From + ": " + line.Text)));
                subscriptions.Add(client.OnPush<Notice>(LobbyCommands.Notice, notice => Show("[" + notice.Room + "] " + notice.User + " " + notice.What)));

                var login = await client.RequestAsync<Login, LoginOk>(
                    LobbyCommands.Service, LobbyCommands.Login, new Login { Name = playerName }, cancellationToken);
                Debug.Log("lobby: logged in as " + login.User + " (session " + login.Session + ")");
                var joined = await client.RequestAsync<Join, Joined>(
                    LobbyCommands.Service, LobbyCommands.Join, new Join { Room = room }, cancellationToken);
                status = login.User + " in " + joined.Room + " with " + string.Join(", ", joined.Members);
                Debug.Log("lobby: " + status);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                status = "error: " + ex.Message;
                Debug.LogException(ex);
            }
        }

        private void Show(string line)
        {
            Debug.Log("lobby: " + line);
            arrived.Enqueue(line);
        }

        private Task Disconnect()
        {
            if (!destroyed.IsCancellationRequested)
            {
                destroyed.Cancel();
                foreach (var subscription in subscriptions)
                {
                    subscription.Dispose();
                }

                subscriptions.Clear();
                var current = client;
                client = null;
                disconnected = current == null ? Task.CompletedTask : CloseAsync(current);
            }

            return disconnected;
        }

        private static async Task CloseAsync(ZmqGameClient current)
        {
            // Closes the session at the broker (the lobby's close hook runs) and stops the client's thread.
            await current.DisposeAsync();
            Debug.Log("lobby: disconnected");
        }
    }
}

using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using MessagePack;
using ZmqGame.Protocol;
using ZmqGame.Tests.Broker;
using ZmqGame.Tests.Support;
using ZmqGame.Worker.Host;

namespace ZmqGame.Tests.Http;

/// <summary>
/// A real broker process with its HTTP endpoint on a free port (and, optionally, an admin token), for the admin console
/// tests: its endpoints as bound, an <see cref="HttpClient"/> on the console, and helpers for a lobby worker host and
/// a logged-in lobby player.
/// </summary>
internal sealed class AdminConsoleBroker : IDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly List<IDisposable> _owned = [];

    private AdminConsoleBroker(ProcessUnderTest process, string http, string frontend, string backend, string control)
    {
        Process = process;
        Url = http;
        Frontend = frontend;
        Backend = backend;
        Control = control;
        Client = new HttpClient { BaseAddress = new Uri(http), Timeout = Patience };
    }

    public ProcessUnderTest Process { get; }

    /// <summary>The console's base URL, e.g. http://127.0.0.1:41234.</summary>
    public string Url { get; }

    public string Frontend { get; }

    public string Backend { get; }

    public string Control { get; }

    /// <summary>A client on <see cref="Url"/> (no token unless a test adds one).</summary>
    public HttpClient Client { get; }

    /// <summary>Starts a broker on free ports with <c>--http http://<paramref name="httpHost"/>:0</c> and the given extra options.</summary>
    public static async Task<AdminConsoleBroker> StartAsync(string? token = null, string httpHost = "127.0.0.1", params string[] extra)
    {
        string[] args = ["tcp://127.0.0.1:0", "tcp://127.0.0.1:0", "--control", "tcp://127.0.0.1:0", "--session-key-file", "", "--http", $"http://{httpHost}:0", .. extra];
        if (token is not null)
        {
            args = [.. args, "--admin-token", token];
        }

        var process = ProcessUnderTest.Start("ZmqGame.Broker", args);
        var http = await process.WaitForLineAsync(@"Broker HTTP listening on (\S+)", Patience);
        var line = await process.WaitForLineAsync(BrokerProcessTests.ListeningLine, Patience);
        var url = http.Groups[1].Value.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "127.0.0.1", StringComparison.Ordinal);
        return new AdminConsoleBroker(process, url, line.Groups[1].Value.TrimEnd(','), line.Groups[2].Value.TrimEnd(','), line.Groups[3].Value);
    }

    /// <summary>Authorization: Bearer <paramref name="token"/> on every request of <see cref="Client"/>.</summary>
    public void UseToken(string token) => Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

    /// <summary>A worker host process serving the lobby with <paramref name="slots"/> slots, once its slots are READY.</summary>
    public async Task<ProcessUnderTest> StartLobbyWorkerAsync(int slots = 1)
    {
        var worker = ProcessUnderTest.Start("ZmqGame.Worker.Host", "--broker", Backend, "--slots", slots.ToString(System.Globalization.CultureInfo.InvariantCulture), "--service", "lobby");
        _owned.Add(worker);
        await worker.WaitForLineAsync($"Slot {slots - 1} of service 'lobby' READY", Patience);
        return worker;
    }

    /// <summary>A raw ZGC01 client with a session on the lobby, logged in as <paramref name="name"/>.</summary>
    public RawSessionClient Player(string name)
    {
        var player = new RawSessionClient(Frontend);
        _owned.Add(player);
        player.Hello("lobby");
        var login = player.Call("lobby", 1, LobbyCommands.Login, MessagePackSerializer.Serialize(new Dictionary<string, object> { ["Name"] = name }, Payload.Options));
        Assert.That(login.Status, Is.Zero, $"login of {name}");
        return player;
    }

    public async Task<JsonElement> GetAsync(string path)
    {
        using var response = await Client.GetAsync(new Uri(path, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.That((int)response.StatusCode, Is.EqualTo(200), $"GET {path}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public async Task<(int Status, JsonElement Body)> PostAsync(string path, object body)
    {
        using var response = await Client.PostAsJsonAsync(new Uri(path, UriKind.Relative), body);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>The workers of the overview, polled until <paramref name="until"/> holds (or the patience runs out).</summary>
    public async Task<JsonElement[]> WorkersAsync(Func<JsonElement[], bool> until)
    {
        JsonElement[] workers = [];
        await Eventually.True(
            async () =>
            {
                workers = [.. (await GetAsync("/admin/api/overview")).GetProperty("workers").EnumerateArray()];
                return until(workers);
            },
            "the overview's workers",
            Patience);
        return workers;
    }

    public void Dispose()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        Client.Dispose();
        Process.Dispose();
    }
}

using ZmqGame.Tests.Broker;
using ZmqGame.Tests.Support;

namespace ZmqGame.Tests.Bench;

/// <summary>
/// The bench tool's WebSocket modes (<c>ZmqGame.Bench ws-load</c>, <c>ws-sessions</c>, behind bench/run-websocket.sh),
/// run as processes against real broker and worker host processes: every request and heartbeat is accounted for.
/// Tiny runs; no timing assertions.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class WebSocketBenchTests
{
    private ProcessUnderTest _broker = null!;
    private string _url = null!;
    private string _backend = null!;

    [SetUp]
    public async Task SetUp()
    {
        _broker = ProcessUnderTest.Start("ZmqGame.Broker", "tcp://127.0.0.1:0", "tcp://127.0.0.1:0", "--control", "tcp://127.0.0.1:0",
            "--websocket", "ws://127.0.0.1:0", "--session-key-file", "");
        _backend = (await _broker.WaitForLineAsync(BrokerProcessTests.ListeningLine)).Groups[2].Value.TrimEnd(',');
        _url = (await _broker.WaitForLineAsync(@"Broker WebSocket frontend listening on (\S+)")).Groups[1].Value;
    }

    [TearDown]
    public void TearDown() => _broker.Dispose();

    [Test]
    public async Task WsLoad_FixedCount_EveryRequestAnsweredOkThroughTheEchoRoute()
    {
        using var workers = ProcessUnderTest.Start("ZmqGame.Worker.Host", "--broker", _backend, "--slots", "2", "--service", "game");
        await _broker.WaitForLineAsync(@"ready for service game \(2 workers\)");

        var kv = await RunBenchAsync("ws-load", "--websocket", _url, "-c", "3", "-d", "2", "-n", "300", "--service", "game", "--cmd", "5",
            "--broker-pid", _broker.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.That(kv["transport"], Is.EqualTo("websocket"));
        Assert.That((kv["sent"], kv["ok"], kv["errors"], kv["mismatched"], kv["unanswered"]), Is.EqualTo(("300", "300", "0", "0", "0")),
            "sent, ok, errors, mismatched, unanswered");
        Assert.That(kv["reqs"], Is.EqualTo("300"), "a fixed-count run times every ok reply");
        Assert.That(kv["connections_lost"], Is.EqualTo("0"));
        Assert.That(kv["srv_user_s"], Is.Not.EqualTo("-"), "the broker's CPU is read from /proc/PID/stat");
    }

    [Test]
    public async Task WsLoad_ServiceWithoutWorker_EveryRequestEndsAsTheBrokersTimeout()
    {
        var kv = await RunBenchAsync("ws-load", "--websocket", _url, "-c", "2", "-d", "2", "-n", "8", "--service", "nobody", "--timeout", "0.3");

        Assert.That((kv["sent"], kv["ok"], kv["err_timeout"], kv["unanswered"]), Is.EqualTo(("8", "0", "8", "0")), "sent, ok, timeout, unanswered");
    }

    [Test]
    public async Task WsSessions_HeldSessions_AllWelcomedAndEveryHeartbeatAnswered()
    {
        using var stop = new TempStopFile();
        using var bench = ProcessUnderTest.Start("ZmqGame.Bench", "ws-sessions", "--websocket", _url, "--sessions", "40", "--parallel", "8",
            "--heartbeat-ms", "100", "--stop-file", stop.Path);
        var open = Parse((await bench.WaitForLineAsync("^open .*")).Value);
        Assert.That((open["welcomed"], open["failed"]), Is.EqualTo(("40", "0")), "welcomed, failed");

        // The bench holds them until the stop file appears and every session has heartbeat at least once.
        File.WriteAllText(stop.Path, string.Empty);
        Assert.That(await bench.WaitForExitAsync(TimeSpan.FromSeconds(30)), Is.Zero, bench.Output);
        var held = Parse(bench.Lines.Single(l => l.StartsWith("held=", StringComparison.Ordinal)));

        Assert.That((held["sessions"], held["welcomed"], held["alive"], held["lost"], held["no_session"], held["closed"]),
            Is.EqualTo(("40", "40", "40", "0", "0", "0")), "sessions, welcomed, alive, lost, no session, closed");
        Assert.That(long.Parse(held["heartbeats_sent"], System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(40), "each session heartbeat");
        Assert.That(held["heartbeats_answered"], Is.EqualTo(held["heartbeats_sent"]), "every heartbeat sent is answered");
    }

    [TestCase("ws-load", "--websocket", "tcp://127.0.0.1:1")]
    [TestCase("ws-load", "--bogus", "1")]
    [TestCase("ws-sessions", "--sessions", "x")]
    public async Task BadOption_ExitsTwoWithOneLine(params string[] args)
    {
        using var bench = ProcessUnderTest.Start("ZmqGame.Bench", args);

        Assert.That(await bench.WaitForExitAsync(), Is.EqualTo(2));
        Assert.That(bench.Lines, Has.Count.EqualTo(1).And.Some.StartsWith("error: "), bench.Output);
    }

    private static async Task<Dictionary<string, string>> RunBenchAsync(params string[] args)
    {
        using var bench = ProcessUnderTest.Start("ZmqGame.Bench", args);
        var code = await bench.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.That(code, Is.Zero, bench.Output);
        return Parse(bench.Lines.Last(l => l.Contains("sent=", StringComparison.Ordinal)));
    }

    private static Dictionary<string, string> Parse(string line) =>
        line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => w.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);

    /// <summary>A path for the bench's stop file, removed afterwards.</summary>
    private sealed class TempStopFile : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"zmqgame-ws-stop-{Guid.NewGuid():N}");

        public void Dispose() => File.Delete(Path);
    }
}

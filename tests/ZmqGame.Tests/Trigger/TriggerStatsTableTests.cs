using System.Text.Json;
using System.Text.RegularExpressions;
using MessagePack;
using ZmqGame.Client;
using ZmqGame.Protocol;
using ZmqGame.Tests.Cluster;
using ZmqGame.Tests.Support;
using ZmqGame.Trigger;

using static ZmqGame.Tests.Trigger.TriggerCliOutput;

namespace ZmqGame.Tests.Trigger;

/// <summary>
/// <c>trigger stats</c> as tables (and <c>--json</c>) after real requests through a real broker and worker, the
/// supervisor's status table, and docs/operations.md against every key the broker reports.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed partial class TriggerStatsTableTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Test]
    public async Task Stats_AfterRequests_TheTablesShowTheBrokersCounts_AndTheServiceRowItsRequestsRepliesAndErrors()
    {
        using var broker = new BrokerFixture();
        await using var app = await GameWorkerAsync(broker);
        await using (var client = await ZmqGameClient.ConnectAsync(broker.Frontend))
        {
            await SendAsync(client, ok: 3, failing: 1, unrouted: 1);
        }

        var (code, stdout, stderr) = await Run("stats", "--broker", broker.Control);

        Assert.That(code, Is.EqualTo(TriggerCli.ExitOk), stderr);
        Assert.That(stdout, Does.Not.Contain("\u001b["), "no ANSI codes without a terminal");
        Assert.That(stdout, Does.Not.StartWith("{"), "a table, not JSON");
        Assert.That(Row(stdout, "requests")[1], Is.EqualTo("5"), stdout);
        Assert.That(Row(stdout, "replies")[1], Is.EqualTo("5"), "every request was answered by the worker");
        Assert.That(Row(stdout, "workers")[1], Is.EqualTo("2"));
        Assert.That(Row(stdout, "requests")[2], Does.Contain("client requests"), "each counter says what it counts");
        var game = Row(stdout, "game");
        Assert.That(game[..9], Is.EqualTo(new[] { "game", "0", "2", "2", "0", "0", "0", "5", "5" }), stdout);
        Assert.That(game[9], Is.EqualTo("handler_failed=1, no_such_route=1"));
        Assert.That(stdout, Does.Not.Contain("BAD INPUT"), "bad input shows only kinds that occurred");
    }

    [Test]
    public async Task Stats_SessionEventsAnsweredByTheWorker_AreEventsHandled_SoRepliesNeverExceedRequests()
    {
        using var broker = new BrokerFixture();
        await using var app = await GameWorkerAsync(broker);
        await using (var client = await ZmqGameClient.ConnectAsync(broker.Frontend, new ZmqGameClientOptions { SessionService = "game" }))
        {
            await SendAsync(client, ok: 2, failing: 0, unrouted: 0);
        }

        // The session's connected and closed events, each answered by a worker.
        await Eventually.True(() => Volatile.Read(ref broker.Stats.EventsHandled) == 2, "both session events answered", Patience);
        var (code, stdout, stderr) = await Run("stats", "--broker", broker.Control);

        Assert.That(code, Is.EqualTo(TriggerCli.ExitOk), stderr);
        Assert.That(Row(stdout, "requests")[1], Is.EqualTo("2"), stdout);
        Assert.That(Row(stdout, "replies")[1], Is.EqualTo("2"), "answers to events are not replies to requests");
        Assert.That(Row(stdout, "events")[1], Is.EqualTo("2"));
        Assert.That(Row(stdout, "events_handled")[1], Is.EqualTo("2"));
        Assert.That(Row(stdout, "game")[7..9], Is.EqualTo(new[] { "2", "2" }));
    }

    [Test]
    public async Task StatsJson_IsTheBrokersReport_AndPrettyIsTheSameIndented()
    {
        using var broker = new BrokerFixture();
        await using var app = await GameWorkerAsync(broker);
        await using (var client = await ZmqGameClient.ConnectAsync(broker.Frontend))
        {
            await SendAsync(client, ok: 2, failing: 1, unrouted: 0);
        }

        var (code, stdout, stderr) = await Run("stats", "--json", "--broker", broker.Control);
        var (prettyCode, pretty, _) = await Run("stats", "--json", "--pretty", "--broker", broker.Control);

        Assert.That((code, prettyCode), Is.EqualTo((TriggerCli.ExitOk, TriggerCli.ExitOk)), stderr);
        Assert.That(stdout.Trim(), Does.Not.Contain("\n"), "one line, as scripts read it");
        using var json = JsonDocument.Parse(stdout);
        var counters = json.RootElement.GetProperty("counters");
        Assert.That(counters.GetProperty("requests").GetInt64(), Is.EqualTo(Volatile.Read(ref broker.Stats.Requests)).And.EqualTo(3));
        Assert.That(counters.GetProperty("replies").GetInt64(), Is.EqualTo(Volatile.Read(ref broker.Stats.Replies)).And.EqualTo(3));
        Assert.That(counters.GetProperty("workers_registered").GetInt64(), Is.EqualTo(Volatile.Read(ref broker.Stats.WorkersRegistered)));
        var game = json.RootElement.GetProperty("services").GetProperty("game");
        Assert.That((game.GetProperty("requests").GetInt64(), game.GetProperty("replies").GetInt64()), Is.EqualTo((3L, 3L)));
        Assert.That(game.GetProperty("errors").GetProperty("handler_failed").GetInt64(), Is.EqualTo(1));

        Assert.That(pretty.Trim().Split('\n'), Has.Length.GreaterThan(20), "indented");
        using var prettyJson = JsonDocument.Parse(pretty);
        Assert.That(prettyJson.RootElement.GetProperty("counters").GetProperty("requests").GetInt64(), Is.EqualTo(3));
    }

    [Test]
    public async Task StatsJson_IsTheAnswerAsItCame_EntriesThisBuildDoesNotKnowIncluded()
    {
        using var broker = new FakeControlEndpoint { Respond = _ => TriggerClientTests.StatsMap() };

        var (code, stdout, _) = await Run("stats", "--json", "--broker", broker.Endpoint);

        Assert.That(code, Is.EqualTo(TriggerCli.ExitOk));
        Assert.That(stdout.Trim(), Is.EqualTo(MessagePackSerializer.ConvertToJson(TriggerClientTests.StatsMap(), Payload.Options)));
    }

    [TestCase("stats")]
    [TestCase("workers", "status")]
    public async Task Help_ListsJson(params string[] command)
    {
        var (code, stdout, _) = await Run([.. command, "--help"]);

        Assert.That(code, Is.EqualTo(TriggerCli.ExitOk));
        Assert.That(stdout, Does.Contain("--json").And.Contain("--pretty"));
    }

    [TestCase(new[] { "stats", "--pretty" }, "--pretty goes with --json")]
    [TestCase(new[] { "stats", "--json", "yes" }, "unexpected argument 'yes'")]
    [TestCase(new[] { "stats", "--tables" }, "unknown option --tables")]
    [TestCase(new[] { "workers", "status", "--pretty" }, "--pretty goes with --json")]
    [TestCase(new[] { "workers", "reload", "--supervisor", "tcp://127.0.0.1:1", "--json" }, "'workers reload' does not take --json")]
    public async Task BadOptions_ExitTwo_WithOneLine(string[] args, string message)
    {
        var (code, stdout, stderr) = await Run([.. args, "--broker", ClientDeadEndpoint()]);

        Assert.That(code, Is.EqualTo(TriggerCli.ExitUsage), stdout + stderr);
        Assert.That(stderr, Does.StartWith("error: ").And.Contain(message));
        Assert.That(stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1), stderr);
    }

    [Test]
    [Platform(Exclude = "Win")]
    public async Task WorkersStatusSupervisor_IsATableOfTheWorkerProcesses_AndJsonOnRequest()
    {
        using var broker = new BrokerFixture(o => o.HeartbeatInterval = TimeSpan.FromMilliseconds(2500));
        using var supervisor = ProcessUnderTest.Start(
            "ZmqGame.Worker.Host", "--processes", "2", "--slots", "1", "--service", "game",
            "--broker", broker.Backend, "--control", broker.Control, "--admin", "tcp://127.0.0.1:0");
        var admin = (await supervisor.WaitForLineAsync(@"admin endpoint listening on (\S+)", Patience)).Groups[1].Value;
        await broker.WaitForIdleWorkers("game", 2);
        var registered = broker.Stats.WorkersRegistered;

        var (code, stdout, stderr) = await Run("workers", "status", "--supervisor", admin);
        var (jsonCode, json, _) = await Run("workers", "status", "--supervisor", admin, "--json");

        Assert.That((code, jsonCode), Is.EqualTo((TriggerCli.ExitOk, TriggerCli.ExitOk)), stderr + supervisor.Output);
        var lines = stdout.TrimEnd().Split('\n');
        Assert.That(Cells(lines[0]), Is.EqualTo(new[] { "SLOT", "STATE", "PID", "READY", "STARTED", "RECENT_CRASHES" }), stdout);
        using var answer = JsonDocument.Parse(json);
        var processes = answer.RootElement.GetProperty("processes").EnumerateArray().ToList();
        Assert.That(processes, Has.Count.EqualTo(2), json);
        foreach (var process in processes)
        {
            var row = Row(stdout, process.GetProperty("slot").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.That(row[1], Is.EqualTo(process.GetProperty("state").GetString()));
            Assert.That(int.Parse(row[2], System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(process.GetProperty("pid").GetInt32()).And.GreaterThan(0));
            Assert.That(row[3], Is.EqualTo("yes"), stdout);
            Assert.That(row[4], Is.EqualTo(process.GetProperty("started").GetString()));
            Assert.That(row[5], Is.EqualTo("0"));
        }

        Assert.That(lines[^1], Is.EqualTo("2 worker process(es), 2 ready"));
        Assert.That(registered, Is.EqualTo(2));
        supervisor.Terminate();
        Assert.That(await supervisor.WaitForExitAsync(Patience), Is.Zero, supervisor.Output);
    }

    [Test]
    public async Task DocsStats_NamesEveryKeyOfTheBrokersReport()
    {
        using var broker = new BrokerFixture();
        await using var app = await GameWorkerAsync(broker);
        await using (var client = await ZmqGameClient.ConnectAsync(broker.Frontend))
        {
            await SendAsync(client, ok: 1, failing: 1, unrouted: 0);
        }

        var (code, stdout, stderr) = await Run("stats", "--json", "--broker", broker.Control);

        Assert.That(code, Is.EqualTo(TriggerCli.ExitOk), stderr);
        using var json = JsonDocument.Parse(stdout);
        var keys = ReportKeys(json.RootElement);
        Assert.That(keys, Does.Contain("bad_input.FrontendMalformed").And.Contain("worker_list").And.Contain("uptime_s").And.Contain("handler_failed"));
        Assert.That(keys.Except(DocumentedKeys()).Order(), Is.Empty, "keys the broker reports that docs/operations.md does not name");
    }

    [Test]
    [Platform(Exclude = "Win")]
    public async Task Stats_OfACluster_ShowsEachBrokerAndTheTotal_AndDocsStatsNamesTheClusterKeys()
    {
        using var cluster = await ClusterOnNats.StartAsync();
        var (a, b) = cluster;
        await using var app = await ClusterGameWorkerAsync(a, b);
        await using (var onA = await ZmqGameClient.ConnectAsync(a.Frontend, ClientOptions()))
        await using (var onB = await ZmqGameClient.ConnectAsync(b.Frontend, ClientOptions()))
        {
            for (var i = 0; i < 3; i++)
            {
                Assert.That(await onA.RequestAsync<int, int>("game", 1, i), Is.EqualTo(i));
            }

            Assert.That(await onB.RequestAsync<int, int>("game", 1, 7), Is.EqualTo(7));
        }

        var (code, stdout, stderr) = await Run("stats", "--broker", a.Control);
        var (jsonCode, json, _) = await Run("stats", "--json", "--broker", a.Control);

        Assert.That((code, jsonCode), Is.EqualTo((TriggerCli.ExitOk, TriggerCli.ExitOk)), stderr);
        Assert.That(stdout, Does.StartWith("cluster of 2 broker(s) that answered"));
        Assert.That(Regex.Matches(stdout, @"^b[12] = broker \S+", RegexOptions.Multiline), Has.Count.EqualTo(2), stdout);
        Assert.That(stdout, Does.Contain("(answering)"));
        var requests = Row(stdout, "requests");
        Assert.That(requests[1..3].Select(long.Parse).Order(), Is.EqualTo(new[] { 1L, 3L }), stdout);
        Assert.That(requests[3], Is.EqualTo("4"), "the total column");
        Assert.That(Row(stdout, "cluster_brokers")[1..4], Is.EqualTo(new[] { "2", "2", "4" }));
        var gameTotal = Regex.Match(stdout, @"^\s*game\s+total\s.*$", RegexOptions.Multiline);
        Assert.That(gameTotal.Success, Is.True, stdout);
        Assert.That(Cells(gameTotal.Value)[8..10], Is.EqualTo(new[] { "4", "4" }), "the service's requests and replies over the cluster");

        using var report = JsonDocument.Parse(json);
        var keys = ReportKeys(report.RootElement);
        Assert.That(keys, Does.Contain("cluster.published").And.Contain("cluster_connected").And.Contain("total"));
        Assert.That(keys.Except(DocumentedKeys()).Order(), Is.Empty, "keys the broker reports that docs/operations.md does not name");
    }

    private static async Task SendAsync(ZmqGameClient client, int ok, int failing, int unrouted)
    {
        for (var i = 0; i < ok; i++)
        {
            Assert.That(await client.RequestAsync<int, int>("game", 1, i), Is.EqualTo(i));
        }

        for (var i = 0; i < failing; i++)
        {
            var failed = Assert.ThrowsAsync<ZmqGameRequestException>(() => client.RequestAsync<int, int>("game", 2, i));
            Assert.That(failed!.Status, Is.EqualTo(Status.HandlerFailed));
        }

        for (var i = 0; i < unrouted; i++)
        {
            var failed = Assert.ThrowsAsync<ZmqGameRequestException>(() => client.RequestAsync<int, int>("game", 99, i));
            Assert.That(failed!.Status, Is.EqualTo(Status.NoSuchRoute));
        }
    }

    private static ZmqGameClientOptions ClientOptions() => new() { RequestTimeout = TimeSpan.FromSeconds(30) };

    /// <summary>Every key of a stats report: top level, counters, gauges, services' and workers' fields, the cluster section's, errors' status names.</summary>
    private static SortedSet<string> ReportKeys(JsonElement report)
    {
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var entry in report.EnumerateObject())
        {
            keys.Add(entry.Name);
            switch (entry.Name)
            {
                case "counters":
                    keys.UnionWith(entry.Value.EnumerateObject().Select(c => c.Name));
                    break;
                case "services":
                    foreach (var service in entry.Value.EnumerateObject())
                    {
                        foreach (var field in service.Value.EnumerateObject())
                        {
                            keys.Add(field.Name);
                            if (field.Name == "errors")
                            {
                                keys.UnionWith(field.Value.EnumerateObject().Select(e => e.Name));
                            }
                            else if (field.Name == "worker_list")
                            {
                                keys.UnionWith(field.Value.EnumerateArray().SelectMany(w => w.EnumerateObject()).Select(w => w.Name));
                            }
                        }
                    }

                    break;
                case "cluster":
                    foreach (var part in entry.Value.EnumerateObject())
                    {
                        keys.Add(part.Name);
                        if (part.Name == "total")
                        {
                            keys.UnionWith(ReportKeys(part.Value));
                        }
                        else if (part.Name == "brokers")
                        {
                            keys.UnionWith(part.Value.EnumerateObject().SelectMany(p => ReportKeys(p.Value)));
                        }
                    }

                    break;
            }
        }

        return keys;
    }

    /// <summary>The names docs/operations.md documents: the first cell of its tables' rows, in backticks.</summary>
    private static HashSet<string> DocumentedKeys()
    {
        var path = Path.Combine(RepositoryRoot(), "docs", "operations.md");
        return File.ReadLines(path).Select(l => DocumentedName().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "ZmqGame.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("ZmqGame.sln not found above " + TestContext.CurrentContext.TestDirectory);
    }

    private static string ClientDeadEndpoint() => ZmqGame.Tests.Client.ClientTestSupport.DeadEndpoint();

    [GeneratedRegex(@"^\|\s*`([^`]+)`")]
    private static partial Regex DocumentedName();
}

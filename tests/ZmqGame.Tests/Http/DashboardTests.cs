using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.Serialization;
using ZmqGame.Client;
using ZmqGame.Protocol;
using ZmqGame.Tests.Broker;
using ZmqGame.Tests.Support;
using ZmqGame.Worker.Host;

namespace ZmqGame.Tests.Http;

/// <summary>
/// The dashboard, the Prometheus config and alert rules in <c>ops/</c>, and the metrics of docs/operations.md, against
/// what a real clustered broker and a real worker host serve at <c>/metrics</c> after real requests: every metric they
/// name must be one the processes export, the files must parse, and the rules must scrape the jobs they watch.
/// </summary>
[TestFixture]
[Platform(Exclude = "Win")]
public sealed partial class DashboardTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>What a scrape of both processes exports; one scrape per run.</summary>
    private static Scrape? _exported;

    [Test]
    public async Task Dashboard_EveryMetricOfItsQueries_IsExported()
    {
        var exported = await ExportedAsync();
        using var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(RepositoryFile("ops", "grafana", "zmqgame-dashboard.json")));
        var panels = dashboard.RootElement.GetProperty("panels").EnumerateArray().Where(p => p.GetProperty("type").GetString() != "row").ToList();
        var expressions = panels.SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString() ?? string.Empty)).ToList();
        var variables = dashboard.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray()
            .Where(v => v.GetProperty("type").GetString() == "query")
            .Select(v => v.GetProperty("query").GetProperty("query").GetString() ?? string.Empty)
            .ToList();

        Assert.That(panels, Has.Count.GreaterThanOrEqualTo(10));
        Assert.That(panels.Select(p => p.GetProperty("targets").GetArrayLength()), Has.All.GreaterThan(0), "every panel queries something");
        var used = MetricNames(expressions.Concat(variables));
        Assert.That(used, Is.SupersetOf(new[]
        {
            "zmqgame_requests_total", "zmqgame_replies_total", "zmqgame_queue_depth", "zmqgame_queue_wait_seconds_bucket", "zmqgame_workers",
            "zmqgame_sessions", "zmqgame_pushes_total", "zmqgame_bad_input_total", "zmqgame_rate_limited_total", "zmqgame_cluster_connected",
            "zmqgame_worker_requests_total", "zmqgame_worker_slots",
        }), "the dashboard shows rates, queues, workers, sessions, pushes, bad input, rate limits and the cluster link");
        Assert.That(used.Except(exported.Names).Order(), Is.Empty, "metrics the dashboard queries that the broker and worker host do not export");
        Assert.That(exported.Unmatched(expressions), Is.Empty, "label matchers no exported sample has");
    }

    [Test]
    public async Task AlertRules_EveryMetricOfTheirExpressions_IsExported_AndTheyWatchTheScrapedJobs()
    {
        var exported = await ExportedAsync();
        var rules = Yaml(RepositoryFile("ops", "prometheus", "alerts.yml"));
        var alerts = List(rules["groups"]).SelectMany(g => List(Map(g)["rules"])).Select(Map).ToList();
        var config = Yaml(RepositoryFile("ops", "prometheus", "prometheus.yml"));
        var jobs = List(config["scrape_configs"]).Select(c => (string)Map(c)["job_name"]).ToList();

        Assert.That(alerts.Select(a => (string)a["alert"]), Is.SupersetOf(new[]
        {
            "ZmqGameBrokerDown", "ZmqGameQueueGrowing", "ZmqGameNoIdleWorker", "ZmqGameErrorRate", "ZmqGameClusterLinkDown",
        }));
        Assert.That(alerts, Has.All.Matches<Dictionary<object, object>>(a => a.ContainsKey("expr") && a.ContainsKey("for") && Map(a["annotations"]).ContainsKey("summary")));
        var expressions = alerts.Select(a => (string)a["expr"]).ToList();
        Assert.That(MetricNames(expressions).Except(exported.Names).Order(), Is.Empty, "metrics the alert rules use that the broker and worker host do not export");
        Assert.That(exported.Unmatched(expressions), Is.Empty, "label matchers no exported sample has");

        Assert.That(jobs, Is.EquivalentTo(new[] { "zmqgame-broker", "zmqgame-worker" }));
        var watched = expressions.SelectMany(e => UpOfJob().Matches(e)).Select(m => m.Groups[1].Value).ToList();
        Assert.That(watched, Does.Contain("zmqgame-broker"));
        Assert.That(watched.Except(jobs), Is.Empty, "alerts on up{job=…} of a job prometheus.yml does not scrape");
        Assert.That(List(config["rule_files"]).Cast<string>(), Is.EqualTo(new[] { "alerts.yml" }));

        var operations = await File.ReadAllTextAsync(RepositoryFile("docs", "operations.md"));
        Assert.That(alerts.Select(a => (string)a["alert"]).Where(a => !operations.Contains("`" + a + "`", StringComparison.Ordinal)), Is.Empty, "alerts docs/operations.md does not explain");
    }

    [Test]
    public async Task OperationsGuide_EveryMetricItNames_IsExported_AndEveryExportedMetricIsDocumented()
    {
        var exported = await ExportedAsync();
        var operations = await File.ReadAllTextAsync(RepositoryFile("docs", "operations.md"));
        var named = MetricNames([operations]);

        Assert.That(named.Except(exported.Names).Order(), Is.Empty, "metrics docs/operations.md names that the broker and worker host do not export");
        var types = exported.Names.Where(n => !n.EndsWith("_bucket", StringComparison.Ordinal) && !n.EndsWith("_sum", StringComparison.Ordinal) && !n.EndsWith("_count", StringComparison.Ordinal));
        Assert.That(types.Except(named).Order(), Is.Empty, "metrics the processes export that docs/operations.md does not name");
        Assert.That(File.Exists(RepositoryFile("docs", "stats.md")) || File.Exists(RepositoryFile("docs", "metrics.md")), Is.False, "one guide: docs/operations.md");
    }

    /// <summary>
    /// Starts NATS, a clustered broker and a worker host (game, one slot), both with <c>--http</c>; sends requests that
    /// end ok, failed, unrouted and queued behind a slow one; returns every metric name both scrapes hold.
    /// </summary>
    private static async Task<Scrape> ExportedAsync()
    {
        if (_exported is { } done)
        {
            return done;
        }

        using var nats = await NatsServer.StartAsync();
        using var broker = ProcessUnderTest.Start(
            "ZmqGame.Broker",
            "--frontend", "tcp://127.0.0.1:0", "--backend", "tcp://127.0.0.1:0", "--control", "tcp://127.0.0.1:0",
            "--http", "http://127.0.0.1:0", "--cluster", nats.Url, "--cluster-name", "dash" + Environment.ProcessId);
        var brokerUrl = (await broker.WaitForLineAsync(HttpEndpointProcessTests.BrokerHttpLine)).Groups[1].Value;
        var endpoints = await broker.WaitForLineAsync(BrokerProcessTests.ListeningLine);
        await broker.WaitForLineAsync("joined cluster");
        var frontend = endpoints.Groups[1].Value.TrimEnd(',');
        var backend = endpoints.Groups[2].Value.TrimEnd(',');
        using var worker = ProcessUnderTest.Start("ZmqGame.Worker.Host", "--broker", backend, "--slots", "1", "--service", "game", "--http", "http://127.0.0.1:0");
        var workerUrl = (await worker.WaitForLineAsync(HttpEndpointProcessTests.WorkerHttpLine)).Groups[1].Value;
        await broker.WaitForLineAsync(@"ready for service game \(1 workers\)");

        await using (var client = await ZmqGameClient.ConnectAsync(frontend))
        {
            Assert.That((await client.RequestAsync<AddRequest, AddReply>("game", GameCommands.Add, new AddRequest(2, 40))).Sum, Is.EqualTo(42));
            var failed = Assert.ThrowsAsync<ZmqGameRequestException>(() => client.RequestAsync<FailRequest, AddReply>("game", GameCommands.Fail, new FailRequest("no")));
            Assert.That(failed!.Status, Is.EqualTo(Status.HandlerFailed));

            // The one slot runs the slow request; the next one waits in the broker's queue until it is done.
            var slow = client.RequestAsync<SleepRequest, SleepReply>("game", GameCommands.Sleep, new SleepRequest(300));
            var queued = client.RequestAsync<AddRequest, AddReply>("game", GameCommands.Add, new AddRequest(1, 1));
            Assert.That((await slow).Ms, Is.EqualTo(300));
            Assert.That((await queued).Sum, Is.EqualTo(2));
        }

        var brokerText = await ScrapeAsync(brokerUrl);
        var workerText = await ScrapeAsync(workerUrl);
        var brokerMetrics = PrometheusText.Parse(brokerText);
        Assert.Multiple(() =>
        {
            Assert.That(brokerMetrics.Value("zmqgame_replies_total", "service=game", "status=handler_failed"), Is.EqualTo(1));
            Assert.That(brokerMetrics.Value("zmqgame_queue_wait_seconds_count", "service=game"), Is.EqualTo(4));
            Assert.That(brokerMetrics.Value("zmqgame_cluster_connected"), Is.EqualTo(1));
        });

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in (brokerText + "\n" + workerText).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var match = ExportedName().Match(line);
            if (match.Success)
            {
                names.Add(match.Groups[1].Value);
            }
        }

        broker.Terminate();
        worker.Terminate();
        return _exported = new Scrape(names, [brokerMetrics, PrometheusText.Parse(workerText)]);
    }

    /// <summary>The metric names both processes export, and their samples.</summary>
    private sealed record Scrape(HashSet<string> Names, PrometheusText[] Texts)
    {
        /// <summary>
        /// The selectors of <paramref name="expressions"/> (<c>zmqgame_x{label="value", other!="…"}</c>) with a matcher
        /// no sample of the metric satisfies: an equality names a label value some sample has; any other matcher (and
        /// one on a dashboard variable, <c>=~"$service"</c>) names a label some sample carries.
        /// </summary>
        public List<string> Unmatched(IEnumerable<string> expressions) =>
            [.. expressions.SelectMany(e => Selector().Matches(e)).Where(selector => !Matcher().Matches(selector.Groups[2].Value).All(matcher =>
            {
                var (label, op, value) = (matcher.Groups[1].Value, matcher.Groups[2].Value, matcher.Groups[3].Value);
                var samples = Texts.SelectMany(t => t.Find(selector.Groups[1].Value));
                return op == "=" && !value.Contains('$', StringComparison.Ordinal)
                    ? samples.Any(s => s.Labels.TryGetValue(label, out var v) && v == value)
                    : samples.Any(s => s.Labels.ContainsKey(label));
            })).Select(m => m.Value).Distinct()];
    }

    private static async Task<string> ScrapeAsync(string url)
    {
        using var answer = await Http.GetAsync(url + "/metrics");
        var text = await answer.Content.ReadAsStringAsync();
        Assert.That(answer.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        return text;
    }

    /// <summary>The <c>zmqgame_*</c> names in <paramref name="texts"/>.</summary>
    private static HashSet<string> MetricNames(IEnumerable<string> texts) =>
        texts.SelectMany(t => MetricName().Matches(t)).Select(m => m.Value.TrimEnd('_')).ToHashSet(StringComparer.Ordinal);

    private static Dictionary<object, object> Yaml(string path)
    {
        var parsed = new DeserializerBuilder().Build().Deserialize<object>(File.ReadAllText(path));
        Assert.That(parsed, Is.InstanceOf<Dictionary<object, object>>(), path + " is a YAML map");
        return (Dictionary<object, object>)parsed;
    }

    private static Dictionary<object, object> Map(object node) =>
        node as Dictionary<object, object> ?? throw new AssertionException("not a YAML map: " + node);

    private static List<object> List(object node) =>
        node as List<object> ?? throw new AssertionException("not a YAML list: " + node);

    private static string RepositoryFile(params string[] parts)
    {
        var directory = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "ZmqGame.sln")))
        {
            directory = directory.Parent;
        }

        return Path.Combine([directory?.FullName ?? throw new InvalidOperationException("ZmqGame.sln not found"), .. parts]);
    }

    [GeneratedRegex(@"(zmqgame_[a-z_]+)\{([^}]*)\}")]
    private static partial Regex Selector();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*""([^""]*)""")]
    private static partial Regex Matcher();

    [GeneratedRegex("zmqgame_[a-z_]+")]
    private static partial Regex MetricName();

    /// <summary>A sample line's name, or a <c># TYPE</c> line's.</summary>
    [GeneratedRegex(@"^(?:# TYPE )?(zmqgame_[a-z_]+)[\s{]")]
    private static partial Regex ExportedName();

    [GeneratedRegex(@"\bup\{job=""([^""]+)""\}")]
    private static partial Regex UpOfJob();
}

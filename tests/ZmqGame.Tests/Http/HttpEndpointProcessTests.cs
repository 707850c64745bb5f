using System.Net;
using System.Net.Sockets;
using ZmqGame.Client;
using ZmqGame.Protocol;
using ZmqGame.Tests.Broker;
using ZmqGame.Tests.Support;
using ZmqGame.Worker.Host;

namespace ZmqGame.Tests.Http;

/// <summary>
/// The HTTP endpoint (<c>--http</c>) of the real broker and worker host processes, read with a real HttpClient:
/// health, readiness and the Prometheus metrics after real requests through a real worker.
/// </summary>
[TestFixture]
[Platform(Exclude = "Win")]
public sealed class HttpEndpointProcessTests
{
    internal const string BrokerHttpLine = @"Broker HTTP listening on (http://\S+)";
    internal const string WorkerHttpLine = @"Worker HTTP listening on (http://\S+)";

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Test]
    public async Task Broker_WithHttp_IsAliveAndReady_ServesMetrics_AndStopsOnSigterm()
    {
        using var broker = StartBroker();
        var url = (await broker.WaitForLineAsync(BrokerHttpLine)).Groups[1].Value;
        await broker.WaitForLineAsync(BrokerProcessTests.ListeningLine);

        using var alive = await Http.GetAsync(url + "/healthz");
        Assert.That(alive.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        using var ready = await Http.GetAsync(url + "/readyz");
        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK), await ready.Content.ReadAsStringAsync());

        var metrics = await ScrapeAsync(url);
        Assert.Multiple(() =>
        {
            Assert.That(metrics.TypeOf("zmqgame_pushes_total"), Is.EqualTo("counter"));
            Assert.That(metrics.Value("zmqgame_pushes_total"), Is.Zero);
            Assert.That(metrics.TypeOf("zmqgame_sessions"), Is.EqualTo("gauge"));
            Assert.That(metrics.Value("zmqgame_sessions"), Is.Zero);
            Assert.That(metrics.Value("zmqgame_bad_input_total", "kind=FrontendMalformed"), Is.Zero);
            Assert.That(metrics.Find("zmqgame_cluster_connected"), Is.Empty, "a broker alone has no cluster link");
        });

        broker.Terminate();
        Assert.That(await broker.WaitForExitAsync(), Is.Zero, broker.Output);
    }

    [Test]
    public async Task Metrics_AfterRealRequestsThroughARealWorker_CountThemByServiceRouteAndStatus()
    {
        using var broker = StartBroker();
        var brokerUrl = (await broker.WaitForLineAsync(BrokerHttpLine)).Groups[1].Value;
        var endpoints = await broker.WaitForLineAsync(BrokerProcessTests.ListeningLine);
        var frontend = endpoints.Groups[1].Value.TrimEnd(',');
        var backend = endpoints.Groups[2].Value.TrimEnd(',');
        using var worker = ProcessUnderTest.Start("ZmqGame.Worker.Host", "--broker", backend, "--slots", "2", "--service", "game", "--http", "http://127.0.0.1:0");
        var workerUrl = (await worker.WaitForLineAsync(WorkerHttpLine)).Groups[1].Value;
        await broker.WaitForLineAsync(@"ready for service game \(2 workers\)");

        await using (var client = await ZmqGameClient.ConnectAsync(frontend))
        {
            for (var i = 0; i < 5; i++)
            {
                var sum = await client.RequestAsync<AddRequest, AddReply>("game", GameCommands.Add, new AddRequest(i, 40));
                Assert.That(sum.Sum, Is.EqualTo(i + 40));
            }

            for (var i = 0; i < 2; i++)
            {
                var failed = Assert.ThrowsAsync<ZmqGameRequestException>(() => client.RequestAsync<FailRequest, AddReply>("game", GameCommands.Fail, new FailRequest("no")));
                Assert.That(failed!.Status, Is.EqualTo(Status.HandlerFailed));
            }

            var unknown = Assert.ThrowsAsync<ZmqGameRequestException>(() => client.RequestAsync<AddRequest, AddReply>("game", 99, new AddRequest(1, 2)));
            Assert.That(unknown!.Status, Is.EqualTo(Status.NoSuchRoute));

            var seen = await ScrapeAsync(brokerUrl);
            Assert.Multiple(() =>
            {
                Assert.That(seen.Value("zmqgame_requests_total", "service=game"), Is.EqualTo(8));
                Assert.That(seen.Value("zmqgame_replies_total", "service=game", "status=ok"), Is.EqualTo(5));
                Assert.That(seen.Value("zmqgame_replies_total", "service=game", "status=handler_failed"), Is.EqualTo(2));
                Assert.That(seen.Value("zmqgame_replies_total", "service=game", "status=no_such_route"), Is.EqualTo(1));
                Assert.That(seen.Find("zmqgame_replies_total", "service=game", "status=timeout"), Is.Empty);
                Assert.That(seen.TypeOf("zmqgame_queue_wait_seconds"), Is.EqualTo("histogram"));
                Assert.That(seen.Value("zmqgame_queue_wait_seconds_count", "service=game"), Is.EqualTo(8));
                Assert.That(seen.Value("zmqgame_queue_wait_seconds_bucket", "service=game", "le=+Inf"), Is.EqualTo(8));
                Assert.That(seen.Value("zmqgame_queue_depth", "service=game"), Is.Zero);
                Assert.That(seen.Value("zmqgame_workers", "service=game", "state=idle"), Is.EqualTo(2));
                Assert.That(seen.Value("zmqgame_workers", "service=game", "state=busy"), Is.Zero);
                Assert.That(seen.Value("zmqgame_sessions"), Is.EqualTo(1), "the client's session");
                Assert.That(seen.Value("zmqgame_sessions_logged_in"), Is.Zero);
            });
        }

        var handled = await ScrapeAsync(workerUrl);
        Assert.Multiple(() =>
        {
            Assert.That(handled.Value("zmqgame_worker_requests_total", "service=game", "route=2", "status=ok"), Is.EqualTo(5));
            Assert.That(handled.Value("zmqgame_worker_requests_total", "service=game", "route=3", "status=handler_failed"), Is.EqualTo(2));
            Assert.That(handled.Value("zmqgame_worker_requests_total", "service=game", "route=99", "status=no_such_route"), Is.EqualTo(1));
            Assert.That(handled.Value("zmqgame_worker_handler_duration_seconds_count", "service=game", "route=2"), Is.EqualTo(5));
            Assert.That(handled.Value("zmqgame_worker_links", "broker=" + backend, "state=down"), Is.Zero);
        });

        // A slot frees itself on the worker's I/O thread just after its reply leaves: wait for both to be free.
        await Eventually.True(
            async () => (await ScrapeAsync(workerUrl)).Value("zmqgame_worker_slots", "service=game", "state=free") == 2,
            "both slots of game free");
        using var ready = await Http.GetAsync(workerUrl + "/readyz");
        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK), await ready.Content.ReadAsStringAsync());

        // Without its broker the worker is alive but not ready.
        broker.Kill();
        await Eventually.True(
            async () =>
            {
                using var answer = await Http.GetAsync(workerUrl + "/readyz");
                return answer.StatusCode == HttpStatusCode.ServiceUnavailable;
            },
            "worker /readyz 503 once its broker is gone",
            TimeSpan.FromSeconds(30));
        using var alive = await Http.GetAsync(workerUrl + "/healthz");
        Assert.That(alive.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        worker.Terminate();
        Assert.That(await worker.WaitForExitAsync(), Is.Zero, worker.Output);
    }

    [Test]
    public async Task Readyz_ClusteredBroker_Is503UntilNatsIsUp_Then200_And503WhenNatsGoesDown()
    {
        using var nats = await NatsServer.StartAsync();
        nats.Kill();
        using var broker = StartBroker("--cluster", nats.Url);
        var url = (await broker.WaitForLineAsync(BrokerHttpLine)).Groups[1].Value;

        using (var joining = await Http.GetAsync(url + "/readyz"))
        {
            Assert.That(joining.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(await joining.Content.ReadAsStringAsync(), Does.Contain("NATS"));
        }

        Assert.That((await ScrapeAsync(url)).Value("zmqgame_cluster_connected"), Is.Zero);

        await nats.RestartAsync();
        await Eventually.True(async () => await ReadyAsync(url), "/readyz 200 once NATS is up", TimeSpan.FromSeconds(30));
        Assert.That((await ScrapeAsync(url)).Value("zmqgame_cluster_connected"), Is.EqualTo(1));

        nats.Kill();
        await Eventually.True(async () => !await ReadyAsync(url), "/readyz 503 once NATS is gone", TimeSpan.FromSeconds(30));
        using var down = await Http.GetAsync(url + "/readyz");
        Assert.That(await down.Content.ReadAsStringAsync(), Does.Contain("link to NATS is down"));
        Assert.That((await ScrapeAsync(url)).Value("zmqgame_cluster_connected"), Is.Zero);
    }

    [TestCase("ZmqGame.Broker", "Broker:Http:Url")]
    [TestCase("ZmqGame.Worker.Host", "Worker:Http:Url")]
    public async Task BadHttpOption_IsOneErrorLine_AndExitCode2(string project, string setting)
    {
        foreach (var bad in new[] { "ftp://127.0.0.1:9090", "not a url", "http://127.0.0.1:9090/path", "https://127.0.0.1:9443" })
        {
            using var process = ProcessUnderTest.Start(project, "--http", bad);
            Assert.That(await process.WaitForExitAsync(), Is.EqualTo(2), process.Output);
            Assert.That(process.Lines, Has.Count.EqualTo(1), process.Output);
            Assert.That(process.Lines[0], Does.StartWith("error: setting " + setting + " = '" + bad + "'"));
        }

        using var help = ProcessUnderTest.Start(project, "--help");
        Assert.That(await help.WaitForExitAsync(), Is.Zero);
        Assert.That(help.Output, Does.Contain("--http URL"));
    }

    [Test]
    public async Task Supervisor_HttpWithAFixedPort_IsOneErrorLine_AndExitCode2_BeforeAnyWorkerStarts()
    {
        using var supervisor = ProcessUnderTest.Start("ZmqGame.Worker.Host", "--processes", "2", "--http", "http://127.0.0.1:9099");
        Assert.That(await supervisor.WaitForExitAsync(), Is.EqualTo(2), supervisor.Output);
        Assert.That(supervisor.Lines, Is.EqualTo(new[]
        {
            "error: setting Worker:Http:Url = 'http://127.0.0.1:9099' (from the command line) would give every worker process the same port; "
            + "use port 0 (each worker process logs the port it got)",
        }));
    }

    [Test]
    public async Task Broker_HttpPortTaken_IsOneErrorLine_AndExitCode1()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        using var broker = StartBroker("--http", $"http://127.0.0.1:{port}");
        Assert.That(await broker.WaitForExitAsync(), Is.EqualTo(1), broker.Output);
        Assert.That(broker.Lines.Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList(), Is.EqualTo(new[]
        {
            $"error: cannot listen for HTTP on http://127.0.0.1:{port}: Address already in use",
        }), broker.Output);
        Assert.That(broker.Output, Does.Not.Contain("   at "), "no stack trace");
    }

    /// <summary>A broker on free loopback ports with <c>--http http://127.0.0.1:0</c> unless <paramref name="args"/> gives one.</summary>
    private static ProcessUnderTest StartBroker(params string[] args) =>
        ProcessUnderTest.Start("ZmqGame.Broker", [
            "--frontend", "tcp://127.0.0.1:0", "--backend", "tcp://127.0.0.1:0", "--control", "tcp://127.0.0.1:0",
            .. args.Contains("--http") ? args : [.. args, "--http", "http://127.0.0.1:0"]]);

    private static async Task<PrometheusText> ScrapeAsync(string url)
    {
        using var answer = await Http.GetAsync(url + "/metrics");
        var text = await answer.Content.ReadAsStringAsync();
        Assert.That(answer.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        return PrometheusText.Parse(text);
    }

    private static async Task<bool> ReadyAsync(string url)
    {
        using var answer = await Http.GetAsync(url + "/readyz");
        return answer.StatusCode == HttpStatusCode.OK;
    }
}

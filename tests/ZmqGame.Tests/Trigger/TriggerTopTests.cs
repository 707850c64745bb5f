using System.Globalization;
using System.Text.RegularExpressions;
using ZmqGame.Client;
using ZmqGame.Protocol;
using ZmqGame.Tests.Cluster;
using ZmqGame.Tests.Support;
using ZmqGame.Trigger;

using static ZmqGame.Tests.Trigger.TriggerCliOutput;

namespace ZmqGame.Tests.Trigger;

/// <summary>
/// <c>trigger top</c> against a real broker and worker under real requests: the tables of each refresh, totals that
/// grow and rates computed from their deltas; its usage, its bad options, a broker that does not answer, a cluster,
/// and the process ending on SIGTERM and on the end of stdin.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed partial class TriggerTopTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Test]
    public async Task Top_Count3_UnderRequests_PrintsThreeTables_WhoseTotalsGrow_AndWhoseRatesAreTheDeltasOverTheSeconds()
    {
        using var broker = new BrokerFixture();
        await using var app = await GameWorkerAsync(broker);
        await using var client = await ZmqGameClient.ConnectAsync(broker.Frontend, new ZmqGameClientOptions { RequestTimeout = TimeSpan.FromSeconds(30) });
        using var stop = new CancellationTokenSource();
        var load = LoadAsync(client, stop.Token);
        await Eventually.True(() => Volatile.Read(ref broker.Stats.Requests) > 10, "requests flow", Patience);

        var (code, stdout, stderr) = await Run("top", "--count", "3", "--interval", "200ms", "--broker", broker.Control);
        await stop.CancelAsync();
        var (ok, failed, unanswered) = await load;

        Assert.That(code, Is.EqualTo(TriggerCli.ExitOk), stderr);
        Assert.That(stderr, Is.Empty);
        Assert.That(stdout, Does.Not.Contain("\u001b["), "plain text when not on a terminal");
        Assert.That(unanswered, Is.Zero, $"ok {ok}, handler_failed {failed}");
        var refreshes = Refreshes(stdout);
        Assert.That(refreshes, Has.Count.EqualTo(3), stdout);
        Assert.That(refreshes[0].Seconds, Is.Null);
        Assert.That(Row(refreshes[0].Text, "requests")[2], Is.EqualTo("-"), "no rate before a second refresh");
        Assert.That(Row(refreshes[0].Text, "game")[4], Is.EqualTo("-"));
        for (var i = 1; i < 3; i++)
        {
            var (before, now) = (refreshes[i - 1], refreshes[i]);
            var seconds = now.Seconds!.Value;
            Assert.That(seconds, Is.GreaterThanOrEqualTo(0.19), now.Header);

            // The broker's counters: total, then rate.
            foreach (var counter in new[] { "requests", "replies" })
            {
                var (total, previous) = (Long(Row(now.Text, counter)[1]), Long(Row(before.Text, counter)[1]));
                Assert.That(total, Is.GreaterThan(previous), $"{counter} grows under load:\n{stdout}");
                AssertRate(Row(now.Text, counter)[2], total - previous, seconds);
            }

            // The service row: WAITING WORKERS REQUESTS REQ/S REPLIES REPL/S ERRORS ERR/S.
            var (game, was) = (Row(now.Text, "game"), Row(before.Text, "game"));
            Assert.That(game[2], Is.EqualTo("2"), "two workers");
            for (var column = 3; column <= 7; column += 2)
            {
                Assert.That(Long(game[column]), Is.GreaterThan(Long(was[column])), $"column {column} grows:\n{stdout}");
                AssertRate(game[column + 1], Long(game[column]) - Long(was[column]), seconds);
            }
        }

        Assert.That(Long(Row(refreshes[2].Text, "game")[7]), Is.LessThanOrEqualTo(failed), "errors counted are the failures the client saw");
    }

    [Test]
    public async Task Top_BrokerThatDoesNotAnswer_IsAnErrorLinePerRefresh_AndTopKeepsTrying()
    {
        var (code, stdout, stderr) = await Run("top", "--count", "2", "--interval", "100ms", "--timeout", "300ms", "--broker", ZmqGame.Tests.Client.ClientTestSupport.DeadEndpoint());

        Assert.That(code, Is.EqualTo(TriggerCli.ExitOk), stderr);
        Assert.That(stdout, Is.Empty);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(2), stderr);
        Assert.That(lines[0], Does.StartWith("error: refresh 1: ").And.Contain("trying again in 0.1 s"));
        Assert.That(lines[1], Does.StartWith("error: refresh 2: "));
    }

    [Test]
    public async Task Top_FirstBrokerOfAListGone_TheNextRefreshAsksTheNextOne()
    {
        using var broker = new BrokerFixture();
        var dead = ZmqGame.Tests.Client.ClientTestSupport.DeadEndpoint();

        var (code, stdout, stderr) = await Run("top", "--count", "2", "--interval", "100ms", "--timeout", "300ms", "--broker", dead + "," + broker.Control);

        Assert.That(code, Is.EqualTo(TriggerCli.ExitOk), stderr);
        Assert.That(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(1), stderr);
        Assert.That(stderr, Does.Contain("trying " + broker.Control));
        var refreshes = Refreshes(stdout);
        Assert.That(refreshes, Has.Count.EqualTo(1), stdout);
        Assert.That(refreshes[0].Header, Does.StartWith("refresh 2 ").And.Contain("from " + broker.Control));
        Assert.That(Row(refreshes[0].Text, "requests")[1], Is.EqualTo("0"));
    }

    [Test]
    public async Task Help_ListsTheOptions()
    {
        var (code, stdout, _) = await Run("top", "--help");
        var (mainCode, main, _) = await Run("--help");

        Assert.That((code, mainCode), Is.EqualTo((TriggerCli.ExitOk, TriggerCli.ExitOk)));
        Assert.That(stdout, Does.StartWith("usage: trigger top").And.Contain("--interval T").And.Contain("--count N").And.Contain("--broker EP"));
        Assert.That(main, Does.Contain("top [--interval T] [--count N]"));
    }

    [TestCase(new[] { "--interval", "0" }, "--interval takes a duration")]
    [TestCase(new[] { "--interval", "50ms" }, "at least 100ms")]
    [TestCase(new[] { "--interval", "soon" }, "not 'soon'")]
    [TestCase(new[] { "--count", "0" }, "--count takes a number of refreshes")]
    [TestCase(new[] { "--count", "three" }, "--count takes a 32-bit integer")]
    [TestCase(new[] { "--count" }, "--count needs a value")]
    [TestCase(new[] { "--pretty" }, "unknown option --pretty")]
    [TestCase(new[] { "--cmd", "1" }, "'top' does not take --cmd")]
    [TestCase(new[] { "--server-key", "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7" }, "CURVE needs both keys")]
    public async Task BadOptions_ExitTwo_WithOneLine(string[] args, string message)
    {
        var (code, stdout, stderr) = await Run(["top", "--broker", ZmqGame.Tests.Client.ClientTestSupport.DeadEndpoint(), .. args]);

        Assert.That(code, Is.EqualTo(TriggerCli.ExitUsage), stdout + stderr);
        Assert.That(stdout, Is.Empty);
        Assert.That(stderr, Does.StartWith("error: ").And.Contain(message));
        Assert.That(stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1), stderr);
    }

    [Test]
    [Platform(Exclude = "Win")]
    public async Task Top_OfACluster_ShowsEachBrokerAndTheTotal_WithRates()
    {
        using var cluster = await ClusterOnNats.StartAsync();
        var (a, b) = cluster;
        await using var app = await ClusterGameWorkerAsync(a, b);
        await using var onA = await ZmqGameClient.ConnectAsync(a.Frontend, new ZmqGameClientOptions { RequestTimeout = TimeSpan.FromSeconds(30) });
        using var stop = new CancellationTokenSource();
        var load = LoadAsync(onA, stop.Token, failEvery: 0);
        await Eventually.True(() => a.Counter("requests") > 10, "requests flow", Patience);

        var (code, stdout, stderr) = await Run("top", "--count", "2", "--interval", "300ms", "--broker", a.Control);
        await stop.CancelAsync();
        var (_, _, unanswered) = await load;

        Assert.That(code, Is.EqualTo(TriggerCli.ExitOk), stderr);
        Assert.That(unanswered, Is.Zero);
        var refreshes = Refreshes(stdout);
        Assert.That(refreshes, Has.Count.EqualTo(2), stdout);
        var last = refreshes[1].Text;
        Assert.That(last, Does.Contain("cluster of 2 broker(s) that answered").And.Contain("(answering)"));
        var header = last.Split('\n').Select(Cells).First(c => c.Length > 0 && c[0] == "COUNTER");
        Assert.That(header, Is.EqualTo(new[] { "COUNTER", "b1", "/S", "b2", "/S", "total", "/S" }));
        var requests = Row(last, "requests");
        Assert.That(Long(requests[5]), Is.EqualTo(Long(requests[1]) + Long(requests[3])), "the total adds the brokers up");
        Assert.That(double.Parse(requests[6], CultureInfo.InvariantCulture), Is.GreaterThan(0), "requests flow through the cluster");
        var gameRows = last.Split('\n').Select(Cells).Where(c => c.Length > 0 && c[0] == "game").Select(c => c[1]).ToList();
        Assert.That(gameRows, Does.Contain("total"), stdout);
    }

    [Test]
    [Platform(Exclude = "Win")]
    public async Task TopProcess_RefreshesUntilSigterm_OrUntilStdinCloses_ThenExitsZero()
    {
        using var broker = new BrokerFixture();
        using (var top = ProcessUnderTest.Start("ZmqGame.Trigger.Cli", "top", "--interval", "100ms", "--broker", broker.Control))
        {
            await top.WaitForLineAsync("^refresh 2 ", Patience);
            top.Terminate();
            Assert.That(await top.WaitForExitAsync(Patience), Is.Zero, top.Output);
            Assert.That(top.Output, Does.Not.Contain("\u001b[").And.Not.Contain("Unhandled"));
        }

        using (var top = ProcessUnderTest.Start("ZmqGame.Trigger.Cli", "top", "--interval", "100ms", "--broker", broker.Control))
        {
            await top.WaitForLineAsync("^refresh 2 ", Patience);
            top.CloseInput();
            Assert.That(await top.WaitForExitAsync(Patience), Is.Zero, top.Output);
        }
    }

    /// <summary>Requests one after another until cancelled, every <paramref name="failEvery"/>th one failing; counts each outcome.</summary>
    private static async Task<(int Ok, int Failed, int Unanswered)> LoadAsync(ZmqGameClient client, CancellationToken stop, int failEvery = 4)
    {
        await Task.Yield();
        var (ok, failed, unanswered) = (0, 0, 0);
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var fail = failEvery > 0 && i % failEvery == 0;
            try
            {
                var answer = await client.RequestAsync<int, int>("game", fail ? 2 : 1, i);
                ok += answer == i && !fail ? 1 : 0;
                unanswered += answer == i && !fail ? 0 : 1;
            }
            catch (ZmqGameRequestException ex) when (ex.Status == Status.HandlerFailed && fail)
            {
                failed++;
            }
            catch (ZmqGameRequestException)
            {
                unanswered++;
            }
        }

        return (ok, failed, unanswered);
    }

    private static void AssertRate(string cell, long delta, double seconds)
    {
        var rate = double.Parse(cell, CultureInfo.InvariantCulture);
        var expected = delta / seconds;

        // The seconds are printed to the millisecond and the rate to a tenth: both roundings allowed for.
        Assert.That(rate, Is.EqualTo(expected).Within(0.051 + (expected * 0.0006 / seconds)), $"{delta} in {seconds} s");
    }

    /// <summary>Each refresh of the plain output: its header line, the seconds since the previous one, its tables.</summary>
    private static List<(string Header, double? Seconds, string Text)> Refreshes(string stdout)
    {
        var text = stdout.Replace("\r", string.Empty, StringComparison.Ordinal);
        var matches = RefreshHeader().Matches(text);
        var refreshes = new List<(string, double?, string)>();
        for (var i = 0; i < matches.Count; i++)
        {
            var match = matches[i];
            var end = i + 1 < matches.Count ? matches[i + 1].Index : text.Length;
            var seconds = match.Groups[1].Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : (double?)null;
            refreshes.Add((match.Value, seconds, text[(match.Index + match.Length)..end]));
        }

        return refreshes;
    }

    private static long Long(string cell) => long.Parse(cell, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^refresh \d+ at [^\n]*?(?:, ([0-9.]+) s since the last|, rates from the next refresh on)$", RegexOptions.Multiline)]
    private static partial Regex RefreshHeader();
}

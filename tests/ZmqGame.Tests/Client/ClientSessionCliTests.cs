using System.Text;
using System.Threading.Channels;
using NetMQ;
using ZmqGame.Client.Cli;
using ZmqGame.Protocol;

namespace ZmqGame.Tests.Client;

/// <summary>`client session`, run in process against the fake broker with a stdin the test feeds and a stdout it reads line by line.</summary>
[TestFixture]
[CancelAfter(30_000)]
public sealed class ClientSessionCliTests
{
    private FakeBroker broker = null!;
    private FeedReader stdin = null!;
    private LineWriter stdout = null!;
    private StringWriter stderr = null!;

    [SetUp]
    public void SetUp()
    {
        broker = new FakeBroker
        {
            // Echo, except service "nope", which has no route.
            Responder = request => request.FrameCount == 7 && request[4].ConvertToString() == "nope" && RequestHeader.TryRead(request[5].ToByteArray(), out var header)
                ? FakeBroker.Reply(request[0].ToByteArray(), header.RequestId, Status.NoSuchRoute, "no route for cmd 9"u8.ToArray())
                : FakeBroker.Echo(request),
        };
        stdin = new FeedReader();
        stdout = new LineWriter();
        stderr = new StringWriter();
    }

    [TearDown]
    public void TearDown()
    {
        broker.Dispose();
        stdin.Dispose();
        stdout.Dispose();
        stderr.Dispose();
    }

    private Task<int> Run(params string[] args) =>
        CliApp.RunAsync(["session", "--broker", broker.Endpoint, .. args], stdin, stdout, stderr).WaitAsync(ClientTestSupport.Patience);

    [Test]
    public async Task Session_LinesInEventsOut_ThenEndOfInputClosesAndExitsZero()
    {
        var logins = 0;
        broker.WelcomeFor = _ => Interlocked.Increment(ref logins) == 1
            ? new Welcome { User = "ann", Groups = ["red", "blue"], TimeoutMs = 10_000 }
            : new Welcome { TimeoutMs = 10_000 };
        var run = Run("--service", "game", "--session-service", "lobby");

        var hello = await broker.NextHelloAsync();
        Assert.That(hello.Service, Is.EqualTo("lobby"));
        var first = await stdout.NextAsync();
        Assert.That(first, Does.Match(@"^session [1-9][0-9]* user=ann groups=red,blue$"));

        stdin.Feed("""5 {"a":1}""");
        Assert.That(await stdout.NextAsync(), Is.EqualTo("""reply 5 {"a":1}"""));

        stdin.Feed("""other 3 [1, 2]""");
        Assert.That(await stdout.NextAsync(), Is.EqualTo("reply 3 [1,2]"));

        stdin.Feed("nope 9 {}");
        Assert.That(await stdout.NextAsync(), Is.EqualTo("error 9 no such route: no route for cmd 9"));

        stdin.Feed("hello");
        Assert.That(await stdout.NextAsync(), Does.StartWith("error - bad input: "));

        broker.Send(FakeBroker.PushMessage(hello.Identity, 7, [0x81, 0xA1, (byte)'x', 0x01]));
        Assert.That(await stdout.NextAsync(), Is.EqualTo("""push 7 {"x":1}"""));

        broker.Send(FakeBroker.ClosedMessage(hello.Identity, SessionCloseReason.Kicked, "cheating"));
        Assert.That(await stdout.NextAsync(), Is.EqualTo("closed kicked: cheating"));
        Assert.That(await stdout.NextAsync(), Does.Match(@"^session [1-9][0-9]* user=- groups=$"), "a fresh session, not logged in");

        stdin.End();
        Assert.That(await run, Is.EqualTo(CliApp.ExitOk), stderr.ToString());
        Assert.That(await broker.NextCloseAsync(), Is.EqualTo(hello.Identity), "end of input closed the session");
    }

    [Test]
    public async Task Session_RequestInFlightWhilePushesArrive_LinesStayWhole()
    {
        broker.Responder = null; // the test answers the request itself, after the pushes
        var run = Run("--service", "game");
        var hello = await broker.NextHelloAsync();
        await stdout.NextAsync(); // session line

        stdin.Feed("1 \"slow\"");
        var (identity, _, header, payload) = ClientTestSupport.ParseRequest(await broker.ReceiveAsync());
        for (var i = 0; i < 20; i++)
        {
            broker.Send(FakeBroker.PushMessage(hello.Identity, 2, ClientTestSupport.Pack(i)));
        }

        broker.Send(FakeBroker.Reply(identity, header.RequestId, Status.Ok, payload));
        stdin.End();

        var lines = new List<string>();
        for (var i = 0; i < 21; i++)
        {
            lines.Add(await stdout.NextAsync());
        }

        Assert.That(await run, Is.EqualTo(CliApp.ExitOk));
        Assert.That(lines.Where(l => l.StartsWith("push ", StringComparison.Ordinal)), Is.EqualTo(Enumerable.Range(0, 20).Select(i => $"push 2 {i}")));
        Assert.That(lines, Does.Contain("reply 1 \"slow\""));
    }

    [Test]
    public async Task Session_CmdLineWithoutServiceOption_PrintsBadInput()
    {
        var run = Run();
        await stdout.NextAsync();

        stdin.Feed("5 {}");
        Assert.That(await stdout.NextAsync(), Is.EqualTo("error - bad input: no --service given; write <service> <cmd> <json>"));
        stdin.End();
        Assert.That(await run, Is.EqualTo(CliApp.ExitOk));
    }

    [TestCase("--server-key", "not-a-key")]
    [TestCase("--session-service", "mmi.x")]
    [TestCase("--service", "mmi.x")]
    [TestCase("--bogus")]
    [TestCase("extra")]
    public async Task Session_BadArguments_ExitsTwo(params string[] args)
    {
        var code = await Run(args);
        Assert.That(code, Is.EqualTo(CliApp.ExitUsage));
        Assert.That(stderr.ToString(), Does.StartWith("error: "));
    }

    [Test]
    public async Task Session_NoBroker_ExitsThree()
    {
        var code = await CliApp.RunAsync(
            ["session", "--broker", ClientTestSupport.DeadEndpoint(), "--connect-timeout", "200ms"], stdin, stdout, stderr).WaitAsync(ClientTestSupport.Patience);
        Assert.That(code, Is.EqualTo(CliApp.ExitNoBroker));
    }

    [Test]
    public async Task Session_Help_DescribesTheLines()
    {
        var code = await CliApp.RunAsync(["session", "--help"], stdin, stdout, stderr);
        Assert.That(code, Is.EqualTo(CliApp.ExitOk));
        Assert.That(await stdout.NextAsync(), Does.StartWith("client session:"));
        using var all = new StringWriter();
        Assert.That(await CliApp.RunAsync(["--help"], all, stderr), Is.EqualTo(CliApp.ExitOk));
        Assert.That(all.ToString(), Does.Contain("client session"));
    }

    [Test]
    public async Task Session_LineOverTheBrokersLimit_PrintsTheErrorAndServesTheNextLine()
    {
        using var real = new ZmqGame.Tests.Support.BrokerFixture(o => o.MaxMessageSize = 4096);
        using var worker = new MdpTestWorker(real.Backend, "game", MdpTestWorker.Game);
        await real.WaitForIdleWorkers("game");
        var run = CliApp.RunAsync(["session", "--broker", real.Frontend, "--service", "game"], stdin, stdout, stderr).WaitAsync(ClientTestSupport.Patience);
        Assert.That(await stdout.NextAsync(), Does.StartWith("session "));

        stdin.Feed($"1 \"{new string('x', 5000)}\"");
        Assert.That(await stdout.NextAsync(), Does.Match("^error 1 too large: request of [0-9]+ bytes is over the broker's limit of 4096$"));

        stdin.Feed("""1 {"after":true}""");
        Assert.That(await stdout.NextAsync(), Is.EqualTo("""reply 1 {"after":true}"""));
        Assert.That(real.Stats.BadInputCount(ZmqGame.Broker.BadInput.FrontendTooLarge), Is.Zero, "refused by the client: the broker saw nothing of it");

        stdin.End();
        Assert.That(await run, Is.EqualTo(CliApp.ExitOk), stderr.ToString());
    }

    /// <summary>A stdin the test writes lines to; <see cref="End"/> is end of input.</summary>
    private sealed class FeedReader : TextReader
    {
        private readonly Channel<string> lines = Channel.CreateUnbounded<string>();

        public void Feed(string line) => lines.Writer.TryWrite(line);

        public void End() => lines.Writer.TryComplete();

        public override async ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken) =>
            await lines.Reader.WaitToReadAsync(cancellationToken) && lines.Reader.TryRead(out var line) ? line : null;

        public override Task<string?> ReadLineAsync() => ReadLineAsync(CancellationToken.None).AsTask();
    }

    /// <summary>A stdout the test reads whole lines from, as they are written.</summary>
    private sealed class LineWriter : TextWriter
    {
        private readonly Channel<string> lines = Channel.CreateUnbounded<string>();
        private readonly StringBuilder partial = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (partial)
            {
                if (value == '\n')
                {
                    lines.Writer.TryWrite(partial.ToString().TrimEnd('\r'));
                    partial.Clear();
                }
                else
                {
                    partial.Append(value);
                }
            }
        }

        public async Task<string> NextAsync() => await lines.Reader.ReadAsync().AsTask().WaitAsync(ClientTestSupport.Patience);
    }
}

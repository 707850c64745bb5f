using MessagePack;
using ZmqGame.Client;
using ZmqGame.Tests.Support;

namespace ZmqGame.Tests.Packaging;

/// <summary>
/// <c>dotnet new zmqgame-worker</c> from the packed template: the project it makes builds against the packed
/// ZmqGame.Worker package and, run against a real broker process, answers its route and hears the session end.
/// </summary>
[TestFixture]
[Category(Categories.Packaging)]
[NonParallelizable]
[Platform(Exclude = "Win")]
public sealed class WorkerTemplateTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    private PackedFeed _feed = null!;
    private string _project = null!;
    private DotnetCommand _build = null!;

    [OneTimeSetUp]
    public async Task GenerateAndBuild()
    {
        _feed = await PackedFeed.GetAsync();
        _project = Path.Combine(_feed.Root, "MyGame.Worker");
        (await DotnetCommand.RunAsync(_feed, _feed.Home, Patience, "new", "install", _feed.Package("ZmqGame.Templates")))
            .Succeeded("dotnet new install");
        (await DotnetCommand.RunAsync(_feed, _feed.Home, Patience, "new", "zmqgame-worker", "-n", "MyGame.Worker", "-o", _project))
            .Succeeded("dotnet new zmqgame-worker");

        // This build's packages first; third-party packages from the machine's package folder, else the usual registry.
        File.WriteAllText(Path.Combine(_project, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="zmqgame-packed" value="{_feed.Feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
              </packageSources>
              <fallbackPackageFolders>
                <add key="machine" value="{PackedFeed.UserPackages}" />
              </fallbackPackageFolders>
            </configuration>
            """);
        _build = await DotnetCommand.RunAsync(_feed, _project, TimeSpan.FromMinutes(4), "build", "-nologo");
    }

    [Test]
    public void GeneratedWorker_HasRouteSessionHookAndSettings_BuildsAgainstThePackedPackage()
    {
        var program = File.ReadAllText(Path.Combine(_project, "Program.cs"));

        Assert.That(_build.ExitCode, Is.Zero, _build.Output);
        Assert.That(program, Does.Contain("service.Map<Hello, Welcome>(1,").And.Contain("OnClientClosed("));
        Assert.That(File.Exists(Path.Combine(_project, "bin", "Debug", "net10.0", "appsettings.json")), Is.True, "appsettings.json beside the worker");
        Assert.That(Directory.Exists(Path.Combine(_feed.Environment["NUGET_PACKAGES"], "zmqgame.worker", PackedFeed.Version)), Is.True,
            "ZmqGame.Worker restored from the packed feed");
    }

    [Test]
    public async Task GeneratedWorker_AgainstABrokerProcess_AnswersItsRouteAndHearsTheSessionEnd()
    {
        Assert.That(_build.ExitCode, Is.Zero, _build.Output);
        using var broker = ProcessUnderTest.Start("ZmqGame.Broker", "tcp://127.0.0.1:0", "tcp://127.0.0.1:0", "--control", "tcp://127.0.0.1:0", "--session-key-file", "");
        var listening = await broker.WaitForLineAsync(Broker.BrokerProcessTests.ListeningLine, Patience);
        var (frontend, backend) = (listening.Groups[1].Value.TrimEnd(','), listening.Groups[2].Value.TrimEnd(','));
        using var worker = ProcessUnderTest.StartDll(Path.Combine(_project, "bin", "Debug", "net10.0", "MyGame.Worker.dll"), "--broker", backend, "--slots", "1");
        await worker.WaitForLineAsync("Slot 0 of service 'game' READY", Patience);

        Welcome welcome;
        ulong sessionId;
        await using (var client = await ZmqGameClient.ConnectAsync(frontend, new ZmqGameClientOptions { SessionService = "game" }))
        {
            welcome = await client.RequestAsync<Hello, Welcome>("game", 1, new Hello("ada"));
            sessionId = client.Session!.Id;
        }

        Assert.That(welcome.Text, Is.EqualTo("hi ada"));
        await worker.WaitForLineAsync($"^session {sessionId} of - ended: ", Patience);
    }

    /// <summary>The generated worker's request of command 1 (MessagePack keys are the property names).</summary>
    [MessagePackObject(true)]
    public sealed record Hello(string Name);

    /// <summary>The generated worker's reply to command 1.</summary>
    [MessagePackObject(true)]
    public sealed record Welcome(string Text);
}

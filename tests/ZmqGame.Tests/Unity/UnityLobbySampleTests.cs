using ZmqGame.Client;
using ZmqGame.Tests.Support;
using ZmqGame.Tests.WorkerTests;
using ZmqGame.Worker;
using ZmqGame.Worker.Host;

namespace ZmqGame.Tests.Unity;

/// <summary>
/// The Unity sample (client/unity/Samples~/Lobby) played by ZmqGame.Unity.Runner as Unity's player loop would, with
/// dynamic code off as under IL2CPP and on NetMQ as in Unity, against a real broker and the sample lobby worker.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class UnityLobbySampleTests
{
    [Test]
    public async Task LobbySample_WithDynamicCodeOff_LogsInShowsPushesSaysAndClosesItsSessionOnDestroy()
    {
        using var broker = new BrokerFixture();
        var log = new LinesLogger();
        await using var app = await InProcessWorker.StartAsync(broker, 2, "lobby", worker => SampleServices.MapLobby(worker, log));

        using var player = ProcessUnderTest.StartDll(
            Executables.Dll("ZmqGame.Unity.Runner"),
            new Dictionary<string, string> { ["ZMQGAME_TRANSPORT"] = "netmq" },
            "--broker", broker.Frontend, "--name", "ann", "--room", "tavern");
        await player.WaitForLineAsync("^dynamic code: not supported$");
        await player.WaitForLineAsync("^dynamic resolver: fails: ");
        await player.WaitForLineAsync(@"^log: Log lobby: logged in as ann \(session \d+\)$");
        await player.WaitForLineAsync("^log: Log lobby: ann in tavern with ann$");
        await player.WaitForLineAsync(@"^log: Log lobby: \[tavern\] ann joined$");

        // bob: a .NET client with the worker's own message types
        await using var bob = await ZmqGameClient.ConnectAsync(broker.Frontend, new ZmqGameClientOptions { SessionService = "lobby" });
        var fromAnn = new TaskCompletionSource<LobbyChatLine>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var chat = bob.OnPush<LobbyChatLine>(LobbyCommands.ChatLine, line =>
        {
            if (line.From == "ann")
            {
                fromAnn.TrySetResult(line);
            }
        });
        await bob.RequestAsync<LobbyLoginRequest, LobbyLoginReply>("lobby", LobbyCommands.Login, new LobbyLoginRequest("bob"));
        await bob.RequestAsync<LobbyRoomRequest, LobbyRoomReply>("lobby", LobbyCommands.Join, new LobbyRoomRequest("tavern"));
        await player.WaitForLineAsync(@"^log: Log lobby: \[tavern\] bob joined$");
        await bob.RequestAsync<LobbySayRequest, LobbySayReply>("lobby", LobbyCommands.Say, new LobbySayRequest("tavern", "hi ann"));
        await player.WaitForLineAsync(@"^log: Log lobby: \[tavern\] bob: hi ann$");

        // What OnGUI draws: the status, then the pushes Update moved to the main thread.
        player.WriteLine("gui");
        await player.WaitForLineAsync("^gui end$");
        var drawn = player.Lines.Where(l => l.StartsWith("gui: ", StringComparison.Ordinal)).Select(l => l[5..]).ToList();
        Assert.That(drawn, Is.EqualTo(new[] { "ann in tavern with ann", "[tavern] ann joined", "[tavern] bob joined", "[tavern] bob: hi ann", "[]" }));

        player.WriteLine("say hello bob");
        var said = await fromAnn.Task.WaitAsync(Raw.Wait);
        Assert.That((said.Room, said.Text), Is.EqualTo(("tavern", "hello bob")));

        player.WriteLine("destroy");
        await player.WaitForLineAsync("^log: Log lobby: disconnected$");
        await Eventually.True(
            () => log.Lines.Any(l => l.EventId == 1301 && l.Text.Contains("user ann reason ClientClosed", StringComparison.Ordinal)),
            "the lobby's close hook for ann's session, closed by the client",
            context: () => string.Join('\n', log.Lines.Select(l => l.Text)));
        player.WriteLine("quit");
        Assert.That(await player.WaitForExitAsync(Raw.Wait), Is.Zero, player.Output);
        Assert.That(player.Lines, Has.None.Match("^log: (Error|Exception) "), player.Output);
    }
}

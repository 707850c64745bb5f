using System.Globalization;
using ZmqGame.Tests.Broker;
using ZmqGame.Tests.Support;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.WebSocket;

/// <summary>
/// The broker and worker host executables with many ZWS clients at once (both subprotocols), each sending stock MDP
/// requests back to back to the worker host's echo service: every request is counted, ok, wrong or unanswered.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class WebSocketLoadTests
{
    [Test]
    public async Task ManyZwsClients_AgainstRealProcesses_EveryRequestIsAnswered()
    {
        const int clients = 16;
        const int requestsEach = 250;
        using var broker = ProcessUnderTest.Start("ZmqGame.Broker", "tcp://127.0.0.1:0", "tcp://127.0.0.1:0", "--control", "tcp://127.0.0.1:0",
            "--websocket", "ws://127.0.0.1:0/zws");
        var backend = (await broker.WaitForLineAsync(BrokerProcessTests.ListeningLine)).Groups[2].Value.TrimEnd(',');
        var url = (await broker.WaitForLineAsync(@"Broker WebSocket frontend listening on (\S+)")).Groups[1].Value;
        using var workers = ProcessUnderTest.Start("ZmqGame.Worker.Host", "--broker", backend, "--slots", "4", "--service", "echo");
        await broker.WaitForLineAsync(@"ready for service echo \(4 workers\)");

        var ok = 0;
        var wrong = 0;
        var unanswered = 0;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            await using var client = await ZwsTestClient.ConnectAsync(url, c % 2 == 0 ? "ZWS2.0/NULL" : "ZWS2.0");
            for (var i = 0; i < requestsEach; i++)
            {
                var body = string.Create(CultureInfo.InvariantCulture, $"{c}:{i}");
                await client.SendAsync([], B("MDPC01"), B("echo"), B(body));
                List<byte[]> reply;
                try
                {
                    reply = await client.ReceiveAsync();
                }
                catch (AssertionException)
                {
                    Interlocked.Add(ref unanswered, requestsEach - i);
                    return;
                }

                if (reply.Count == 4 && S(reply[1]) == "MDPC01" && S(reply[2]) == "echo" && S(reply[3]) == body)
                {
                    Interlocked.Increment(ref ok);
                }
                else
                {
                    Interlocked.Increment(ref wrong);
                }
            }
        }));

        Assert.That((ok, wrong, unanswered), Is.EqualTo((clients * requestsEach, 0, 0)), "ok, wrong, unanswered");
        workers.Terminate();
        broker.Terminate();
        Assert.That(await broker.WaitForExitAsync(), Is.Zero, broker.Output);
    }
}

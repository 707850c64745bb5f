using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using ZmqGame.Tests.Support;
using ZmqGame.Tests.WorkerTests;
using ZmqGame.Worker;
using ZmqGame.Worker.Host;

namespace ZmqGame.Tests.Interop;

/// <summary>
/// A broker that refuses the handshake the way libzmq does (it hangs up without a word): the worker on the own
/// transport says so once, as a warning that says why, not on every reconnect attempt.
/// </summary>
[TestFixture]
[Category(Categories.OwnTransport)]
public sealed class HandshakeRefusedTests
{
    [Test]
    public async Task PeerRefusesHandshake_WorkerWarnsOnceWithWhy()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endpoint = $"tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        var logs = new LogCollector();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        await using var worker = WorkerApp.Create(TestOptions.For(endpoint, slots: 1), factory);
        worker.MapService(SampleServices.Echo).MapRaw((frames, _) => frames);

        await worker.StartAsync();
        for (var attempt = 0; attempt < 4; attempt++)
        {
            // Each attempt: read the greeting and READY, then hang up.
            using var connection = await listener.AcceptTcpClientAsync().WaitAsync(Raw.Wait);
            var buffer = new byte[64];
            _ = await connection.GetStream().ReadAsync(buffer).AsTask().WaitAsync(Raw.Wait);
        }

        var warnings = logs.Warnings.Where(w => w.Contains("handshake", StringComparison.Ordinal)).ToList();
        Assert.That(warnings, Has.Count.EqualTo(1), string.Join('\n', logs.Warnings));
        Assert.That(warnings[0], Does.Contain("closed by the peer during the ZMTP handshake"));
    }

    private sealed class LogCollector : ILoggerProvider, ILogger
    {
        private readonly ConcurrentQueue<string> _warnings = new();

        public IReadOnlyList<string> Warnings => [.. _warnings];

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning)
            {
                _warnings.Enqueue(formatter(state, exception));
            }
        }

        public void Dispose()
        {
        }
    }
}

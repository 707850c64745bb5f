using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace ZmqGame.Tests.Support;

/// <summary>
/// A real nats-server with JetStream on, on a free loopback port, storing in a temporary directory (removed on
/// dispose). It can be killed and started again on the same port with the same store, as an operator restarts it.
/// </summary>
internal sealed partial class NatsServer : IDisposable
{
    private static readonly string Executable =
        new[] { "/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server" }.FirstOrDefault(File.Exists) ?? "nats-server";

    private readonly string _store = Directory.CreateTempSubdirectory("zmqgame-nats-").FullName;
    private readonly ConcurrentQueue<string> _lines = new();
    private Process? _process;
    private int _port;

    private NatsServer()
    {
    }

    /// <summary>The client URL brokers join with (<c>--cluster</c>).</summary>
    public string Url => $"nats://127.0.0.1:{_port}";

    /// <summary>What the server printed, across restarts.</summary>
    public string Output => string.Join('\n', _lines);

    /// <summary>Starts a server on a free port and waits until it listens for clients.</summary>
    public static async Task<NatsServer> StartAsync()
    {
        var server = new NatsServer();
        try
        {
            await server.RunAsync(port: -1);
        }
        catch
        {
            server.Dispose();
            throw;
        }

        return server;
    }

    /// <summary>Starts the server again on the same port and store (after <see cref="Kill"/>), waiting until it listens.</summary>
    public Task RestartAsync() => RunAsync(_port);

    /// <summary>SIGKILL, and waits until the process is gone.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        _process?.Dispose();
        try
        {
            Directory.Delete(_store, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task RunAsync(int port)
    {
        _process?.Dispose();
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var info = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-js", "-sd", _store })
        {
            info.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        DataReceivedEventHandler onLine = (_, e) =>
        {
            if (e.Data is not { } line)
            {
                return;
            }

            _lines.Enqueue(line);
            if (ListeningLine().Match(line) is { Success: true } match)
            {
                listening.TrySetResult(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        };
        process.OutputDataReceived += onLine;
        process.ErrorDataReceived += onLine;
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("nats-server exited before listening:\n" + Output));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        _port = await listening.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [GeneratedRegex(@"Listening for client connections on [^\s]*:(\d+)")]
    private static partial Regex ListeningLine();
}

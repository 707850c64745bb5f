using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using ZmqGame.Tests.Support;

namespace ZmqGame.Tests.Interop;

/// <summary>
/// A libzmq peer in its own process: <c>/usr/bin/python3 libzmq_peer.py MODE ARGS…</c> (pyzmq on the system's libzmq;
/// the script's header says what each mode does). Tests wait on the lines it prints, each with a deadline, never on a
/// clock; <see cref="Dispose"/> kills it.
/// </summary>
internal sealed class LibzmqPeer : IDisposable
{
    /// <summary>Test category of everything that runs a libzmq peer.</summary>
    public const string Category = "Interop";

    /// <summary>The system's python, the one python3-zmq is installed for (a python3 on PATH may lack it).</summary>
    private const string Python = "/usr/bin/python3";

    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly List<string> _seen = [];

    private LibzmqPeer(Process process) => _process = process;

    /// <summary>Every line read so far through <see cref="WaitLineAsync"/> or <see cref="Drain"/>.</summary>
    public IReadOnlyList<string> Seen => _seen;

    /// <summary>Starts the peer in <paramref name="mode"/>.</summary>
    /// <param name="mode">router, client or mdpbroker.</param>
    /// <param name="args">The mode's arguments.</param>
    public static LibzmqPeer Start(string mode, params string[] args)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Interop", "libzmq_peer.py");
        var info = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-u");
        info.ArgumentList.Add(script);
        info.ArgumentList.Add(mode);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = info };
        var peer = new LibzmqPeer(process);
        process.OutputDataReceived += (_, e) => peer.Add(e.Data);
        process.ErrorDataReceived += (_, e) => peer.Add(e.Data is null ? null : "STDERR " + e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return peer;
    }

    /// <summary>Starts a peer that binds, and waits for the port it bound (its first line, <c>PORT n</c>).</summary>
    /// <param name="mode">router or mdpbroker.</param>
    /// <param name="args">The mode's arguments.</param>
    public static async Task<(LibzmqPeer Peer, string Endpoint)> BindAsync(string mode, params string[] args)
    {
        var peer = Start(mode, args);
        try
        {
            var line = await peer.WaitLineAsync("PORT ");
            return (peer, $"tcp://127.0.0.1:{line["PORT ".Length..]}");
        }
        catch
        {
            peer.Dispose();
            throw;
        }
    }

    /// <summary>The next line that starts with <paramref name="prefix"/>; fails the test (with all it printed) if none comes in time.</summary>
    /// <param name="prefix">What the line starts with.</param>
    /// <param name="timeout">How long to wait (default <see cref="Raw.Wait"/>).</param>
    public async Task<string> WaitLineAsync(string prefix, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Raw.Wait);
        try
        {
            while (true)
            {
                var line = await _lines.Reader.ReadAsync(cts.Token);
                _seen.Add(line);
                if (line.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return line;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            Drain();
            Assert.Fail($"the libzmq peer printed no \"{prefix}\" line; it printed:\n{string.Join('\n', _seen)}");
            throw;
        }
    }

    /// <summary>The peer's <c>REPLY header service {json}</c> line, read.</summary>
    /// <param name="timeout">How long to wait (default <see cref="Raw.Wait"/>).</param>
    public async Task<PeerReply> WaitReplyAsync(TimeSpan? timeout = null)
    {
        var parts = (await WaitLineAsync("REPLY ", timeout)).Split(' ', 4);
        using var json = JsonDocument.Parse(parts[3]);
        var root = json.RootElement;
        return new PeerReply(
            parts[1],
            parts[2],
            [.. root.GetProperty("frames").EnumerateArray().Select(e => e.GetString()!)],
            [.. root.GetProperty("sizes").EnumerateArray().Select(e => e.GetInt32())],
            root.GetProperty("equal").GetBoolean());
    }

    /// <summary>Moves the lines printed so far into <see cref="Seen"/> without waiting.</summary>
    public void Drain()
    {
        while (_lines.Reader.TryRead(out var line))
        {
            _seen.Add(line);
        }
    }

    /// <summary>Kills the peer (its connections end as a crash ends them) and waits for it to be gone.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        _lines.Writer.TryWrite(line);
    }

    /// <summary>An MDP client reply as the peer saw it: body frames (text, or <c>&lt;n bytes&gt;</c>), sizes, and whether the body echoed the request's.</summary>
    internal sealed record PeerReply(string Header, string Service, string[] Frames, int[] Sizes, bool EchoedRequest);
}

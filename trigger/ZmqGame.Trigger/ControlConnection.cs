using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using MessagePack;
using NetMQ;
using NetMQ.Sockets;
using ZmqGame.Protocol;

namespace ZmqGame.Trigger;

/// <summary>
/// The one implementation of the control protocol's request/reply (docs/protocol.md, "Control endpoint"):
/// <c>[""]["ZGT01"][command][argument…]</c> on a DEALER, answered by <c>[""]["ZGT01"][command][result]</c>.
/// Used by <see cref="TriggerClient"/>, the <c>trigger</c> CLI (broker and supervisor admin endpoints) and the
/// supervisor's broker probe.
/// </summary>
/// <remarks>
/// Commands run one at a time (a gate), each on the calling thread (<see cref="Ask"/>) or the connection's own
/// thread (<see cref="AskAsync"/>): never blocking a pool thread, since NetMQ completes socket I/O on the pool. A
/// command that ends without its answer (timeout, cancellation) closes the socket, so a late answer can never be
/// taken for the next command's; the next command opens a new one (and, with CURVE, proves
/// the trigger key again). An answer <c>{"error": …}</c> becomes a <see cref="TriggerException"/> (Refused).
/// </remarks>
internal sealed class ControlConnection : IDisposable, IAsyncDisposable
{
    /// <summary>The broker's text for a command on a connection that has not proved a trigger key.</summary>
    internal const string NotAuthorised = "not authorised";

    private static readonly byte[] AuthCommand = Encoding.ASCII.GetBytes(Control.Auth);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly BlockingCollection<Action> _work = new();
    private readonly CurveKeys? _curve;
    private Thread? _thread;
    private DealerSocket? _socket;
    private bool _disposed;

    public ControlConnection(string endpoint, CurveKeys? curve = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(endpoint);
        Endpoint = endpoint;
        _curve = curve;
    }

    /// <summary>The endpoint this connection talks to.</summary>
    public string Endpoint { get; }

    /// <summary>True when the connection is CURVE-encrypted and proves a trigger key with <c>auth</c>.</summary>
    public bool UsesCurve => _curve is not null;

    /// <summary>Sends one command and waits for its result frame, on the connection's own thread.</summary>
    /// <exception cref="TriggerException">No answer within <paramref name="timeout"/>, a refusal, or an unreadable answer.</exception>
    public async Task<byte[]> AskAsync(string command, IReadOnlyList<byte[]> arguments, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return await OnConnectionThread(() => AskUnderGate(command, arguments, timeout, clock, cancellationToken)).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Sends one command and waits for its result frame, blocking the calling thread.</summary>
    /// <exception cref="TriggerException">No answer within <paramref name="timeout"/>, a refusal, or an unreadable answer.</exception>
    public byte[] Ask(string command, IReadOnlyList<byte[]> arguments, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        _gate.Wait(cancellationToken);
        try
        {
            return AskUnderGate(command, arguments, timeout, clock, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Opens the socket now (and, with CURVE, proves the trigger key), so a refused key is reported at once.</summary>
    public Task OpenAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        AskAsync(string.Empty, [], timeout, cancellationToken);

    public void Dispose()
    {
        _gate.Wait();
        try
        {
            Close();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            Close();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The <c>error</c> text of a result map, or null when the result is not a map with a string <c>error</c>.</summary>
    internal static string? ErrorOf(byte[] result)
    {
        try
        {
            var reader = new MessagePackReader(result);
            if (reader.NextMessagePackType != MessagePackType.Map)
            {
                return null;
            }

            var count = reader.ReadMapHeader();
            for (var i = 0; i < count; i++)
            {
                if (reader.NextMessagePackType != MessagePackType.String)
                {
                    reader.Skip();
                }
                else if (reader.ReadString() == "error")
                {
                    if (reader.TryReadNil())
                    {
                        // "error": nil is no error.
                        continue;
                    }

                    return reader.NextMessagePackType == MessagePackType.String ? reader.ReadString() ?? string.Empty : "(unreadable error)";
                }

                reader.Skip();
            }
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or OverflowException)
        {
            // Not a map we can read: the caller decides what the result means.
        }

        return null;
    }

    private byte[] AskUnderGate(string command, IReadOnlyList<byte[]> arguments, TimeSpan timeout, Stopwatch clock, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var fresh = false;
        for (var attempt = 0; ; attempt++)
        {
            if (_socket is null)
            {
                _socket = OpenSocket();
                fresh = true;
                if (_curve is not null)
                {
                    var proof = _curve.CreateProof();
                    var answer = Exchange(AuthCommand, [proof], timeout, clock, cancellationToken);
                    if (ErrorOf(answer) is { } authError)
                    {
                        CloseSocket();
                        throw new TriggerException(
                            TriggerFailure.Refused,
                            $"{Endpoint} refused the trigger key ({Convert.ToHexString(_curve.PublicKey)[..8]}…): {authError}",
                            authError);
                    }
                }
            }

            if (command.Length == 0)
            {
                return [];
            }

            var result = Exchange(Encoding.UTF8.GetBytes(command), arguments, timeout, clock, cancellationToken);
            if (ErrorOf(result) is not { } error)
            {
                return result;
            }

            // A CURVE connection that ZeroMQ reconnected (the broker restarted) is a new peer the broker has not seen
            // prove its key: it refused and did nothing, so prove the key again and ask once more.
            if (error == NotAuthorised && _curve is not null && !fresh && attempt == 0)
            {
                CloseSocket();
                continue;
            }

            throw new TriggerException(TriggerFailure.Refused, $"{Endpoint} refused '{command}': {error}", error);
        }
    }

    /// <summary>One request and its answer on the open socket, within what is left of <paramref name="timeout"/>.</summary>
    private byte[] Exchange(byte[] command, IReadOnlyList<byte[]> arguments, TimeSpan timeout, Stopwatch clock, CancellationToken cancellationToken)
    {
        var socket = _socket!;
        var request = new List<byte[]>(3 + arguments.Count);
        Control.WriteCommand(new FrameListWriter(request), command, arguments);

        try
        {
            // Slices of at most 100 ms, so cancellation is noticed; whole milliseconds, since NetMQ spins on a
            // timeout between 0 and 1 ms.
            while (!socket.TrySendMultipartBytes(Slice(timeout, clock, cancellationToken), request))
            {
            }

            var frames = new List<byte[]>(4);
            while (true)
            {
                if (!socket.TryReceiveMultipartBytes(Slice(timeout, clock, cancellationToken), ref frames))
                {
                    continue;
                }

                if (Control.TryReadAnswer(new ListFrames(frames), out var resultIndex) && frames[Control.CommandIndex].AsSpan().SequenceEqual(command))
                {
                    return frames[resultIndex];
                }

                // Anything else (not the control protocol, or another command's answer) is not ours: keep waiting.
            }
        }
        catch
        {
            // Timed out or cancelled mid-command: an answer may still come, and must not be taken for the next one's.
            CloseSocket();
            throw;
        }
    }

    private TimeSpan Slice(TimeSpan timeout, Stopwatch clock, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var left = Math.Ceiling((timeout - clock.Elapsed).TotalMilliseconds);
        if (left <= 0)
        {
            var hint = _curve is null ? string.Empty : " (and is the server key the broker's public key?)";
            throw new TriggerException(
                TriggerFailure.NoAnswer,
                $"no answer from {Endpoint} within {timeout.TotalSeconds:0.###} s: is the broker running, and is this its control endpoint?{hint}");
        }

        return TimeSpan.FromMilliseconds(Math.Min(left, 100));
    }

    private DealerSocket OpenSocket()
    {
        var socket = new DealerSocket();
        try
        {
            socket.Options.Linger = TimeSpan.Zero;
            if (_curve is not null)
            {
                socket.Options.CurveServerKey = _curve.ServerPublicKey;
                socket.Options.CurveCertificate = _curve.Certificate;
            }

            socket.Connect(Endpoint);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="work"/> (under the gate) on this connection's thread, started on first use.</summary>
    private Task<byte[]> OnConnectionThread(Func<byte[]> work)
    {
        var done = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_thread is null)
        {
            _thread = new Thread(() =>
            {
                foreach (var item in _work.GetConsumingEnumerable())
                {
                    item();
                }

                _work.Dispose();
            })
            {
                IsBackground = true,
                Name = "ZmqGame.Trigger " + Endpoint,
            };
            _thread.Start();
        }

        _work.Add(() =>
        {
            try
            {
                done.SetResult(work());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        });
        return done.Task;
    }

    /// <summary>Under the gate: closes the socket and ends the connection's thread.</summary>
    private void Close()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        CloseSocket();
        _work.CompleteAdding();
        if (_thread is null)
        {
            _work.Dispose();
        }
    }

    private void CloseSocket()
    {
        _socket?.Dispose();
        _socket = null;
    }
}

/// <summary>CURVE keys of a trigger: the broker's public key, and the trigger's key pair that <c>auth</c> proves.</summary>
internal sealed class CurveKeys
{
    private CurveKeys(byte[] serverPublicKey, NetMQCertificate certificate)
    {
        ServerPublicKey = serverPublicKey;
        Certificate = certificate;
    }

    public byte[] ServerPublicKey { get; }

    public NetMQCertificate Certificate { get; }

    public byte[] PublicKey => Certificate.PublicKey;

    /// <summary>Reads Z85 keys (40 characters each); the trigger's public key is derived from its secret key.</summary>
    /// <exception cref="ArgumentException">A key is not 40 Z85 characters.</exception>
    public static CurveKeys FromZ85(string serverPublicKey, string triggerSecretKey)
    {
        CheckKey(serverPublicKey, "server public key");
        CheckKey(triggerSecretKey, "trigger secret key");
        return new CurveKeys(NetMQCertificate.FromPublicKey(serverPublicKey).PublicKey, NetMQCertificate.CreateFromSecretKey(triggerSecretKey));
    }

    /// <summary>The <c>auth</c> proof: a fresh 24-byte random nonce and the current Unix time in milliseconds.</summary>
    public byte[] CreateProof() =>
        TriggerAuth.CreateProof(
            Certificate.SecretKey!, Certificate.PublicKey, ServerPublicKey,
            DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), RandomNumberGenerator.GetBytes(TriggerAuth.NonceSize));

    internal static void CheckKey(string z85, string what)
    {
        const string Alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
        if (z85 is null || z85.Length != 40 || z85.Any(c => !Alphabet.Contains(c, StringComparison.Ordinal)))
        {
            throw new ArgumentException($"the {what} must be 40 Z85 characters (as `trigger keygen` prints)");
        }
    }
}

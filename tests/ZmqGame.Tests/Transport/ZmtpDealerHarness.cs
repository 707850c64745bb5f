using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using ZmqGame.Tests.Support;
using ZmqGame.Transport;

namespace ZmqGame.Tests.Transport;

/// <summary>
/// One <see cref="ZmtpDealer"/> on its own <see cref="EventLoop"/>, driven from a test: every call on the dealer is
/// posted to the loop thread, and what the dealer reports (messages, the end of the connection, loop errors) comes
/// back through a channel, a task and a queue, each waited on with a deadline.
/// </summary>
internal sealed class DealerOnLoop : IDisposable
{
    private readonly Channel<List<byte[]>> _messages = Channel.CreateUnbounded<List<byte[]>>();
    private readonly TaskCompletionSource<string> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<Exception> _errors = new();
    private readonly byte[] _readBuffer = new byte[65536];
    private ZmtpDealer? _dealer;
    private int _closedCount;
    private int _callbacksOffLoop;

    public DealerOnLoop()
    {
        Loop = new EventLoop(_errors.Enqueue);
        Loop.Start("zmtp-dealer-test");
    }

    public EventLoop Loop { get; }

    /// <summary>The dealer (read on the loop thread, or after an <see cref="OnLoopAsync(Action)"/> that set it).</summary>
    public ZmtpDealer Dealer => _dealer ?? throw new InvalidOperationException("not connected");

    /// <summary>What the loop reported to its error handler.</summary>
    public IReadOnlyCollection<Exception> Errors => _errors;

    /// <summary>How many times <c>onClosed</c> ran.</summary>
    public int ClosedCount => Volatile.Read(ref _closedCount);

    /// <summary>How many <c>onMessage</c>/<c>onClosed</c> calls came on another thread than the loop's.</summary>
    public int CallbacksOffLoop => Volatile.Read(ref _callbacksOffLoop);

    /// <summary>Connects (on the loop thread); <paramref name="firstMessage"/> is sent in the same turn, before the handshake.</summary>
    /// <param name="endpoint">tcp://host:port of the ROUTER.</param>
    /// <param name="maxFrameSize">The dealer's frame limit (0: none).</param>
    /// <param name="firstMessage">A message queued right after <see cref="ZmtpDealer.Connect"/>, if any.</param>
    public Task ConnectAsync(string endpoint, int maxFrameSize = 0, IReadOnlyList<byte[]>? firstMessage = null) =>
        OnLoopAsync(() =>
        {
            _dealer = ZmtpDealer.Connect(Loop, _readBuffer, endpoint, maxFrameSize, OnMessage, OnClosed);
            if (firstMessage is not null)
            {
                _dealer.Send(firstMessage);
            }
        });

    /// <summary>Queues one message on the loop thread.</summary>
    /// <param name="frames">The message's frames.</param>
    public Task SendAsync(params byte[][] frames) => OnLoopAsync(() => Dealer.Send(frames));

    /// <summary>Runs <paramref name="action"/> on the loop thread and waits for it (its exception is rethrown here).</summary>
    /// <param name="action">What to run.</param>
    public Task OnLoopAsync(Action action) => OnLoopAsync(() =>
    {
        action();
        return true;
    });

    /// <summary>Runs <paramref name="read"/> on the loop thread and returns its result.</summary>
    /// <param name="read">What to run.</param>
    public async Task<T> OnLoopAsync<T>(Func<T> read)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Loop.Post(() =>
        {
            try
            {
                done.SetResult(read());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        });
        try
        {
            return await done.Task.WaitAsync(Raw.Wait);
        }
        catch (TimeoutException)
        {
            Assert.Fail("the loop did not run a posted action within the timeout");
            throw;
        }
    }

    /// <summary>The next message the dealer handed on; fails the test after <paramref name="timeout"/>.</summary>
    /// <param name="timeout">How long to wait (default <see cref="Raw.Wait"/>).</param>
    public async Task<List<byte[]>> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Raw.Wait);
        try
        {
            return await _messages.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail("no message reached onMessage within the timeout");
            throw;
        }
    }

    /// <summary>True if a message is waiting (without waiting for one).</summary>
    public bool HasMessage => _messages.Reader.TryPeek(out _);

    /// <summary>Why the connection ended; fails the test if <c>onClosed</c> does not run within <paramref name="timeout"/>.</summary>
    /// <param name="timeout">How long to wait (default <see cref="Raw.Wait"/>).</param>
    public async Task<string> WaitClosedAsync(TimeSpan? timeout = null)
    {
        try
        {
            return await _closed.Task.WaitAsync(timeout ?? Raw.Wait);
        }
        catch (TimeoutException)
        {
            Assert.Fail("onClosed did not run within the timeout");
            throw;
        }
    }

    /// <summary>Stops the loop, then closes the connection quietly (as the worker's transport does).</summary>
    public void Dispose()
    {
        Loop.Dispose();
        _dealer?.Close(quiet: true);
    }

    /// <summary>When set and true for a message, <c>onMessage</c> throws instead of handing it on (a failing owner).</summary>
    public Func<List<byte[]>, bool>? ThrowWhen { get; set; }

    private void OnMessage(List<byte[]> frames)
    {
        CountThread();
        if (ThrowWhen?.Invoke(frames) == true)
        {
            throw new InvalidOperationException("onMessage failed");
        }

        _ = _messages.Writer.TryWrite([.. frames]);
    }

    private void OnClosed(string why)
    {
        CountThread();
        Interlocked.Increment(ref _closedCount);
        _closed.TrySetResult(why);
    }

    private void CountThread()
    {
        if (!Loop.IsLoopThread)
        {
            Interlocked.Increment(ref _callbacksOffLoop);
        }
    }
}

/// <summary>
/// The ROUTER end written on a plain TCP listener: it accepts one connection, sends exactly the bytes a test gives it
/// and parses what the dealer sends (ZeroMQ RFC 23/37, through <see cref="RawZmtp"/>, not the transport's own codec).
/// </summary>
internal sealed class RawRouterPeer : IDisposable
{
    private readonly TcpListener _listener;
    private Socket? _socket;
    private NetworkStream? _stream;

    private RawRouterPeer(TcpListener listener) => _listener = listener;

    /// <summary>tcp://127.0.0.1:port where the peer listens.</summary>
    public string Endpoint => $"tcp://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Listens on a free loopback port.</summary>
    public static RawRouterPeer Listen()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return new RawRouterPeer(listener);
    }

    /// <summary>Accepts the dealer's connection (sends nothing).</summary>
    public async Task AcceptAsync()
    {
        using var cts = new CancellationTokenSource(Raw.Wait);
        _socket = await _listener.AcceptSocketAsync(cts.Token);
        _socket.NoDelay = true;
        _stream = new NetworkStream(_socket, ownsSocket: false);
    }

    /// <summary>Accepts, sends a ROUTER's greeting and READY (or a READY of <paramref name="socketType"/>), and checks the dealer's.</summary>
    /// <param name="socketType">The Socket-Type this peer announces.</param>
    public async Task HandshakeAsync(string socketType = "ROUTER")
    {
        await AcceptAsync();
        await SendAsync([.. RawZmtp.Greeting(), .. RawZmtp.Ready(socketType)]);
        await ExpectDealerHelloAsync();
    }

    /// <summary>Reads the dealer's 64-byte greeting and READY, asserting ZMTP 3.x, NULL, Socket-Type DEALER.</summary>
    public async Task ExpectDealerHelloAsync()
    {
        var greeting = await ReadExactAsync(64);
        Assert.Multiple(() =>
        {
            Assert.That(greeting[0], Is.EqualTo(0xFF), "signature start");
            Assert.That(greeting[9] & 0x01, Is.EqualTo(1), "signature end");
            Assert.That(greeting[10], Is.EqualTo(3), "major version");
            Assert.That(Encoding.ASCII.GetString(greeting, 12, 20).TrimEnd('\0'), Is.EqualTo("NULL"), "mechanism");
            Assert.That(greeting[32], Is.Zero, "a DEALER connecting is not as-server");
        });
        var ready = await ReceiveAsync();
        Assert.That(ready.IsCommand, Is.True, "READY is a command");
        Assert.That(ready.CommandName, Is.EqualTo("READY"));
        var socketType = RawZmtp.Properties(("Socket-Type", "DEALER"u8.ToArray()));
        Assert.That(ready.CommandData.AsSpan().IndexOf(socketType), Is.GreaterThanOrEqualTo(0), "a Socket-Type DEALER property");
    }

    public async Task SendAsync(byte[] bytes)
    {
        using var cts = new CancellationTokenSource(Raw.Wait);
        await Stream.WriteAsync(bytes, cts.Token);
    }

    /// <summary>The next command or message from the dealer.</summary>
    public async Task<ZmtpUnit> ReceiveAsync()
    {
        var frames = new List<byte[]>();
        while (true)
        {
            var flags = (await ReadExactAsync(1))[0];
            var size = (flags & RawZmtp.Long) != 0
                ? checked((int)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(await ReadExactAsync(8)))
                : (await ReadExactAsync(1))[0];
            frames.Add(await ReadExactAsync(size));
            if ((flags & RawZmtp.CommandFlag) != 0)
            {
                Assert.That(frames, Has.Count.EqualTo(1), "a command inside a multipart message");
                return new ZmtpUnit(true, frames);
            }

            if ((flags & RawZmtp.More) == 0)
            {
                return new ZmtpUnit(false, frames);
            }
        }
    }

    /// <summary>Reads and drops everything until the dealer closes; true if it did within the timeout.</summary>
    public async Task<bool> WaitClosedAsync()
    {
        using var cts = new CancellationTokenSource(Raw.Wait);
        var buffer = new byte[4096];
        try
        {
            while (await Stream.ReadAsync(buffer, cts.Token) > 0)
            {
            }

            return true;
        }
        catch (IOException ex) when (ex.InnerException is SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Closes the accepted connection (a FIN to the dealer); the listener stays.</summary>
    public void CloseConnection()
    {
        _stream?.Dispose();
        _socket?.Dispose();
    }

    public void Dispose()
    {
        CloseConnection();
        _listener.Stop();
        _listener.Dispose();
    }

    private NetworkStream Stream => _stream ?? throw new InvalidOperationException("no connection accepted");

    private async Task<byte[]> ReadExactAsync(int n)
    {
        var bytes = new byte[n];
        using var cts = new CancellationTokenSource(Raw.Wait);
        try
        {
            await Stream.ReadExactlyAsync(bytes, cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"no {n} bytes from the dealer within the timeout");
        }
        catch (EndOfStreamException)
        {
            Assert.Fail($"the dealer closed the connection (wanted {n} bytes)");
        }

        return bytes;
    }
}

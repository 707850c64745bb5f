using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace ZmqGame.Broker.Cluster;

/// <summary>
/// The broker's one connection to NATS (nats-server with JetStream): it reconnects forever, keeps the interest
/// subscriptions, publishes what the broker loop hands it, puts single-login records, and heartbeats the broker's
/// presence. The loop never waits on it: <see cref="Publish"/> and <see cref="Interest"/> only queue (a full publish
/// queue, or NATS down, drops and counts), and what NATS delivers is posted onto the loop through <see cref="IClusterInbox"/>.
/// </summary>
internal sealed class ClusterLink : IAsyncDisposable
{
    private const string SessionKeyName = "session-key";
    private static readonly TimeSpan PresenceInterval = TimeSpan.FromSeconds(1);

    private readonly ClusterOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly NatsConnection _nats;
    private readonly Channel<Outgoing> _publish;
    private readonly Channel<Change> _changes = Channel.CreateUnbounded<Change>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, InterestSubscription> _interests = new(StringComparer.Ordinal);
    private readonly HashSet<string> _retry = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _peers = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];
    private readonly List<InterestSubscription> _fixed = [];
    private IClusterInbox? _inbox;
    private Action<Action>? _post;
    private NatsKVContext? _kv;
    private INatsKVStore? _logins;
    private byte[] _sessionKey = [];
    private long _published;
    private long _received;
    private long _dropped;
    private long _failures;
    private int _confirmedInterests;
    private int _started;

    public ClusterLink(ClusterOptions options, ILoggerFactory loggerFactory, TimeProvider? time = null)
    {
        options.Validate();
        _options = options;
        _time = time ?? TimeProvider.System;
        _logger = loggerFactory.CreateLogger("ZmqGame.Broker.Cluster");
        BrokerId = $"{Sanitize(Environment.MachineName)}-{Environment.ProcessId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
        Subjects = new ClusterSubjects(options.Name, BrokerId);
        _publish = Channel.CreateBounded<Outgoing>(new BoundedChannelOptions(options.PublishQueueLimit)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _nats = new NatsConnection(NatsOpts.Default with
        {
            Url = options.Nats,
            Name = "zmqgame-broker " + BrokerId,
            MaxReconnectRetry = -1,
            ReconnectWaitMin = TimeSpan.FromMilliseconds(100),
            ReconnectWaitMax = TimeSpan.FromSeconds(2),
            RetryOnInitialConnect = true,
        });
    }

    /// <summary>This broker's id in the cluster (host, process, random): the sender of what it publishes.</summary>
    public string BrokerId { get; }

    public ClusterOptions Options => _options;

    public ClusterSubjects Subjects { get; }

    public bool Connected => _nats.ConnectionState == NatsConnectionState.Open;

    /// <summary>Messages handed to NATS.</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>Messages NATS delivered to this broker (presence heartbeats not counted; its own on <c>all</c> come back too).</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Messages not published: the queue was full or NATS was down.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Interest subscriptions (users and groups) the NATS server has confirmed (a ping answered after them).</summary>
    public int ConfirmedInterests => Volatile.Read(ref _confirmedInterests);

    /// <summary>The other brokers heard from within three presence intervals.</summary>
    public int LivePeers
    {
        get
        {
            var oldest = _time.GetTimestamp() - (long)(3 * PresenceInterval.TotalSeconds * _time.TimestampFrequency);
            var live = 0;
            foreach (var (_, seen) in _peers)
            {
                if (seen >= oldest)
                {
                    live++;
                }
            }

            return live;
        }
    }

    /// <summary>
    /// Connects (waiting up to <see cref="ClusterOptions.StartTimeout"/>), opens the buckets and returns the cluster's
    /// session key: <paramref name="fileKey"/> when given (it must equal the one the cluster holds, if any), else the
    /// cluster's, created by the first broker.
    /// </summary>
    public async Task<byte[]> JoinAsync(byte[]? fileKey, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.StartTimeout);
        try
        {
            await _nats.ConnectAsync().AsTask().WaitAsync(timeout.Token).ConfigureAwait(false);
            while (_nats.ConnectionState != NatsConnectionState.Open)
            {
                await Task.Delay(50, timeout.Token).ConfigureAwait(false);
            }

            _kv = new NatsKVContext(new NatsJSContext(_nats));
            var key = fileKey ?? RandomNumberGenerator.GetBytes(32);
            var (keys, created) = await EnsureStoresAsync(key, timeout.Token).ConfigureAwait(false);
            if (created)
            {
                ClusterLog.SessionKey(_logger, fileKey is null ? "created for the cluster" : "from the key file, now the cluster's");
                _sessionKey = key;
                return key;
            }

            var entry = await keys.GetEntryAsync<byte[]>(SessionKeyName, cancellationToken: timeout.Token).ConfigureAwait(false);
            var held = entry.Value ?? [];
            if (fileKey is not null && !CryptographicOperations.FixedTimeEquals(held, fileKey))
            {
                throw new ArgumentException($"invalid broker options: the session key file differs from the key cluster '{_options.Name}' holds; every broker of a cluster needs the same key (or no key file)");
            }

            ClusterLog.SessionKey(_logger, fileKey is null ? "the cluster's" : "from the key file, equal to the cluster's");
            _sessionKey = held;
            return held;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new BrokerBindException($"cannot join cluster '{_options.Name}': NATS at {_options.Nats} did not answer within {_options.StartTimeout.TotalSeconds:0.#}s (with JetStream on)");
        }
        catch (NatsException ex)
        {
            throw new BrokerBindException($"cannot join cluster '{_options.Name}' through NATS at {_options.Nats}: {ex.Message}");
        }
    }

    /// <summary>
    /// Creates the buckets if they are missing (a first start, or a NATS that lost its store) and the session key if the
    /// cluster has none (then <paramref name="key"/> becomes it: true).
    /// </summary>
    private async Task<(INatsKVStore Keys, bool Created)> EnsureStoresAsync(byte[] key, CancellationToken cancellationToken)
    {
        var keys = await _kv!.CreateOrUpdateStoreAsync(new NatsKVConfig(Subjects.KeysBucket), cancellationToken).ConfigureAwait(false);
        _logins = await _kv.CreateOrUpdateStoreAsync(new NatsKVConfig(Subjects.LoginsBucket) { MaxAge = TimeSpan.FromDays(1) }, cancellationToken).ConfigureAwait(false);
        var created = await keys.TryCreateAsync(SessionKeyName, key, cancellationToken: cancellationToken).ConfigureAwait(false);
        return (keys, created.Success);
    }

    /// <summary>Starts delivering to <paramref name="inbox"/> (each call through <paramref name="post"/>, onto the broker loop) and publishing.</summary>
    public async Task StartAsync(IClusterInbox inbox, Action<Action> post)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("the cluster link is already started");
        }

        _inbox = inbox;
        _post = post;
        foreach (var subject in new[] { Subjects.All, Subjects.Stats, Subjects.Replies })
        {
            var sub = new InterestSubscription(_nats, subject, Deliver);
            await _nats.AddSubAsync(sub).ConfigureAwait(false);
            _fixed.Add(sub);
        }

        var presence = new InterestSubscription(_nats, Subjects.Presence, (_, _, body) => HeardPeer(body));
        await _nats.AddSubAsync(presence).ConfigureAwait(false);
        _fixed.Add(presence);
        _nats.ConnectionDisconnected += OnDisconnected;
        _nats.ConnectionOpened += OnReconnected;
        _pumps.Add(Task.Run(PublishPumpAsync));
        _pumps.Add(Task.Run(ChangePumpAsync));
        _pumps.Add(Task.Run(PresenceAsync));
        ClusterLog.Joined(_logger, BrokerId, _options.Name, _options.Nats);
    }

    /// <summary>Queues a message for NATS (loop thread; never waits). False when it was dropped (and counted).</summary>
    public bool Publish(string subject, byte[] body, string? replyTo = null)
    {
        if (!Connected || !_publish.Writer.TryWrite(new Outgoing(subject, body, replyTo)))
        {
            Interlocked.Increment(ref _dropped);
            return false;
        }

        return true;
    }

    /// <summary>Subscribes to (or leaves) <paramref name="subject"/>; kept across NATS restarts (loop thread; never waits).</summary>
    public void Interest(string subject, bool on) => _changes.Writer.TryWrite(new Change(subject, on, null, 0));

    /// <summary>Puts <paramref name="user"/>'s single-login record; its revision goes to <see cref="IClusterInbox.LoginStored"/>.</summary>
    public void PutLogin(string user, ulong session) => _changes.Writer.TryWrite(new Change(null, false, user, session));

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        _nats.ConnectionDisconnected -= OnDisconnected;
        _nats.ConnectionOpened -= OnReconnected;
        await _stop.CancelAsync().ConfigureAwait(false);
        _publish.Writer.TryComplete();
        _changes.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_pumps).WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            // A pump blocked on a dead NATS: the connection's disposal ends it.
        }

        await _nats.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
        ClusterTrace.Write();
    }

    private static string Sanitize(string name)
    {
        var chars = name.Where(c => char.IsAsciiLetterOrDigit(c) || c == '-').Take(32).ToArray();
        return chars.Length == 0 ? "broker" : new string(chars);
    }

    private void Deliver(string subject, string? replyTo, byte[] body)
    {
        if (ClusterTrace.On)
        {
            var at = System.Diagnostics.Stopwatch.GetTimestamp();
            ClusterTrace.Step(ClusterTrace.IdOf(body), ClusterTrace.Delivered, at);
        }

        Interlocked.Increment(ref _received);
        var inbox = _inbox!;
        _post!(() => inbox.Receive(subject, replyTo, body));
    }

    private void HeardPeer(byte[] body)
    {
        var id = System.Text.Encoding.UTF8.GetString(body);
        if (id != BrokerId)
        {
            _peers[id] = _time.GetTimestamp();
        }
    }

    private ValueTask OnDisconnected(object? sender, NatsEventArgs args)
    {
        ClusterLog.Disconnected(_logger, args.Message);
        return ValueTask.CompletedTask;
    }

    private ValueTask OnReconnected(object? sender, NatsEventArgs args)
    {
        // Before the records the loop puts again: the buckets and key, should this NATS have lost its store.
        _changes.Writer.TryWrite(new Change(null, false, null, 0));
        var inbox = _inbox!;
        _post!(inbox.Reconnected);
        return ValueTask.CompletedTask;
    }

    private async Task PublishPumpAsync()
    {
        await foreach (var message in _publish.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            var dequeued = ClusterTrace.On ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
            if (!Connected)
            {
                Interlocked.Increment(ref _dropped);
                continue;
            }

            try
            {
                await _nats.PublishAsync(message.Subject, message.Body, replyTo: message.ReplyTo, cancellationToken: _stop.Token).ConfigureAwait(false);
                Interlocked.Increment(ref _published);
                if (ClusterTrace.On)
                {
                    var published = System.Diagnostics.Stopwatch.GetTimestamp();
                    var id = ClusterTrace.IdOf(message.Body);
                    ClusterTrace.Step(id, ClusterTrace.Dequeued, dequeued);
                    ClusterTrace.Step(id, ClusterTrace.Published, published);
                }
            }
            catch (Exception ex) when (ex is NatsException or OperationCanceledException or ObjectDisposedException)
            {
                Interlocked.Increment(ref _dropped);
                Failed("publish", ex);
            }
        }
    }

    private async Task ChangePumpAsync()
    {
        await foreach (var change in _changes.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                if (change.User is { } user)
                {
                    await PutLoginAsync(user, change.Session).ConfigureAwait(false);
                }
                else if (change.Subject is null)
                {
                    await RestoreStoresAsync().ConfigureAwait(false);
                    foreach (var subject in _retry.ToList())
                    {
                        await SubscribeAsync(subject).ConfigureAwait(false);
                    }
                }
                else if (change.On)
                {
                    await SubscribeAsync(change.Subject).ConfigureAwait(false);
                }
                else
                {
                    _retry.Remove(change.Subject);
                    if (_interests.Remove(change.Subject, out var sub))
                    {
                        await sub.DisposeAsync().ConfigureAwait(false);
                    }
                }

                if (change.User is null && change.Subject is not null && !_changes.Reader.TryPeek(out _) && Connected)
                {
                    // The server handles a connection's commands in order: once it answers a ping, it has the SUBs.
                    await _nats.PingAsync(_stop.Token).ConfigureAwait(false);
                    Volatile.Write(ref _confirmedInterests, _interests.Count);
                }
            }
            catch (Exception ex) when (ex is NatsException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                Failed(change.User is null ? "subscription change" : "single-login record", ex);
            }
        }
    }

    /// <summary>Subscribes to an interest; one that fails (NATS went away meanwhile) is tried again when NATS is back.</summary>
    private async Task SubscribeAsync(string subject)
    {
        if (_interests.ContainsKey(subject))
        {
            return;
        }

        var sub = new InterestSubscription(_nats, subject, Deliver);
        try
        {
            await _nats.AddSubAsync(sub, _stop.Token).ConfigureAwait(false);
            _interests[subject] = sub;
            _retry.Remove(subject);
        }
        catch (Exception ex) when (ex is NatsException or InvalidOperationException || (ex is OperationCanceledException && !_stop.IsCancellationRequested))
        {
            _retry.Add(subject);
            await sub.DisposeAsync().ConfigureAwait(false);
            Failed("subscription to " + subject, ex);
        }
    }

    private async Task RestoreStoresAsync()
    {
        for (var attempt = 1; Connected; attempt++)
        {
            try
            {
                await EnsureStoresAsync(_sessionKey, _stop.Token).ConfigureAwait(false);
                return;
            }
            catch (NatsException) when (attempt < 10)
            {
                // JetStream is still recovering its streams after a NATS restart.
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), _time, _stop.Token).ConfigureAwait(false);
            }
        }
    }

    private async Task PutLoginAsync(string user, ulong session)
    {
        if (_logins is null || !Connected)
        {
            // Put again when NATS is back (IClusterInbox.Reconnected).
            return;
        }

        var record = new ClusterMessage { Kind = ClusterMessage.LoginKind, From = BrokerId, User = user, Session = session }.Serialize();
        ulong revision;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                revision = await _logins.PutAsync(ClusterSubjects.LoginKey(user), record, cancellationToken: _stop.Token).ConfigureAwait(false);
                break;
            }
            catch (NatsException) when (attempt < 10 && Connected)
            {
                // JetStream is still recovering its streams after a NATS restart.
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), _time, _stop.Token).ConfigureAwait(false);
            }
        }

        var inbox = _inbox!;
        _post!(() => inbox.LoginStored(user, session, revision));
    }

    private async Task PresenceAsync()
    {
        var id = System.Text.Encoding.UTF8.GetBytes(BrokerId);
        using var timer = new PeriodicTimer(PresenceInterval, _time);
        try
        {
            do
            {
                if (Connected)
                {
                    try
                    {
                        await _nats.PublishAsync(Subjects.Presence, id, cancellationToken: _stop.Token).ConfigureAwait(false);
                    }
                    catch (NatsException ex)
                    {
                        Failed("presence heartbeat", ex);
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private void Failed(string what, Exception ex)
    {
        var count = Interlocked.Increment(ref _failures);
        if (count == 1 || count % 1000 == 0)
        {
            ClusterLog.Failed(_logger, what, ex.Message, count);
        }
    }

    private readonly record struct Outgoing(string Subject, byte[] Body, string? ReplyTo);

    /// <summary>A subscription change (<see cref="Subject"/>), a record to put (<see cref="User"/>), or neither: restore the stores.</summary>
    private readonly record struct Change(string? Subject, bool On, string? User, ulong Session);
}

/// <summary>What NATS delivers to the broker, called on the broker's loop thread.</summary>
internal interface IClusterInbox
{
    /// <summary>A message on an interest subject, <c>all</c>, <c>stats</c> or this broker's reply subject.</summary>
    void Receive(string subject, string? replyTo, byte[] body);

    /// <summary>The link to NATS is back after a loss: put the single-login records again.</summary>
    void Reconnected();

    /// <summary>A single-login record this broker put is stored at <paramref name="revision"/>.</summary>
    void LoginStored(string user, ulong session, ulong revision);
}

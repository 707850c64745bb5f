using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using ZmqGame.Transport;

namespace ZmqGame.Broker.Limits;

/// <summary>
/// The per-IP connection limits of the frontend (<see cref="LimitsOptions.ConnectionsPerSecondPerIp"/>,
/// <see cref="LimitsOptions.MaxConnectionsPerIp"/>), as the own transport's accept filter: a connection over either is
/// closed at accept, before any byte of ZMTP, and counted and logged (rate-limited). Per address it keeps the open
/// connections and a token bucket of a second's worth of connections; an address with none open and a full bucket is
/// forgotten. NetMQ does not tell the broker a peer's address, so on a NetMQ frontend the limits cannot apply: the
/// broker says so once at start. Loop thread only.
/// </summary>
internal sealed class ConnectionLimiter : IAcceptFilter
{
    private const int SweepFloor = 1024;

    private readonly LimitsOptions _options;
    private readonly RateLimit _rate;
    private readonly BrokerStats _stats;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly LogThrottle _capLog;
    private readonly LogThrottle _rateLog;
    private readonly Dictionary<UInt128, Address> _addresses = [];
    private int _sweepAt = SweepFloor;

    public ConnectionLimiter(LimitsOptions options, BrokerStats stats, ILogger logger, TimeProvider time, TimeSpan logInterval)
    {
        _options = options;
        _rate = new RateLimit(options.ConnectionsPerSecondPerIp, options.ConnectionsPerSecondPerIp, time.TimestampFrequency);
        _stats = stats;
        _logger = logger;
        _time = time;
        _capLog = new LogThrottle(time, logInterval);
        _rateLog = new LogThrottle(time, logInterval);
    }

    /// <summary>Addresses tracked now (with connections open, or a bucket not yet full).</summary>
    public int Addresses => _addresses.Count;

    /// <summary>
    /// Puts the limits on the frontend's router when they are set: as its accept filter on the own transport; on a NetMQ
    /// router, which cannot apply them, logs one warning. Logs the abuse limits in force once, at start.
    /// </summary>
    public void Attach(IRouter frontend)
    {
        if (_options.LimitsConnections || _options.SessionRequestsPerSecond > 0)
        {
            LimitsLog.Limits(_logger, _options.SessionRequestsPerSecond, _options.SessionRequestsPerSecond > 0 ? _options.EffectiveBurst : 0,
                _options.ConnectionsPerSecondPerIp, _options.MaxConnectionsPerIp);
        }

        if (!_options.LimitsConnections)
        {
            return;
        }

        if (frontend is ZmtpRouter own)
        {
            own.AcceptFilter = this;
            return;
        }

        LimitsLog.ConnectionLimitsNotEnforced(_logger, frontend.Endpoint);
    }

    public bool TryAccept(UInt128 address)
    {
        var now = _time.GetTimestamp();
        ref var state = ref CollectionsMarshal.GetValueRefOrAddDefault(_addresses, address, out var existed);
        bool accepted;
        if (_options.MaxConnectionsPerIp > 0 && state.Open >= _options.MaxConnectionsPerIp)
        {
            accepted = false;
            var count = ++_stats.ConnectionsRefusedIpCap;
            if (_capLog.ShouldLog(now, out var suppressed))
            {
                LimitsLog.ConnectionRefused(_logger, Show(address), $"it has {state.Open} open, the most one IP may have (MaxConnectionsPerIp)", count, suppressed);
            }
        }
        else if (!_rate.TryTake(ref state.Bucket, now))
        {
            accepted = false;
            var count = ++_stats.ConnectionsRefusedIpRate;
            if (_rateLog.ShouldLog(now, out var suppressed))
            {
                LimitsLog.ConnectionRefused(_logger, Show(address), $"more than {_rate.PerSecond} new connections/s from one IP (ConnectionsPerSecondPerIp)", count, suppressed);
            }
        }
        else
        {
            accepted = true;
            state.Open++;
        }

        // The reference into the map is not used past this point: a sweep may move entries.
        if (!existed && _addresses.Count >= _sweepAt)
        {
            Sweep(now);
        }

        return accepted;
    }

    public void Closed(UInt128 address)
    {
        ref var state = ref CollectionsMarshal.GetValueRefOrNullRef(_addresses, address);
        if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref state))
        {
            return;
        }

        state.Open--;
        if (state.Open <= 0 && RateLimit.IsFull(state.Bucket, _time.GetTimestamp()))
        {
            _addresses.Remove(address);
        }
    }

    /// <summary>An address as text: IPv4 for an IPv4-mapped address.</summary>
    public static string Show(UInt128 address)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, address);
        var ip = new IPAddress(bytes);
        return ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4().ToString() : ip.ToString();
    }

    private void Sweep(long now)
    {
        foreach (var (address, state) in _addresses)
        {
            if (state.Open <= 0 && RateLimit.IsFull(state.Bucket, now))
            {
                _addresses.Remove(address);
            }
        }

        _sweepAt = Math.Max(SweepFloor, _addresses.Count * 2);
    }

    /// <summary>What is kept per IP address.</summary>
    private struct Address
    {
        public int Open;
        public TokenBucket Bucket;
    }
}

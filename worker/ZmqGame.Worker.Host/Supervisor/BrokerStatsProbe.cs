using MessagePack;
using NetMQ;
using NetMQ.Sockets;
using ZmqGame.Protocol;

namespace ZmqGame.Worker.Host.Supervisor;

/// <summary>Asks the broker how many workers it has registered so far (its <c>workers_registered</c> counter).</summary>
internal interface IBrokerProbe
{
    /// <summary>The broker's description, for log lines.</summary>
    string Endpoint { get; }

    /// <summary>The counter, or null when the broker did not answer in time.</summary>
    Task<long?> WorkersRegisteredAsync(CancellationToken cancellationToken);
}

/// <summary>
/// <see cref="IBrokerProbe"/> over the broker's control endpoint: <c>[""]["ZGT01"]["stats"]</c>, answered with a
/// MessagePack map whose <c>counters</c> map holds <c>workers_registered</c> (docs/protocol.md). One short-lived
/// DEALER socket per question, so no socket is shared between threads.
/// </summary>
internal sealed class BrokerStatsProbe(string endpoint, TimeSpan timeout) : IBrokerProbe
{
    private static readonly MessagePackSerializerOptions Options =
        MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    public string Endpoint => endpoint;

    public Task<long?> WorkersRegisteredAsync(CancellationToken cancellationToken) =>
        Task.Run(() => Ask(cancellationToken), cancellationToken);

    private long? Ask(CancellationToken cancellationToken)
    {
        using var socket = new DealerSocket();
        socket.Options.Linger = TimeSpan.Zero;
        socket.Connect(endpoint);
        if (!socket.TrySendMultipartBytes(timeout, [], Control.Header.ToArray(), "stats"u8.ToArray()))
        {
            return null;
        }

        var frames = new List<byte[]>();
        var deadline = DateTime.UtcNow + timeout;
        while (!cancellationToken.IsCancellationRequested)
        {
            // Whole milliseconds, at most 100 at a time (to notice cancellation): NetMQ spins on a timeout below 1 ms.
            var left = Math.Ceiling((deadline - DateTime.UtcNow).TotalMilliseconds);
            if (left <= 0)
            {
                return null;
            }

            if (!socket.TryReceiveMultipartBytes(TimeSpan.FromMilliseconds(Math.Min(left, 100)), ref frames))
            {
                continue;
            }

            if (Control.IsAnswer(frames))
            {
                return Parse(frames[3]);
            }
        }

        return null;
    }

    internal static long? Parse(byte[] result)
    {
        try
        {
            var map = MessagePackSerializer.Deserialize<Dictionary<string, object?>>(result, Options);
            if (map.TryGetValue("counters", out var counters) && counters is IDictionary<object, object?> values &&
                values.TryGetValue("workers_registered", out var registered) && registered is not null)
            {
                return Convert.ToInt64(registered, System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        catch (MessagePackSerializationException)
        {
            // Not a stats map: treated as no answer.
        }

        return null;
    }
}

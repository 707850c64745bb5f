using System.Diagnostics;
using ZmqGame.Protocol;
using ZmqGame.Trigger;

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
/// <see cref="IBrokerProbe"/> over the broker's control endpoint: <c>stats</c> through the trigger library's
/// <see cref="ControlConnection"/> (docs/protocol.md), whose <c>counters</c> map holds <c>workers_registered</c>.
/// One short-lived connection per question.
/// </summary>
internal sealed class BrokerStatsProbe(string endpoint, TimeSpan timeout, CurveKeys? curve = null) : IBrokerProbe
{
    public string Endpoint => endpoint;

    public async Task<long?> WorkersRegisteredAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var connection = new ControlConnection(endpoint, curve);
        await using (connection.ConfigureAwait(false))
        {
            try
            {
                var result = await connection.AskAsync(Control.Stats, [], timeout, cancellationToken).ConfigureAwait(false);
                if (Parse(result) is { } registered)
                {
                    return registered;
                }
            }
            catch (TriggerException ex) when (ex.Failure == TriggerFailure.NoAnswer)
            {
                return null;
            }
            catch (TriggerException)
            {
                // Refused or unreadable: no answer either.
            }
        }

        // An answer that is not a stats map came at once: report it after the same wait as a timeout, so a caller that
        // asks again until its deadline does not spin.
        var left = timeout - clock.Elapsed;
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left, cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    internal static long? Parse(byte[] result)
    {
        try
        {
            return BrokerStats.Parse(result).Counters.TryGetValue("workers_registered", out var registered) ? registered : null;
        }
        catch (TriggerException)
        {
            return null; // not a stats map
        }
    }
}

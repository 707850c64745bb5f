using System.Diagnostics;
using System.Globalization;
using HdrHistogram;
using ZmqGame.Client;
using ZmqGame.Protocol;

namespace ZmqGame.Bench.Flood;

/// <summary>
/// `ZmqGame.Bench flood`: what one client flooding the broker as fast as it can does to well-behaved clients when the
/// broker's request rate limit is on. Well-behaved clients (each one request in flight, paced to a rate under the
/// limit) run throughout; quiet and flood phases alternate in the same run, and the flood phases add one client that
/// keeps many requests in flight. Prints the well-behaved clients' p50/p99 in each kind of phase and their ratio, and
/// every request by outcome (ok, error status, unanswered). No pass/fail inside: the script and the reader compare.
/// </summary>
internal static class FloodBench
{
    private const string Usage = "usage: ZmqGame.Bench flood --broker EP [-c 32] [--rate 50] [-t 5] [-w 2] [--rounds 2] [--flood-depth 64] [--service game] [--cmd 5] [--size 64]";

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, CancellationToken cancellationToken)
    {
        var o = Parse(args);
        var payload = MessagePack.MessagePackSerializer.Serialize(new byte[o.Size], cancellationToken: CancellationToken.None);
        var quiet = new Tally();
        var flood = new Tally();
        var flooder = new Tally();
        Tally? current = null;

        var clients = new List<ZmqGameClient>();
        try
        {
            for (var i = 0; i < o.Clients + 1; i++)
            {
                clients.Add(await ZmqGameClient.ConnectAsync(o.Broker, new ZmqGameClientOptions { RequestTimeout = TimeSpan.FromSeconds(5) }, cancellationToken).ConfigureAwait(false));
            }

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var interval = TimeSpan.FromSeconds(1.0 / o.Rate);
            var politeTasks = clients.Take(o.Clients)
                .Select((c, i) => Task.Run(() => PoliteAsync(c, o, payload, interval, i, () => Volatile.Read(ref current), stop.Token), CancellationToken.None))
                .ToList();

            await Task.Delay(TimeSpan.FromSeconds(o.WarmSeconds), cancellationToken).ConfigureAwait(false);
            for (var round = 0; round < o.Rounds; round++)
            {
                Volatile.Write(ref current, quiet);
                await Task.Delay(TimeSpan.FromSeconds(o.Seconds), cancellationToken).ConfigureAwait(false);

                // The flooder starts, and gets a second to hit its limit before the flood phase is measured.
                Volatile.Write(ref current, null);
                using var flooding = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var floodTasks = Enumerable.Range(0, o.FloodDepth)
                    .Select(_ => Task.Run(() => FloodAsync(clients[^1], o, payload, flooder, flooding.Token), CancellationToken.None))
                    .ToList();
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref current, flood);
                await Task.Delay(TimeSpan.FromSeconds(o.Seconds), cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref current, null);
                await flooding.CancelAsync().ConfigureAwait(false);
                await Task.WhenAll(floodTasks).ConfigureAwait(false);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            }

            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(politeTasks).ConfigureAwait(false);
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }
        }

        var seconds = o.Seconds * o.Rounds;
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{o.Clients} well-behaved clients, each 1 request in flight paced to {o.Rate}/s; flooder: 1 client, {o.FloodDepth} in flight; {o.Rounds} x ({o.Seconds} s quiet + {o.Seconds} s flood)"));
        stdout.WriteLine("| well-behaved clients | requests | ok | errors (status) | unanswered | p50 µs | p99 µs | p999 µs |");
        stdout.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        stdout.WriteLine(quiet.Row("without the flooder"));
        stdout.WriteLine(flood.Row("with the flooder"));
        var p50 = Ratio(flood.Percentile(50), quiet.Percentile(50));
        var p99 = Ratio(flood.Percentile(99), quiet.Percentile(99));
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio with/without the flooder: p50 {p50:0.00}x, p99 {p99:0.00}x (target p99 <= 1.5x): {(p99 <= 1.5 ? "met" : "MISSED")}"));
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"flooder: {flooder.Requests} requests ({flooder.Requests / (double)(seconds + o.Rounds):0} /s), {flooder.Ok} served, {flooder.ErrorsText()}, {flooder.Unanswered} unanswered"));
        return 0;
    }

    private static async Task PoliteAsync(ZmqGameClient client, Options o, byte[] payload, TimeSpan interval, int index, Func<Tally?> phase, CancellationToken cancellationToken)
    {
        // Spread the clients' send times over one interval.
        var next = Stopwatch.GetTimestamp() + (long)(interval.TotalSeconds * Stopwatch.Frequency * index / o.Clients);
        var step = (long)(interval.TotalSeconds * Stopwatch.Frequency);
        while (!cancellationToken.IsCancellationRequested)
        {
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            next = Math.Max(next + step, Stopwatch.GetTimestamp());
            var tally = phase();
            var started = Stopwatch.GetTimestamp();
            var outcome = await CallAsync(client, o, payload).ConfigureAwait(false);
            tally?.Add(outcome, Stopwatch.GetElapsedTime(started));
        }
    }

    private static async Task FloodAsync(ZmqGameClient client, Options o, byte[] payload, Tally tally, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var outcome = await CallAsync(client, o, payload).ConfigureAwait(false);
            tally.Add(outcome, TimeSpan.Zero);
        }
    }

    /// <summary>One request: null when ok, else its status (<see cref="Status.Timeout"/> for one never answered).</summary>
    private static async Task<Status?> CallAsync(ZmqGameClient client, Options o, byte[] payload)
    {
        try
        {
            await client.RequestRawAsync(o.Service, o.Command, payload).ConfigureAwait(false);
            return null;
        }
        catch (ZmqGameRequestException ex)
        {
            return ex.Status;
        }
    }

    private static double Ratio(long a, long b) => b == 0 ? double.NaN : a / (double)b;

    private static Options Parse(string[] args)
    {
        var o = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"{name} needs a value ({Usage})");
            }

            var value = args[++i];
            int Number() => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0
                ? n : throw new ArgumentException($"{name}: '{value}' is not a positive whole number");
            switch (name)
            {
                case "--broker": o.Broker = value; break;
                case "-c" or "--clients": o.Clients = Number(); break;
                case "--rate": o.Rate = Number(); break;
                case "-t" or "--seconds": o.Seconds = Number(); break;
                case "-w" or "--warmup": o.WarmSeconds = Number(); break;
                case "--rounds": o.Rounds = Number(); break;
                case "--flood-depth": o.FloodDepth = Number(); break;
                case "--service": o.Service = value; break;
                case "--cmd": o.Command = Number(); break;
                case "--size": o.Size = Number(); break;
                default: throw new ArgumentException($"unknown option {name} ({Usage})");
            }
        }

        return o.Broker.Length == 0 ? throw new ArgumentException("--broker is required (" + Usage + ")") : o;
    }

    private sealed class Options
    {
        public string Broker { get; set; } = string.Empty;
        public int Clients { get; set; } = 32;
        public int Rate { get; set; } = 50;
        public int Seconds { get; set; } = 5;
        public int WarmSeconds { get; set; } = 2;
        public int Rounds { get; set; } = 2;
        public int FloodDepth { get; set; } = 64;
        public string Service { get; set; } = "game";
        public int Command { get; set; } = 5;
        public int Size { get; set; } = 64;
    }

    /// <summary>Outcomes and latencies of one kind of phase (thread-safe).</summary>
    private sealed class Tally
    {
        private readonly LongConcurrentHistogram _latency = new(1, (long)TimeSpan.FromMinutes(1).TotalMicroseconds, 3);
        private readonly long[] _byStatus = new long[256];
        private long _requests;
        private long _ok;

        public long Requests => Interlocked.Read(ref _requests);

        public long Ok => Interlocked.Read(ref _ok);

        public long Unanswered => Interlocked.Read(ref _byStatus[(int)Status.Timeout]);

        public void Add(Status? outcome, TimeSpan latency)
        {
            Interlocked.Increment(ref _requests);
            if (outcome is { } status)
            {
                Interlocked.Increment(ref _byStatus[(int)status]);
                return;
            }

            Interlocked.Increment(ref _ok);
            if (latency > TimeSpan.Zero)
            {
                _latency.RecordValue(Math.Max(1, (long)latency.TotalMicroseconds));
            }
        }

        public long Percentile(double p) => _latency.TotalCount == 0 ? 0 : _latency.GetValueAtPercentile(p);

        public string ErrorsText()
        {
            var parts = Enumerable.Range(0, 256).Where(s => s != (int)Status.Timeout && _byStatus[s] > 0).Select(s => $"{(Status)s} {_byStatus[s]}").ToList();
            return parts.Count == 0 ? "0 errors" : string.Join(", ", parts);
        }

        public string Row(string name) => string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {Requests} | {Ok} | {ErrorsText()} | {Unanswered} | {Percentile(50)} | {Percentile(99)} | {Percentile(99.9)} |");
    }
}

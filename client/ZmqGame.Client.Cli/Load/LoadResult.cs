using System.Globalization;
using System.Text;
using HdrHistogram;
using ZmqGame.Protocol;

namespace ZmqGame.Client.Cli.Load;

/// <summary>
/// What a load run measured. Every request sent is in exactly one bucket:
/// <c>Sent = Ok + Mismatched + (sum of ByStatus) + ClientErrors + Unanswered</c>.
/// Throughput and latency cover only ok replies received inside the measured window; the buckets cover the whole run.
/// </summary>
internal sealed class LoadResult
{
    private static readonly Status[] KnownStatuses =
        [Status.NoSuchRoute, Status.HandlerFailed, Status.Timeout, Status.WorkerLost, Status.Busy, Status.NotAuthorised, Status.BadRequest, Status.NoSession,
         Status.TooLarge, Status.RateLimited];

    public LoadResult(LoadOptions options, int payloadSize)
    {
        Options = options;
        PayloadSize = payloadSize;
    }

    public LoadOptions Options { get; }

    /// <summary>Bytes of each request's payload frame as sent.</summary>
    public int PayloadSize { get; }

    public long Sent { get; private set; }

    /// <summary>Ok replies (equal to the request when verifying), whole run.</summary>
    public long Ok { get; private set; }

    /// <summary>Ok replies inside the measured window: the throughput and latency sample.</summary>
    public long WindowOk { get; private set; }

    /// <summary>Ok status, but the payload was not the one sent.</summary>
    public long Mismatched { get; private set; }

    /// <summary>Error statuses, indexed by status byte.</summary>
    public long[] ByStatus { get; } = new long[256];

    /// <summary>Timeouts that came from the client declaring its connection dead (a subset of the Timeout status).</summary>
    public long ConnectionLost { get; private set; }

    /// <summary>The request ended with another exception (disposed, cancelled, bad argument).</summary>
    public long ClientErrors { get; private set; }

    /// <summary>Still without an end when the drain period (request timeout + 2 s) ran out. Must be 0.</summary>
    public long Unanswered { get; private set; }

    /// <summary>Every request that did not end in a correct ok reply.</summary>
    public long Errors => Sent - Ok;

    /// <summary>Latency of ok replies inside the window, microseconds.</summary>
    public LongHistogram Latency { get; } = new(1, LoadEngine.MaxLatencyMicros, 3);

    /// <summary>Length of the measured window (between the CPU samples), seconds.</summary>
    public double WindowSeconds { get; init; }

    public double RequestsPerSecond => WindowSeconds > 0 ? WindowOk / WindowSeconds : 0;

    /// <summary>CPU of the broker process over the window (with --broker-pid).</summary>
    public CpuTime? Broker { get; init; }

    /// <summary>CPU of the worker process over the window (with --worker-pid).</summary>
    public CpuTime? Worker { get; init; }

    /// <summary>CPU of this process from before connecting to after the drain.</summary>
    public CpuTime? LoadGenerator { get; set; }

    /// <summary>Share of the machine's CPU time the host stole during the window, percent.</summary>
    public double? StealPercent { get; init; }

    /// <summary>CPU seconds per 1M requests answered inside the window.</summary>
    public double? PerMillion(CpuTime? cpu) => cpu is { } c && WindowOk > 0 ? c.Total / WindowOk * 1e6 : null;

    public long Percentile(double p) => Latency.TotalCount == 0 ? 0 : Latency.GetValueAtPercentile(p);

    internal void Add(LoadEngine.Lane lane, bool stillInFlight)
    {
        Sent += lane.Sent;
        Ok += lane.Ok;
        WindowOk += lane.WindowOk;
        Mismatched += lane.Mismatched;
        ClientErrors += lane.ClientErrors;
        ConnectionLost += lane.ConnectionLost;
        for (var i = 0; i < ByStatus.Length; i++)
        {
            ByStatus[i] += lane.ByStatus[i];
        }

        if (stillInFlight)
        {
            Unanswered++;
        }
    }

    /// <summary>Error statuses with a count, by name (e.g. "timeout" → 3).</summary>
    public IEnumerable<(string Name, long Count)> StatusCounts()
    {
        for (var i = 1; i < ByStatus.Length; i++)
        {
            if (ByStatus[i] > 0)
            {
                yield return (ZmqGameRequestException.StatusName((Status)i), ByStatus[i]);
            }
        }
    }

    /// <summary>One line of key=value pairs, for scripts (the same keys as the C loadgen where they overlap).</summary>
    public string ToKeyValueLine()
    {
        var sb = new StringBuilder();
        void Kv(string key, object? value)
        {
            if (sb.Length > 0)
            {
                sb.Append(' ');
            }

            sb.Append(key).Append('=').Append(value switch
            {
                null => "-",
                double d => d.ToString("0.###", CultureInfo.InvariantCulture),
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                _ => value.ToString(),
            });
        }

        Kv("clients", Options.Clients);
        Kv("depth", Options.Depth);
        Kv("size", PayloadSize);
        Kv("reqs", WindowOk);
        Kv("rps", Math.Round(RequestsPerSecond));
        Kv("p50_us", Percentile(50));
        Kv("p99_us", Percentile(99));
        Kv("p999_us", Percentile(99.9));
        Kv("max_us", Latency.TotalCount == 0 ? 0 : Latency.GetMaxValue());
        Kv("errors", Errors);
        Kv("sent", Sent);
        Kv("ok", Ok);
        Kv("mismatched", Mismatched);
        foreach (var status in KnownStatuses)
        {
            Kv("err_" + ZmqGameRequestException.StatusName(status).Replace(' ', '_'), ByStatus[(byte)status]);
        }

        Kv("err_other_status", ByStatus.Sum() - KnownStatuses.Sum(s => ByStatus[(byte)s]));
        Kv("connection_lost", ConnectionLost);
        Kv("client_errors", ClientErrors);
        Kv("unanswered", Unanswered);
        Kv("window_s", WindowSeconds);
        Kv("srv_user_s", Broker?.User);
        Kv("srv_sys_s", Broker?.System);
        Kv("srv_cpu_per_1m", PerMillion(Broker));
        Kv("wrk_user_s", Worker?.User);
        Kv("wrk_sys_s", Worker?.System);
        Kv("wrk_cpu_per_1m", PerMillion(Worker));
        Kv("lg_user_s", LoadGenerator?.User);
        Kv("lg_sys_s", LoadGenerator?.System);
        Kv("steal_pct", StealPercent);
        return sb.ToString();
    }

    /// <summary>A short human-readable report.</summary>
    public string ToText()
    {
        var inv = CultureInfo.InvariantCulture;
        var o = Options;
        var sb = new StringBuilder();
        var mode = o.Requests > 0
            ? string.Create(inv, $"{o.Requests} requests")
            : string.Create(inv, $"{CliApp.FormatDuration(o.Warmup)} warm-up + {CliApp.FormatDuration(o.Duration)} measured");
        sb.AppendLine(inv, $"load: {o.Broker} service {string.Join(',', o.Services)} cmd {o.Command}, {o.Clients} clients x {o.Depth} in flight, {PayloadSize}-byte payload, {mode}");
        sb.AppendLine(inv, $"  throughput   {RequestsPerSecond:0} requests/s ({WindowOk} ok replies in {WindowSeconds:0.00} s)");
        sb.AppendLine(inv, $"  latency us   p50 {Percentile(50)}  p99 {Percentile(99)}  p999 {Percentile(99.9)}  max {(Latency.TotalCount == 0 ? 0 : Latency.GetMaxValue())}");
        sb.AppendLine(inv, $"  requests     sent {Sent} = ok {Ok} + mismatched {Mismatched} + error statuses {ByStatus.Sum()} + client errors {ClientErrors} + unanswered {Unanswered}");
        var statuses = string.Join(", ", StatusCounts().Select(s => string.Create(inv, $"{s.Name} {s.Count}")));
        sb.AppendLine(inv, $"  errors       {(statuses.Length == 0 ? "none" : statuses)}{(ConnectionLost > 0 ? string.Create(inv, $" (connection lost {ConnectionLost})") : string.Empty)}");
        AppendCpu(sb, "broker cpu", Broker, o.BrokerPid, "--broker-pid");
        AppendCpu(sb, "worker cpu", Worker, o.WorkerPid, "--worker-pid");
        if (LoadGenerator is { } lg)
        {
            sb.AppendLine(inv, $"  load cpu     user {lg.User:0.00} s + sys {lg.System:0.00} s (this process, whole run)");
        }

        if (StealPercent is { } steal)
        {
            sb.AppendLine(inv, $"  host steal   {steal:0.0} % of the machine's CPU time during the window{(steal > 5 ? " (noisy: rerun)" : string.Empty)}");
        }

        return sb.ToString();
    }

    private void AppendCpu(StringBuilder sb, string label, CpuTime? cpu, int? pid, string option)
    {
        var inv = CultureInfo.InvariantCulture;
        if (cpu is { } c)
        {
            sb.AppendLine(inv, $"  {label,-12} {PerMillion(cpu):0.00} s per 1M requests (pid {pid}: user {c.User:0.00} s + sys {c.System:0.00} s over the window)");
        }
        else if (pid is not null)
        {
            sb.AppendLine(inv, $"  {label,-12} unavailable (cannot read /proc/{pid}/stat)");
        }
        else
        {
            sb.AppendLine(inv, $"  {label,-12} not measured (pass {option})");
        }
    }
}

namespace ZmqGame.Bench.Cluster;

/// <summary>
/// <c>ZmqGame.Bench cluster STEP ...</c>: the measurements of a cluster of brokers that need a process of their own
/// (bench/run-cluster.sh runs them against brokers it starts; the throughput with the cluster on against off is
/// <c>load</c>, run by the script). Each step prints one line of <c>key=value</c> on stdout, progress on stderr,
/// and exits 0 when every push or request it sent was accounted for as expected, 1 otherwise, 2 on bad options.
/// </summary>
internal static class ClusterBench
{
    public static readonly string Usage = string.Join(
        Environment.NewLine,
        "usage: ZmqGame.Bench " + PushLatencyBench.Usage,
        "       ZmqGame.Bench " + FailoverBench.Usage,
        "       ZmqGame.Bench " + ClusterBroadcastBench.Usage);

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter log, CancellationToken cancellationToken)
    {
        if (args.Length == 0)
        {
            throw new ArgumentException("cluster needs a step: push, failover or broadcast" + Environment.NewLine + Usage);
        }

        var options = new ClusterArgs(args[1..]);
        return args[0] switch
        {
            "push" => await PushLatencyBench.RunAsync(options, output, log, cancellationToken).ConfigureAwait(false),
            "failover" => await FailoverBench.RunAsync(options, output, log, cancellationToken).ConfigureAwait(false),
            "broadcast" => ClusterBroadcastBench.Run(options, output, log),
            _ => throw new ArgumentException($"unknown cluster step \"{args[0]}\" (expected push, failover or broadcast)" + Environment.NewLine + Usage),
        };
    }
}

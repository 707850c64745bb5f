using BenchmarkDotNet.Running;
using NetMQ;
using ZmqGame.Bench.Micro;
using ZmqGame.Client.Cli.Load;

// ZmqGame.Bench load ... | micro [BenchmarkDotNet options] | alloc [--requests N] | sessions ... | flood ... | cluster ...
if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine("""
        ZmqGame.Bench: measuring instruments for the ZmqGame broker.

        Usage:
          ZmqGame.Bench load [options]     closed-loop load through the client library (same as `client load`;
                                           `ZmqGame.Bench load --help` lists the options)
          ZmqGame.Bench micro [BDN args]   BenchmarkDotNet micro-benchmarks: codec and dispatch path, with
                                           allocations; e.g. micro --filter '*' --job short. Runs in-process
                                           unless --out-of-process is given (then run from the repository root)
          ZmqGame.Bench alloc [-n N]       bytes allocated per request on the dispatch paths (quick, no BenchmarkDotNet)
          ZmqGame.Bench sessions --frontend EP --control EP --broker-pid PID [--sessions 10000] [--per-socket 100]
                                           [--heartbeat MS] [--idle S] [--broadcasts N] [--size BYTES]
                                           idle sessions against a broker process: memory per session, idle CPU with
                                           heartbeats, and how long a broadcast to all of them takes
          ZmqGame.Bench flood --broker EP [-c 32] [--rate 50] [-t 5] [--rounds 2] [--flood-depth 64]
                                           one client flooding beside well-behaved paced clients: their p50/p99
                                           with the flooder against without it (run with the broker's rate limit on)
          ZmqGame.Bench cluster push --frontend EP --control EP [--users 8] [--pushes 2000] [--rate 500]
                                           cross-broker push latency: sessions logged in on one broker, pushes sent
                                           through another's control endpoint, each carrying its send time
          ZmqGame.Bench cluster failover --broker EP,EP --kill-pid PID --kill-frontend EP [--signal kill|stop]
                                           [-c 100] [--heartbeat-ms 1000] [--liveness 3]
                                           clients with the broker list making requests; kills the broker (SIGKILL,
                                           or SIGSTOP: silent) and times each client's next successful request
          ZmqGame.Bench cluster broadcast --frontend EP,EP --control EP,EP [--sessions 10000] [--per-socket 100]
                                           one broadcast to sessions spread over the brokers: until the last copy
          ZmqGame.Bench ws-load --websocket URL [-c 8] [-d 1] [-t 5] [-w 1] [-n N] [-s 64] [--service game] [--cmd 5]
                                           [--broker-pid PID]   closed-loop load over the broker's WebSocket frontend
                                           (ZWS 2.0, ZmqGame sessions): the same requests and key=value line as load
          ZmqGame.Bench ws-sessions --websocket URL [--sessions 1000] [--heartbeat-ms 2500] [--stop-file F] [--hold 120]
                                           idle heartbeating sessions over WebSocket, one connection each, held while a
                                           script measures the broker (prints "open ..." when all are welcomed)

        Scripts around it: bench/run-peers.sh (broker vs C mdbroker with C peers),
        bench/run-fullstack.sh (ZmqGame stack vs C stack), bench/run-sessions.sh (sessions and broadcast),
        bench/run-flood.sh (abuse limits: a flooder beside well-behaved clients),
        bench/run-cluster.sh (a cluster of brokers on NATS: throughput, push latency, failover, broadcast),
        bench/run-websocket.sh (the WebSocket frontend against TCP, and 10,000 WebSocket sessions).
        See docs/performance.md.
        """);
    return 0;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

switch (args[0])
{
    case "load":
        var code = await LoadCommand.RunAsync(args[1..], Console.Out, Console.Error, stop.Token).ConfigureAwait(false);
        NetMQConfig.Cleanup(block: false);
        return code;
    case "micro":
        // In-process by default: works from any directory and any build output. --out-of-process lets
        // BenchmarkDotNet generate and build its own project (run it from the repository root then).
        var benchArgs = args[1..].Where(a => a != "--out-of-process").ToList();
        if (benchArgs.Count == args.Length - 1 && !benchArgs.Contains("--inProcess", StringComparer.OrdinalIgnoreCase))
        {
            benchArgs.Add("--inProcess");
        }

        BenchmarkSwitcher.FromAssembly(typeof(CodecBenchmarks).Assembly).Run([.. benchArgs]);
        return 0;
    case "alloc":
        return AllocationCheck.Run(args[1..], Console.Out);
    case "sessions":
        try
        {
            return ZmqGame.Bench.Sessions.SessionBench.Run(args[1..], Console.Out);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine("error: " + ex.Message);
            return 2;
        }
        finally
        {
            NetMQConfig.Cleanup(block: false);
        }

    case "flood":
        try
        {
            return await ZmqGame.Bench.Flood.FloodBench.RunAsync(args[1..], Console.Out, stop.Token).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine("error: " + ex.Message);
            return 2;
        }
        finally
        {
            NetMQConfig.Cleanup(block: false);
        }

    case "cluster":
        try
        {
            return await ZmqGame.Bench.Cluster.ClusterBench.RunAsync(args[1..], Console.Out, Console.Error, stop.Token).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine("error: " + ex.Message);
            return 2;
        }
        finally
        {
            NetMQConfig.Cleanup(block: false);
        }

    case "ws-load" or "ws-sessions":
        try
        {
            return args[0] == "ws-load"
                ? await ZmqGame.Bench.WebSocket.WsLoadBench.RunAsync(args[1..], Console.Out, stop.Token).ConfigureAwait(false)
                : await ZmqGame.Bench.WebSocket.WsSessionsBench.RunAsync(args[1..], Console.Out, stop.Token).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine("error: " + ex.Message);
            return 2;
        }
        catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or InvalidOperationException or OperationCanceledException)
        {
            Console.Error.WriteLine("error: " + ex.GetBaseException().Message);
            return 1;
        }

    default:
        Console.Error.WriteLine($"error: unknown command \"{args[0]}\" (expected load, micro, alloc, sessions, flood, cluster, ws-load or ws-sessions)");
        return 2;
}

using Microsoft.Extensions.Logging.Abstractions;
using ZmqGame.Broker;
using ZmqGame.Protocol;
using ZmqGame.Transport;

namespace ZmqGame.Bench.Micro;

/// <summary>
/// The broker's <see cref="Dispatcher"/> with worker and client channels that do nothing, so only dispatch logic is
/// measured: ClientRequest → SendRequest (the worker is chosen) → WorkerReply (forwarded, the request back in the
/// <see cref="RequestPool"/>, the worker idle again). Requests are rented from the pool, as the frontend does.
/// </summary>
internal sealed class DispatchRig
{
    private static readonly byte[] Service = "echo"u8.ToArray();
    private readonly Dispatcher dispatcher;
    private readonly NoOpOutput output = new();
    private readonly RequestPool pool = new();
    private readonly FrameBuffer reply = new();
    private readonly byte[][] clients;
    private int next;
    private ulong requestIds;

    /// <param name="workers">Idle workers registered for the service.</param>
    /// <param name="clients">Distinct client identities the requests cycle through.</param>
    /// <param name="queueWait">Where dispatches leave their queue wait, as with the broker's metrics on; null: off.</param>
    public DispatchRig(int workers = 8, int clients = 64, ZmqGame.Broker.Metrics.QueueWaitSamples? queueWait = null)
    {
        var stats = new BrokerStats();
        var options = new BrokerOptions();
        var badInput = new BadInputLog(NullLogger.Instance, stats, TimeProvider.System, options.BadInputLogInterval);
        dispatcher = new Dispatcher(options, output, output, pool, stats, badInput, NullLogger.Instance, TimeProvider.System) { QueueWait = queueWait };
        for (var w = 0; w < workers; w++)
        {
            dispatcher.WorkerReady([0, 0x80, 0, 0, (byte)w], Service);
        }

        this.clients = new byte[clients][];
        for (var c = 0; c < clients; c++)
        {
            this.clients[c] = [0, 0x40, 0, 0, (byte)c];
        }
    }

    /// <summary>One request to an idle worker and its reply: the forward path of every request when workers keep up.</summary>
    public void ForwardAndReply()
    {
        var client = NextRequest(out var request);
        dispatcher.ClientRequest(Service, request, 0);
        dispatcher.WorkerReply(output.LastWorker!.Identity, client, reply, 0);
    }

    /// <summary>
    /// Every worker busy: a request waits in the service queue; one worker's reply then dispatches it. Then the rig is
    /// back where it started (all workers busy). Call <see cref="FillWorkers"/> once first.
    /// </summary>
    public void QueueAndReply()
    {
        NextRequest(out var request);
        dispatcher.ClientRequest(Service, request, 0);
        var worker = output.Oldest();
        dispatcher.WorkerReply(worker.Identity, worker.Current!.ClientId, reply, 0);
    }

    /// <summary>Makes every worker busy (for <see cref="QueueAndReply"/>).</summary>
    public void FillWorkers()
    {
        output.TrackBusy = true;
        while (dispatcher.IdleWorkersOf(Service) > 0)
        {
            NextRequest(out var request);
            dispatcher.ClientRequest(Service, request, 0);
        }
    }

    /// <summary>A request rented from the pool for the next client in turn; returns that client's identity.</summary>
    private byte[] NextRequest(out PendingRequest request)
    {
        var client = clients[next];
        next = next + 1 == clients.Length ? 0 : next + 1;
        request = pool.Rent();
        request.Kind = ClientKind.ZmqGame;
        request.SetClientId(client);
        request.RequestId = ++requestIds;
        return client;
    }

    /// <summary>Sends nothing; remembers which workers were handed a request, oldest first.</summary>
    private sealed class NoOpOutput : IWorkerChannel, IClientChannel
    {
        private readonly Queue<Worker> busy = new();

        public Worker? LastWorker { get; private set; }

        /// <summary>Remember busy workers for <see cref="Oldest"/> (queued path only: the forward path never dequeues).</summary>
        public bool TrackBusy { get; set; }

        public bool SendRequest(Worker worker, PendingRequest request)
        {
            LastWorker = worker;
            if (TrackBusy)
            {
                busy.Enqueue(worker);
            }

            return true;
        }

        /// <summary>The worker that was handed a request longest ago and still holds it.</summary>
        public Worker Oldest()
        {
            while (true)
            {
                var worker = busy.Dequeue();
                if (worker.Current is not null)
                {
                    return worker;
                }
            }
        }

        public void SendStatus(PendingRequest request, Status status, string message)
        {
        }

        public void SendCommand(ReadOnlySpan<byte> workerIdentity, byte command)
        {
        }

        public void ForwardReply(Worker worker, PendingRequest request, FrameBuffer reply, int bodyAt)
        {
        }
    }
}

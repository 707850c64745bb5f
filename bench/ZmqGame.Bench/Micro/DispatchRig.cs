using Microsoft.Extensions.Logging.Abstractions;
using ZmqGame.Broker;
using ZmqGame.Protocol;

namespace ZmqGame.Bench.Micro;

/// <summary>
/// The broker's <see cref="Dispatcher"/> with a transport that does nothing, so only dispatch logic is measured:
/// ClientRequest → SendRequest (the worker is chosen) → BeginReply / CompleteReply (the worker is idle again).
/// </summary>
internal sealed class DispatchRig
{
    private static readonly byte[] Service = "echo"u8.ToArray();
    private readonly Dispatcher dispatcher;
    private readonly NoOpOutput output = new();
    private readonly PendingRequest[] requests;
    private int next;

    /// <param name="workers">Idle workers registered for the service.</param>
    /// <param name="clients">Distinct client identities the requests cycle through.</param>
    public DispatchRig(int workers = 8, int clients = 64)
    {
        var stats = new BrokerStats();
        var options = new BrokerOptions();
        var badInput = new BadInputLog(NullLogger.Instance, stats, TimeProvider.System, options.BadInputLogInterval);
        dispatcher = new Dispatcher(options, output, stats, badInput, NullLogger.Instance, TimeProvider.System);
        for (var w = 0; w < workers; w++)
        {
            dispatcher.WorkerReady([0, 0x80, 0, 0, (byte)w], Service);
        }

        requests = new PendingRequest[clients];
        for (var c = 0; c < clients; c++)
        {
            var request = new PendingRequest { Kind = ClientKind.ZmqGame };
            request.SetClientId([0, 0x40, 0, 0, (byte)c]);
            requests[c] = request;
        }
    }

    /// <summary>One request to an idle worker and its reply: the forward path of every request when workers keep up.</summary>
    public void ForwardAndReply()
    {
        var request = NextRequest();
        dispatcher.ClientRequest(Service, request, 0);
        var worker = output.LastWorker!;
        var replying = dispatcher.BeginReply(worker.Identity, request.ClientId);
        dispatcher.CompleteReply(replying!);
    }

    /// <summary>
    /// Every worker busy: a request waits in the service queue; one worker's reply then dispatches it. Then the rig is
    /// back where it started (all workers busy). Call <see cref="FillWorkers"/> once first.
    /// </summary>
    public void QueueAndReply()
    {
        var request = NextRequest();
        dispatcher.ClientRequest(Service, request, 0);
        var worker = output.Oldest();
        var replying = dispatcher.BeginReply(worker.Identity, worker.Current!.ClientId);
        dispatcher.CompleteReply(replying!);
    }

    /// <summary>Makes every worker busy (for <see cref="QueueAndReply"/>).</summary>
    public void FillWorkers()
    {
        output.TrackBusy = true;
        while (dispatcher.IdleWorkersOf(Service) > 0)
        {
            dispatcher.ClientRequest(Service, NextRequest(), 0);
        }
    }

    private PendingRequest NextRequest()
    {
        var request = requests[next];
        next = next + 1 == requests.Length ? 0 : next + 1;
        request.RequestId++;
        return request;
    }

    /// <summary>Sends nothing; remembers which workers were handed a request, oldest first.</summary>
    private sealed class NoOpOutput : IBrokerOutput
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

        public void SendWorkerCommand(ReadOnlySpan<byte> workerIdentity, byte command)
        {
        }

        public void Release(PendingRequest request)
        {
        }
    }
}

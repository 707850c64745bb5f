using System.Text;
using MessagePack;
using Microsoft.Extensions.Logging;
using NetMQ;
using ZmqGame.Broker.Cluster;
using ZmqGame.Broker.Sessions;
using ZmqGame.Protocol;
using ZmqGame.Transport;

namespace ZmqGame.Broker.Endpoints;

/// <summary>
/// The trigger's and admin tools' endpoint (ZGT01): <c>auth</c> when security is on (a trigger key on the allow-list),
/// <c>stats</c>, and the session actions (push, kick, bind, …). Every command is answered
/// [peer][""]["ZGT01"][command][result]. Loop thread only.
/// </summary>
internal sealed class ControlEndpoint : Endpoint
{
    private static readonly byte[] NotAuthorised = MessagePackSerializer.Serialize(new Dictionary<string, string> { ["error"] = "not authorised" });
    private static readonly byte[] AuthOk = MessagePackSerializer.Serialize(new Dictionary<string, bool> { ["ok"] = true });

    private readonly BrokerStats _stats;
    private readonly BadInputLog _badInput;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SessionManager _sessions;
    private readonly NetMQCertificate? _certificate;
    private readonly Func<StatsReport> _report;
    private readonly HashSet<string> _triggerKeys = new(StringComparer.Ordinal);
    private readonly HashSet<byte[]> _authenticated = new(ByteKeyComparer.Instance);

    /// <summary>The broker's <c>MaxMessageSize</c>, named in the answer to a command over it.</summary>
    public long MaxMessageSize { get; init; }

    /// <summary>
    /// The broker cluster, if any: <c>stats</c> and the session actions then reach every broker, and are answered
    /// when the others have answered (or their time is up), with the cluster's sum.
    /// </summary>
    public ClusterSessions? Cluster { get; init; }

    /// <param name="stats">The broker's counters.</param>
    /// <param name="badInput">Where malformed and refused commands are reported.</param>
    /// <param name="logger">The broker's logger.</param>
    /// <param name="time">The clock a trigger's auth proof is checked against.</param>
    /// <param name="sessions">What the session actions run on.</param>
    /// <param name="certificate">The broker's CURVE certificate when security is on: commands other than auth then need a successful auth.</param>
    /// <param name="triggerKeys">The public keys (Z85) a trigger may authenticate with.</param>
    /// <param name="report">Builds the <c>stats</c> answer (see <see cref="StatsReportBuilder"/>).</param>
    public ControlEndpoint(BrokerStats stats, BadInputLog badInput, ILogger logger, TimeProvider time, SessionManager sessions,
        NetMQCertificate? certificate, IEnumerable<string> triggerKeys, Func<StatsReport> report)
        : base(logger)
    {
        _stats = stats;
        _badInput = badInput;
        _logger = logger;
        _time = time;
        _sessions = sessions;
        _certificate = certificate;
        _report = report;
        if (certificate is not null)
        {
            foreach (var key in triggerKeys)
            {
                _triggerKeys.Add(Convert.ToHexString(NetMQCertificate.FromPublicKey(key).PublicKey));
            }
        }
    }

    /// <summary>Control peers whose connection closed (with the connections NetMQ saw close, what tells a failed CURVE handshake).</summary>
    public long PeersGone { get; private set; }

    protected override void PeerGone(ReadOnlySpan<byte> identity)
    {
        PeersGone++;
        _authenticated.Remove(identity.ToArray());
    }

    protected override void Handle(FrameBuffer f)
    {
        var frames = new RoutedFrames(f);
        if (f.TruncatedSize > 0)
        {
            HandleTooLarge(frames, f.TruncatedSize);
            return;
        }

        if (!Control.TryReadCommand(frames, out var parsed))
        {
            _badInput.Report(BadInput.ControlMalformed, frames.Identity, $"expected [\"\"][\"{Control.HeaderText}\"][command][…]");
            return;
        }

        var commandFrame = frames[Control.CommandIndex];
        var command = Encoding.UTF8.GetString(commandFrame);
        byte[] result;
        if (command == Control.Auth)
        {
            result = Authenticate(frames, parsed);
        }
        else if (_certificate is not null && !_authenticated.Contains(frames.Identity.ToArray()))
        {
            _stats.ControlRefused++;
            _badInput.Report(BadInput.ControlMalformed, frames.Identity, $"control command {Frames.Printable(commandFrame)} before a successful auth");
            result = NotAuthorised;
        }
        else if (Cluster is { } cluster && IsClusterWide(command))
        {
            RunClusterWide(frames, command, cluster);
            return;
        }
        else
        {
            result = Run(frames, command);
        }

        var socket = Router;
        if (!socket.TryBegin(frames.Identity))
        {
            return;
        }

        Control.WriteAnswer(new RouterWriter(socket), frames[Control.CommandIndex], result);
    }

    /// <summary>A message over the size limit (its first frames only): counted, logged, and answered with an error when its command came.</summary>
    private void HandleTooLarge(in RoutedFrames frames, long size)
    {
        _badInput.Report(BadInput.ControlTooLarge, frames.Identity, $"a message of {size} bytes (the limit is {MaxMessageSize})");
        if (!Control.TryReadCommand(frames, out _) || !Router.TryBegin(frames.Identity))
        {
            return;
        }

        var error = MessagePackSerializer.Serialize(new Dictionary<string, string> { ["error"] = $"too large: a message of {size} bytes is over the broker's limit of {MaxMessageSize}" }, Payload.Options);
        Control.WriteAnswer(new RouterWriter(Router), frames[Control.CommandIndex], error);
    }

    private byte[] Run(in RoutedFrames frames, string command)
    {
        switch (command)
        {
            case Control.Stats:
                return MessagePackSerializer.Serialize(_report(), Payload.Options);
            case SessionActions.Push or SessionActions.Kick or SessionActions.Bind or SessionActions.Unbind
                or SessionActions.Join or SessionActions.Leave or SessionActions.WorkerEvent:
                var result = SessionActionFrames.Execute(frames, new ZgWorkerAction(frames.Count), _sessions, fromControl: true);
                if (result.Error is { } error)
                {
                    _badInput.Report(BadInput.ControlBadAction, frames.Identity, $"control action {command}: {error}");
                }

                return result.Serialize();
            default:
                _badInput.Report(BadInput.ControlMalformed, frames.Identity, "unknown control command " + Frames.Printable(frames[Control.CommandIndex]));
                return MessagePackSerializer.Serialize(new Dictionary<string, string> { ["error"] = "unknown command " + command }, Payload.Options);
        }
    }

    private static bool IsClusterWide(string command) =>
        command is Control.Stats or SessionActions.Push or SessionActions.Kick or SessionActions.Bind or SessionActions.Unbind
            or SessionActions.Join or SessionActions.Leave;

    /// <summary>stats or a session action, run here and on every other broker: answered when they have answered.</summary>
    private void RunClusterWide(in RoutedFrames frames, string command, ClusterSessions cluster)
    {
        var identity = frames.Identity.ToArray();
        var commandFrame = frames[Control.CommandIndex].ToArray();
        if (command == Control.Stats)
        {
            cluster.StatsForAll(_report(), report => Answer(identity, commandFrame, MessagePackSerializer.Serialize(report, Payload.Options)));
            return;
        }

        var action = new ZgWorkerAction(frames.Count);
        if (!action.HasArguments || !ActionArgs.TryParse(frames[ZgWorkerAction.ArgumentsIndex].ToArray(), out var args, out _))
        {
            Answer(identity, commandFrame, Run(frames, command));
            return;
        }

        var payload = new byte[action.PayloadCount][];
        for (var i = 0; i < payload.Length; i++)
        {
            payload[i] = frames[ZgWorkerAction.PayloadStart + i].ToArray();
        }

        var local = _sessions.Execute(command, args, payload, fromControl: true);
        var elsewhere = command is SessionActions.Bind or SessionActions.Unbind && local.Error is not null && args.Session != 0;
        if (local.Error is not null && !elsewhere)
        {
            _badInput.Report(BadInput.ControlBadAction, identity, $"control action {command}: {local.Error}");
            Answer(identity, commandFrame, local.Serialize());
            return;
        }

        cluster.ActionForAll(command, args, payload, local, total =>
        {
            if (elsewhere && total.Sessions > 0)
            {
                // Bind or unbind of a session another broker holds: done there.
                total.Error = null;
            }

            Answer(identity, commandFrame, total.Serialize());
        });
    }

    private void Answer(byte[] identity, byte[] commandFrame, byte[] result)
    {
        if (Router.TryBegin(identity))
        {
            Control.WriteAnswer(new RouterWriter(Router), commandFrame, result);
        }
    }

    /// <summary>auth [proof]: the peer proves it holds a trigger key on the allow-list (see <see cref="TriggerAuth"/>).</summary>
    private byte[] Authenticate(in RoutedFrames frames, ControlCommand command)
    {
        if (_certificate is null)
        {
            return AuthOk;
        }

        var maxSkewMs = (long)TimeSpan.FromMinutes(5).TotalMilliseconds;
        if (command.ArgumentCount > 0
            && TriggerAuth.TryOpen(frames[ControlCommand.ArgumentStart], _certificate.SecretKey!, out var key, out var unixMs)
            && _triggerKeys.Contains(Convert.ToHexString(key))
            && Math.Abs(_time.GetUtcNow().ToUnixTimeMilliseconds() - unixMs) <= maxSkewMs)
        {
            _authenticated.Add(frames.Identity.ToArray());
            BrokerLog.TriggerAuthenticated(_logger, NetMQCertificate.FromPublicKey(key).PublicKeyZ85);
            return AuthOk;
        }

        _stats.ControlRefused++;
        _badInput.Report(BadInput.ControlMalformed, frames.Identity, "auth refused: a key not on the allow-list, a proof that does not open, or a clock more than 5 minutes off");
        return NotAuthorised;
    }
}

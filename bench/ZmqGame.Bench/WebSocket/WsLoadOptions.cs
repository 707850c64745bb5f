using System.Globalization;

namespace ZmqGame.Bench.WebSocket;

/// <summary>The options of <c>ws-load</c>, with the defaults of <c>load</c> where they overlap.</summary>
internal sealed class WsLoadOptions
{
    public required Uri Url { get; init; }

    public int Clients { get; private set; } = 8;

    public int Depth { get; private set; } = 1;

    /// <summary>Fixed number of requests (0: a timed run of <see cref="Warmup"/> + <see cref="Duration"/>).</summary>
    public long Requests { get; private set; }

    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(5);

    public TimeSpan Warmup { get; private set; } = TimeSpan.FromSeconds(1);

    public int Size { get; private set; } = 64;

    public string Service { get; private set; } = "game";

    public int Command { get; private set; } = 5;

    public TimeSpan Timeout { get; private set; } = TimeSpan.FromSeconds(5);

    public TimeSpan Heartbeat { get; private set; } = TimeSpan.FromMilliseconds(2500);

    public int? BrokerPid { get; private set; }

    /// <exception cref="ArgumentException">An unknown option, a missing or bad value.</exception>
    public static WsLoadOptions Parse(string[] args)
    {
        Uri? url = null;
        var pending = new List<Action<WsLoadOptions>>();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value");
            int Int(int min) => int.TryParse(Next(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min
                ? v : throw new ArgumentException($"{name}: expected a whole number of at least {min}");
            TimeSpan Seconds() => double.TryParse(Next().TrimEnd('s'), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0
                ? TimeSpan.FromSeconds(v) : throw new ArgumentException($"{name}: expected seconds, e.g. 5 or 5s");
            switch (name)
            {
                case "--websocket": url = new Uri(Next()); break;
                case "-c" or "--clients": { var v = Int(1); pending.Add(o => o.Clients = v); break; }
                case "-d" or "--depth": { var v = Int(1); pending.Add(o => o.Depth = v); break; }
                case "-n" or "--requests": { var v = Int(0); pending.Add(o => o.Requests = v); break; }
                case "-t" or "--duration": { var v = Seconds(); pending.Add(o => o.Duration = v); break; }
                case "-w" or "--warmup": { var v = Seconds(); pending.Add(o => o.Warmup = v); break; }
                case "-s" or "--size": { var v = Int(2); pending.Add(o => o.Size = v); break; }
                case "--service": { var v = Next(); pending.Add(o => o.Service = v); break; }
                case "--cmd": { var v = Int(int.MinValue); pending.Add(o => o.Command = v); break; }
                case "--timeout": { var v = Seconds(); pending.Add(o => o.Timeout = v); break; }
                case "--heartbeat-ms": { var v = Int(1); pending.Add(o => o.Heartbeat = TimeSpan.FromMilliseconds(v)); break; }
                case "--broker-pid": { var v = Int(1); pending.Add(o => o.BrokerPid = v); break; }
                default: throw new ArgumentException("unknown option " + name);
            }
        }

        if (url is null || url.Scheme is not ("ws" or "wss"))
        {
            throw new ArgumentException("ws-load needs --websocket ws://host:port[/path]");
        }

        var options = new WsLoadOptions { Url = url };
        pending.ForEach(set => set(options));
        return options;
    }
}

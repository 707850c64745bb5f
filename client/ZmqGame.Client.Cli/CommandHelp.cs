namespace ZmqGame.Client.Cli;

/// <summary>
/// The usage of <c>client call</c> and <c>client mdp</c>, printed for <c>client call --help</c> and
/// <c>client mdp --help</c> (<c>session</c> and <c>load</c> keep theirs beside their code).
/// </summary>
internal static class CommandHelp
{
    public const string Call = """
        client call: one request to a ZmqGame service (ZGC01 protocol), its reply as JSON.

        Usage:
          client call <service> <cmd> <json> [--broker <endpoints>] [--timeout <duration>] [--connect-timeout <duration>]

        Sends <json> converted to MessagePack as command <cmd> (an integer) of <service> and prints the reply
        converted to JSON on stdout.

        Options:
          --broker <endpoints>         broker frontend, or a cluster's as a list a,b (default tcp://localhost:5555)
          --timeout <duration>         request deadline (default 5s)
          --connect-timeout <duration> how long to wait for the broker to answer (default 5s)
          -v, --verbose                also log what the client library says at Information and Debug
          --log-format <text|json>     log lines as text (default) or JSON, one object per line
        Durations: 250ms, 5s, 1m, or hh:mm:ss. Logs go to stderr: warnings and errors only, unless -v.

        Example:
          client call game 2 '{"A": 40, "B": 2}'      # prints {"Sum":42}

        Exit codes: 0 reply printed, 1 internal error, 2 usage (bad arguments or invalid JSON), 3 no broker
        answered within the connect timeout, 4 the request failed (the error line names the status), 130 interrupted.
        """;

    public const string Mdp = """
        client mdp: one stock Majordomo request (MDPC01), through any MDP broker.

        Usage:
          client mdp <service> [<frame>...] [--broker <endpoints>] [--timeout <duration>]

        Sends a request whose body frames are the given UTF-8 strings and prints each reply body frame as
        UTF-8 text, one per line. `mmi.service <name>` asks the broker whether a worker of <name> is connected.
        MDP has no error replies and no heartbeat: a broker that is not there and a request that is not
        answered both end in a timeout.

        Options:
          --broker <endpoints>         broker frontend, or a cluster's as a list a,b (default tcp://localhost:5555)
          --timeout <duration>         how long to wait for the reply (default 5s)
        Durations: 250ms, 5s, 1m, or hh:mm:ss.

        Example:
          client mdp echo hello world                 # prints hello, then world

        Exit codes: 0 reply printed, 1 internal error, 2 usage, 4 no reply within the timeout (or not an MDP
        reply), 130 interrupted.
        """;
}

namespace ZmqGame.Trigger;

/// <summary>
/// The usage of each <c>trigger</c> command, printed for <c>trigger &lt;command&gt; --help</c>: its synopsis, its
/// options and an example. <see cref="TriggerCli.Usage"/> is the whole program's.
/// </summary>
internal static class CommandUsage
{
    private const string Broker = """
          --broker EP      the broker's control endpoint, or a cluster's as a list a,b tried in order
                           (default tcp://127.0.0.1:5557)
          --timeout T      how long to wait for the answer (default 5s; 250ms, 5s, 1m or hh:mm:ss)
          --server-key K   the broker's CURVE public key, Z85 (or env ZMQGAME_SERVER_KEY)
          --secret-key K   this trigger's CURVE secret key, Z85 (or env ZMQGAME_TRIGGER_SECRET_KEY)
        """;

    private const string Target = """
          --user ID…       sessions bound to these users
          --session N…     these sessions (ids as in trigger stats)
          --group G…       sessions in these groups
          --all            every session
          --logged-in      every session bound to a user
          --exclude ID…    minus these users; --exclude-session N… minus these sessions
        """;

    private const string Payload = """
          --cmd N          the command id the receiver sees (32-bit integer)
          --json '{…}'     the message as JSON, sent as MessagePack
          --raw-hex HEX    or the message's bytes as they are
        """;

    private const string BrokerExits = "exit codes: 0 done, 2 usage, 3 no answer within --timeout, 4 the broker refused the command";

    /// <summary>The usage of <paramref name="command"/> ("push", "group join", "workers", …); null for an unknown one.</summary>
    public static string? For(string command) => command switch
    {
        "push" => $$"""
            usage: trigger push TARGET --cmd N (--json '{…}' | --raw-hex HEX) [options]

            Pushes a message to sessions; prints "pushed cmd N to S sessions (D dropped)".

            TARGET (one or more, ored):
            {{Target}}
            message:
            {{Payload}}
            options:
            {{Broker}}
            example: trigger push --user 42 --cmd 7 --json '{"Text": "your match is ready"}'

            {{BrokerExits}}
            """,
        "broadcast" => $$"""
            usage: trigger broadcast --cmd N (--json '{…}' | --raw-hex HEX) [--logged-in] [--exclude ID…] [options]

            Pushes a message to every session (--logged-in: every session bound to a user), minus
            --exclude ID… (users) and --exclude-session N…; prints "pushed cmd N to S sessions (D dropped)".

            message:
            {{Payload}}
            options:
            {{Broker}}
            example: trigger broadcast --logged-in --cmd 900 --json '{"Text": "restart in 5 minutes"}'

            {{BrokerExits}}
            """,
        "kick" => $$"""
            usage: trigger kick TARGET --reason TEXT [options]

            Closes sessions (they get CLOSED kicked, with the reason); prints "kicked S sessions".

            TARGET (one or more, ored):
            {{Target}}
            options:
              --reason TEXT    what the kicked clients are told
            {{Broker}}
            example: trigger kick --user bob --reason "AFK too long"

            {{BrokerExits}}
            """,
        "group" or "group join" or "group leave" => $$"""
            usage: trigger group join|leave --group G TARGET [options]

            Puts sessions into a group or takes them out; prints "S sessions joined group G".

            TARGET: --user ID…, --session N…, --all or --logged-in, minus --exclude ID… and
                    --exclude-session N…
            options:
              --group G        the group
            {{Broker}}
            example: trigger group join --group room:tavern --user 42

            {{BrokerExits}}
            """,
        "worker" => $$"""
            usage: trigger worker --service S --cmd N (--json '{…}' | --raw-hex HEX) [options]

            Sends an event to one idle worker of a service (queued if none is idle); prints
            "sent to a worker of service S".

            options:
              --service S      the service
            {{Payload}}
            {{Broker}}
            example: trigger worker --service game --cmd 9 --json '{"Season": 3}'

            exit codes: 0 sent, 2 usage, 3 no answer within --timeout, 4 the broker refused it or no worker
                        of the service is registered (the event waits for one)
            """,
        "stats" => $$"""
            usage: trigger stats [--json [--pretty]] [options]

            Prints the broker's stats as tables: requests, workers, events, sessions, pushes, limits, bad input
            (the kinds seen), the cluster link, each with what it counts; then one row per service: waiting
            requests, workers (idle, busy, paused, draining), requests, replies and errors by status. Of a broker
            cluster: one column per broker (b1, b2, … named above the tables) and one for the total.
            `replies` counts worker replies to client requests; answers to session and trigger events are
            `events_handled`. Every counter and gauge: docs/operations.md.

            options:
              --json           print the broker's answer as JSON instead, as it comes (for scripts)
              --pretty         with --json: indented
            {{Broker}}
            example: trigger stats --broker tcp://127.0.0.1:5557
                     trigger stats --json | jq .counters.requests

            {{BrokerExits}}
            """,
        "top" => $$"""
            usage: trigger top [--interval T] [--count N] [options]

            Shows the broker's stats again every interval: the main counters and gauges, then one row per service
            (waiting requests, workers, idle, busy), each total next to its rate per second since the last refresh:
            requests/s, replies/s, errors/s. Of a broker cluster: one pair of columns per broker and one for the
            total, as in trigger stats. On a terminal the display is redrawn in place; in a pipe or a file, one
            plain table per refresh, under "refresh N at HH:mm:ss from EP, S s since the last". A broker that does
            not answer is an error line on stderr; the next refresh tries again (the next broker of a list).
            Runs until Ctrl+C, SIGTERM or stdin closes.

            options:
              --interval T     the time between refreshes (default 1s, at least 100ms)
              --count N        stop after N refreshes (for scripts)
            {{Broker}}
            example: trigger top --broker tcp://127.0.0.1:5557
                     trigger top --count 5 --interval 2s > top.log

            exit codes: 0 ended (Ctrl+C, SIGTERM, stdin closed or --count reached), 2 usage
            """,
        "keygen" => """
            usage: trigger keygen

            Prints a new CURVE key pair (Z85), "public: …" and "secret: …". The public key goes to the broker's
            Broker:Security:TriggerKeys, the secret key to this trigger's --secret-key.

            example: trigger keygen

            exit codes: 0 done, 2 usage
            """,
        "workers" or "workers status" or "workers reload" => $$"""
            usage: trigger workers status [--json [--pretty]] [options]
                   trigger workers status --supervisor EP [--json [--pretty]] [--timeout T]
                   trigger workers reload --supervisor EP [--timeout T]

            workers status                  one row per worker the broker knows: service, state, version,
                                            uptime, requests served (--json: the broker's stats answer as JSON,
                                            --pretty: indented)
            workers status --supervisor EP  the worker processes of a supervisor as a table: slot, state, pid,
                                            ready, started, recent crashes (--json: the answer as JSON,
                                            --pretty: indented)
            workers reload --supervisor EP  rolling reload: new worker processes from the build on disk, READY
                                            first, then the old ones drained; waits for the outcome

            options:
              --supervisor EP  the supervisor's admin endpoint (worker host --processes N --admin EP)
              --timeout T      how long to wait (default 5s; for reload 5m)
            {{Broker}}
            example: trigger workers reload --supervisor tcp://127.0.0.1:5558

            exit codes: 0 done (reload complete), 2 usage, 3 no answer within --timeout,
                        4 the broker refused the command, or the reload failed (the old processes keep serving)
            """,
        _ => null,
    };
}

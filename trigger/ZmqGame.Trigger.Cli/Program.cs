using System.Runtime.InteropServices;
using ZmqGame.Trigger;

if (args.Length == 0 || args[0] != "top")
{
    return await TriggerCli.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
}

// trigger top runs until Ctrl+C, SIGTERM or, when stdin is a pipe or a socket, its end (a parent that closes it),
// then exits 0. A terminal, /dev/null or a file as stdin is not watched: a script's top runs to its --count.
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});
if (StdinIsAPipe())
{
    _ = Task.Run(async () =>
    {
        using var stdin = Console.OpenStandardInput();
        var buffer = new byte[256];
        while (await stdin.ReadAsync(buffer, stop.Token).ConfigureAwait(false) > 0)
        {
        }

        await stop.CancelAsync().ConfigureAwait(false);
    });
}

return await TriggerCli.RunAsync(args, Console.Out, Console.Error, cancellationToken: stop.Token).ConfigureAwait(false);

// Linux names a pipe's or socket's descriptor "pipe:[N]" / "socket:[N]"; elsewhere stdin is not watched.
static bool StdinIsAPipe() =>
    Console.IsInputRedirected
    && OperatingSystem.IsLinux()
    && new FileInfo("/proc/self/fd/0").LinkTarget is { } target
    && (target.StartsWith("pipe:", StringComparison.Ordinal) || target.StartsWith("socket:", StringComparison.Ordinal));

using System.Runtime.InteropServices;
using ZmqGame.Trigger;

if (args.Length == 0 || args[0] != "top")
{
    return await TriggerCli.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
}

// trigger top runs until Ctrl+C, SIGTERM or the end of stdin (a parent that closes the pipe), then exits 0.
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
_ = Task.Run(async () =>
{
    using var stdin = Console.OpenStandardInput();
    var buffer = new byte[256];
    while (await stdin.ReadAsync(buffer, stop.Token).ConfigureAwait(false) > 0)
    {
    }

    await stop.CancelAsync().ConfigureAwait(false);
});
return await TriggerCli.RunAsync(args, Console.Out, Console.Error, cancellationToken: stop.Token).ConfigureAwait(false);

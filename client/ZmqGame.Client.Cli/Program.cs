using NetMQ;
using ZmqGame.Client.Cli;

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

var code = await CliApp.RunAsync(args, Console.In, Console.Out, Console.Error, stop.Token).ConfigureAwait(false);
NetMQConfig.Cleanup(block: false);
return code;

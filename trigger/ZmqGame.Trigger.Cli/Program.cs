using ZmqGame.Trigger;

return await TriggerCli.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);

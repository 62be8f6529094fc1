using ModelRace.Cli;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl-C asks commands to stop cleanly (a race saves what it has); a second one kills the process.
    if (cancellation.IsCancellationRequested) return;
    e.Cancel = true;
    cancellation.Cancel();
};
return await ModelRaceApp.RunAsync(args, CliContext.ForProcess(cancellation.Token));

using System.CommandLine;
using ModelRace.Local.Hub;
using Spectre.Console;

namespace ModelRace.Cli.Commands;

/// <summary>`modelrace pull [HF_REPO[:QUANT|:FILE]]`, and the --model resolution other local-model commands share.</summary>
internal static class PullCommands
{
    public static Command Create(CliContext context)
    {
        var model = new Argument<string>("model")
        {
            Description = "owner/repo:QUANT (e.g. Q4_K_M), owner/repo:FILE.gguf, optionally prefixed hf:.",
            DefaultValueFactory = _ => ModelResolver.DefaultLocalModel,
        };
        var json = CommonOptions.Json();
        var command = new Command("pull",
            "Download a GGUF model from the Hugging Face hub into the local cache (~/.cache/modelrace, or $MODELRACE_HOME/cache). " +
            "Interrupted downloads resume; files are checked against the hub's SHA-256. Uses HF_TOKEN for gated repos and HF_ENDPOINT for mirrors.")
        {
            model, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var spec = ParseSpec(parse.GetValue(model)!);
            var asJson = parse.GetValue(json);
            var pulled = await PullWithProgressAsync(context, spec, showProgress: !asJson, cancellationToken);
            if (asJson)
            {
                CommonOptions.WriteJson(context, new
                {
                    repo = pulled.Repo, file = pulled.File.Path, path = pulled.LocalPath, size = pulled.File.Size,
                    sha256 = pulled.File.Sha256, verified = pulled.Verified, alreadyCached = pulled.AlreadyCached,
                });
                return 0;
            }
            var what = $"{Markup.Escape(pulled.Repo)}/{Markup.Escape(pulled.File.Path)} ({ModelResolver.FormatSize(pulled.File.Size)})";
            if (pulled.AlreadyCached) context.Console.MarkupLine($"[green]Already in the cache:[/] {what}");
            else context.Console.MarkupLine($"[green]Downloaded[/] {what}, {(pulled.Verified ? "SHA-256 verified" : "[yellow]no SHA-256 published; size checked only[/]")}");
            context.Console.MarkupLine($"[grey]Path:[/] {Markup.Escape(pulled.LocalPath)}");
            return 0;
        });
        return command;
    }

    /// <summary>
    /// What --model means for commands that run a local model: a path as is, or a hub spec served from the cache
    /// or pulled on first use with a progress bar. Errors come out as <see cref="CliException"/>.
    /// </summary>
    public static async Task<string> ResolveLocalModelAsync(CliContext context, string? modelSpec, CancellationToken cancellationToken)
    {
        var text = string.IsNullOrWhiteSpace(modelSpec) ? ModelResolver.DefaultLocalModel : modelSpec;
        var isHub = text.StartsWith("hf:", StringComparison.OrdinalIgnoreCase);
        if (!isHub && File.Exists(Path.Combine(context.WorkingDirectory, text))) return Path.GetFullPath(Path.Combine(context.WorkingDirectory, text));
        if (!isHub && (text.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) && !text.Contains(':', StringComparison.Ordinal) || Path.IsPathRooted(text)))
            throw new CliException($"model file not found: {text}. To pull from the Hugging Face hub, write hf:owner/repo:QUANT.");
        var spec = ParseSpec(text);
        if (ModelResolver.FindCached(spec, HubOptions.FromEnvironment(context.GetEnvironmentVariable)) is { } cached) return cached;
        return (await PullWithProgressAsync(context, spec, showProgress: true, cancellationToken)).LocalPath;
    }

    private static HubModelSpec ParseSpec(string text)
    {
        try
        {
            return HubModelSpec.Parse(text);
        }
        catch (HubException e)
        {
            throw new CliException(e.Message);
        }
    }

    private static async Task<PulledModel> PullWithProgressAsync(CliContext context, HubModelSpec spec, bool showProgress, CancellationToken cancellationToken)
    {
        var options = HubOptions.FromEnvironment(context.GetEnvironmentVariable);
        using var http = HubClient.CreateHttpClient();
        var client = new HubClient(options, http);
        void Announce(HubFile file)
        {
            if (showProgress)
                context.Console.MarkupLine($"Downloading [bold]{Markup.Escape(file.Path)}[/] ({ModelResolver.FormatSize(file.Size)}) from {Markup.Escape(options.Endpoint)}/{Markup.Escape(spec.Repo)} on first use");
        }
        try
        {
            if (!showProgress) return await client.PullAsync(spec, null, Announce, cancellationToken);
            PulledModel? pulled = null;
            await context.Console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(),
                    new TransferSpeedColumn(), new RemainingTimeColumn())
                .StartAsync(async progressContext =>
                {
                    ProgressTask? task = null;
                    var progress = new ImmediateProgress<DownloadProgress>(report =>
                    {
                        task ??= progressContext.AddTask(Markup.Escape(report.File), maxValue: Math.Max(1, report.TotalBytes));
                        task.Value = report.BytesDone;
                    });
                    pulled = await client.PullAsync(spec, progress, Announce, cancellationToken);
                });
            return pulled!;
        }
        catch (HubException e)
        {
            throw new CliException(e.Message);
        }
    }

    /// <summary>Reports on the caller's thread, so that the bar is current when the download ends.</summary>
    private sealed class ImmediateProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}

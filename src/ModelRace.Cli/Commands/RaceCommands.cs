using System.CommandLine;
using System.Globalization;
using ModelRace.Core.Race;
using ModelRace.Race.Results;
using ModelRace.Race.Running;
using ModelRace.Race.Scoring;
using ModelRace.Race.Suites;
using ModelRace.Storage;
using Spectre.Console;

namespace ModelRace.Cli.Commands;

/// <summary>`modelrace race`, `runs`, `leaderboard` and `compare`.</summary>
internal static class RaceCommands
{
    public const string EndpointHelp =
        "name=base_url[,model=M][,key_env=VAR][,card=ID][,open=true][,private=true] for an OpenAI-compatible server (repeatable).";

    public const string NothingConfigured =
        "pass one --endpoint per model, e.g.\n" +
        "  --endpoint local=http://127.0.0.1:8080/v1,model=qwen2.5-7b-instruct,open=true,private=true\n" +
        "  --endpoint openai=https://api.openai.com/v1,model=gpt-4o-mini,key_env=OPENAI_API_KEY\n" +
        "(base_url is the OpenAI-compatible API root ending in /v1; key_env names the environment variable holding the API key;\n" +
        " card=ID picks the catalog card whose prices are used for cost, see `modelrace models`).";


    public static IEnumerable<Command> Create(CliContext context)
    {
        yield return CreateRace(context);
        yield return CreateRuns(context);
        yield return CreateLeaderboard(context);
        yield return CreateCompare(context);
    }

    private static Command CreateRace(CliContext context)
    {
        var suites = new Argument<string[]>("suite") { Description = "quick, a .jsonl or .yaml suite, or gsm8k:PATH, mmlu:DIR, arc:PATH, hellaswag:PATH, truthfulqa:PATH (PATH may be hf://OWNER/NAME[@REV]/FILE).", Arity = ArgumentArity.ZeroOrMore };
        var endpoints = new Option<string[]>("--endpoint") { Description = "An endpoint NAME[/MODEL] from modelrace.yaml, or " + EndpointHelp };
        var models = new Option<string[]>("--model") { Description = "A GGUF file (or hub spec OWNER/REPO:QUANT) to race in-process (repeatable)." };
        var config = EndpointSetup.ConfigOption();
        var judge = new Option<string?>("--judge") { Description = "Endpoint (same syntax) of the judge model for judge-rubric / judge-reference items." };
        var limit = new Option<int?>("--limit") { Description = "Race a fixed-seed sample of N items per suite." };
        var seed = new Option<int>("--seed") { Description = "Seed for --limit sampling.", DefaultValueFactory = _ => 1234 };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight per model.", DefaultValueFactory = _ => 4 };
        var retryErrors = new Option<bool>("--retry-errors") { Description = "When resuming, ask again the items that errored last time." };
        var multipleChoice = new Option<string>("--multiple-choice")
        {
            Description = "generate: every model answers multiple-choice items in text (the letter is read). loglikelihood: local GGUF models are scored by each choice's log-likelihood, as lm-evaluation-harness (acc; acc_norm shown beside it); API models are still asked.",
            DefaultValueFactory = _ => "generate",
        };
        multipleChoice.AcceptOnlyFromAmong("generate", "loglikelihood");
        var report = new Option<string?>("--report") { Description = "Also write a self-contained HTML report to this file." };
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var command = new Command("race", "Race models over suites: every answer stored as it arrives; rerun the same command to resume.")
        {
            suites, endpoints, models, config, judge, limit, seed, concurrency, retryErrors, multipleChoice, report, db, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            var endpointArgs = parse.GetValue(endpoints) ?? [];
            var modelArgs = parse.GetValue(models) ?? [];
            var suiteArgs = parse.GetValue(suites) ?? [];
            if (suiteArgs.Length == 0)
                throw new CliException("no suite given: pass quick (the built-in suite), a .jsonl or .yaml suite file, or a benchmark such as gsm8k:PATH or mmlu:DIR (see docs/suites.md)");
            var resolver = new ConfigContestantResolver(context, parse.GetValue(config));
            var contestants = endpointArgs.Select(e => Resolve(resolver, e)).ToList();
            foreach (var model in modelArgs)
                contestants.Add(resolver.LocalFile(await PullCommands.ResolveLocalModelAsync(context, model, ct)));
            if (endpointArgs.Length == 0 && modelArgs.Length == 0)
                contestants.AddRange(await DefaultContestantsAsync(context, resolver, ct));
            var judgeContestant = parse.GetValue(judge) is { } judgeArg ? Resolve(resolver, judgeArg) : null;

            var hub = new HuggingFaceHub(new HttpClient(), HuggingFaceHub.DefaultCacheRoot(context.GetEnvironmentVariable), context.GetEnvironmentVariable);
            var suiteResolver = new SuiteResolver(hub);
            var loaded = new List<Suite>();
            foreach (var arg in suiteArgs)
            {
                try
                {
                    var path = File.Exists(arg) || arg.Contains(':', StringComparison.Ordinal) || arg == "quick" ? arg : Path.Combine(context.WorkingDirectory, arg);
                    loaded.Add(SuiteResolver.Sample(await suiteResolver.ResolveAsync(path, ct), parse.GetValue(limit), parse.GetValue(seed)));
                }
                catch (SuiteException e)
                {
                    throw new CliException(e.Message);
                }
            }
            var suite = SuiteResolver.Combine(loaded);
            var store = OpenStore(context, parse.GetValue(db));
            var scorers = new ScorerRegistry(judgeContestant?.Client, judgeContestant?.Info);
            var runner = new RaceRunner(store, scorers);
            var options = new RaceOptions
            {
                Concurrency = parse.GetValue(concurrency), RetryErrors = parse.GetValue(retryErrors),
                MultipleChoice = parse.GetValue(multipleChoice) == "loglikelihood" ? MultipleChoiceMode.LogLikelihood : MultipleChoiceMode.Generate,
            };
            if (options.Concurrency < 1) throw new CliException("--concurrency must be at least 1");

            RunRecord run;
            try
            {
                run = await RunWithProgressAsync(context, runner, suite, contestants, options, ct);
            }
            catch (ScoringException e)
            {
                throw new CliException(e.Message);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                context.Console.MarkupLine("[yellow]Interrupted. Every answer so far is stored; run the same command again to continue.[/]");
                throw;
            }
            var rows = await BuildRowsAsync(store, run, ct);
            if (parse.GetValue(report) is { } reportPath)
                await File.WriteAllTextAsync(Path.Combine(context.WorkingDirectory, reportPath), LeaderboardExport.ToHtml(run, rows), ct);
            if (parse.GetValue(json)) await context.Out.WriteLineAsync(LeaderboardExport.ToJson(run, rows));
            else
            {
                RenderTable(context, run, rows);
                if (options.MultipleChoice == MultipleChoiceMode.LogLikelihood)
                    RenderLogLikelihoodSummary(context, LogLikelihoodSummary.Build(await store.LoadResponsesAsync(run.Id, ct)));
                if (parse.GetValue(report) is { } written) context.Console.MarkupLine($"[grey]HTML report: {Markup.Escape(written)}[/]");
            }
            return 0;
        });
        return command;
    }

    private static void RenderLogLikelihoodSummary(CliContext context, IReadOnlyList<LogLikelihoodSummaryRow> rows)
    {
        if (rows.Count == 0)
        {
            context.Console.MarkupLine("[yellow]No item was scored by log-likelihood: that needs items with choices and a local GGUF model (--model).[/]");
            return;
        }
        var table = new Table().Title("Scored by log-likelihood (lm-evaluation-harness acc / acc_norm)").AddColumns("Model", "Items", "acc", "acc_norm");
        foreach (var row in rows)
            table.AddRow(Markup.Escape(row.Contestant), row.Items.ToString(CultureInfo.InvariantCulture), Percent(row.Acc), Percent(row.AccNorm));
        context.Console.Write(table);

        static string Percent(double value) => (100 * value).ToString("F1", CultureInfo.InvariantCulture) + "%";
    }

    /// <summary>With no --endpoint or --model: every configured endpoint plus the default local model.</summary>
    private static async Task<List<Contestant>> DefaultContestantsAsync(CliContext context, ConfigContestantResolver resolver, CancellationToken ct)
    {
        var contestants = resolver.AllConfigured().ToList();
        try
        {
            var path = await PullCommands.ResolveLocalModelAsync(context, ModelRace.Local.Hub.ModelResolver.DefaultLocalModel, ct);
            contestants.Add(resolver.LocalFile(path));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var why = e is CliException ? e.Message : e.Message.Split('\n')[0];
            if (contestants.Count == 0)
                throw new CliException(
                    $"the default local model {ModelRace.Local.Hub.ModelResolver.DefaultLocalModel} is not available: {why}\n" +
                    "Race a GGUF file you have with --model path/to/model.gguf, add endpoints with `modelrace config init`, or " + NothingConfigured);
            context.Error.WriteLine($"warning: skipping the default local model: {why}");
        }
        return contestants;
    }

    private static Contestant Resolve(IContestantResolver resolver, string argument)
    {
        try
        {
            return resolver.Resolve(argument);
        }
        catch (ArgumentException e)
        {
            throw new CliException(e.Message);
        }
    }

    private static async Task<RunRecord> RunWithProgressAsync(CliContext context, RaceRunner runner, Suite suite, List<Contestant> contestants, RaceOptions options, CancellationToken ct)
    {
        RunRecord? result = null;
        await context.Console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async progressContext =>
            {
                var tasks = contestants.ToDictionary(c => c.Info.Name, c => progressContext.AddTask(Markup.Escape(c.Info.Name), maxValue: Math.Max(1, suite.Items.Count)));
                var progress = new SynchronousProgress(p =>
                {
                    var task = tasks[p.Contestant];
                    task.Value = p.Done;
                    var money = p.Currency is null ? "no price" : $"{p.Cost.ToString("0.####", CultureInfo.InvariantCulture)} {p.Currency}";
                    task.Description = $"{Markup.Escape(p.Contestant)} {p.Done}/{p.Total} [red]{p.Errors} err[/] {Markup.Escape(money)}";
                });
                result = await runner.RunAsync(suite, contestants, options, progress, ct);
            });
        return result!;
    }

    private sealed class SynchronousProgress(Action<RaceProgress> action) : IProgress<RaceProgress>
    {
        private readonly Lock _gate = new();

        public void Report(RaceProgress value)
        {
            lock (_gate) action(value);
        }
    }

    private static SqliteRaceStore OpenStore(CliContext context, string? dbOption)
    {
        try
        {
            return new SqliteRaceStore(SqliteStore.Open(CommonOptions.DatabasePath(context, dbOption)));
        }
        catch (StoreException e)
        {
            throw new CliException(e.Message);
        }
    }

    private static async Task<IReadOnlyList<LeaderboardRow>> BuildRowsAsync(IRaceStore store, RunRecord run, CancellationToken ct) =>
        Leaderboard.Build(run, await store.LoadItemsAsync(run.Id, ct), await store.LoadResponsesAsync(run.Id, ct));

    private static async Task<RunRecord> FindRunAsync(IRaceStore store, string? id, CancellationToken ct)
    {
        if (id is null)
            return await store.ListRunsAsync(ct) is { Count: > 0 } runs ? runs[0] : throw new CliException("no races stored yet; start one with `modelrace race quick --endpoint ...`");
        return await store.FindRunAsync(id, ct) ?? throw new CliException($"no single run matches '{id}'; `modelrace runs` lists them");
    }

    private static Command CreateRuns(CliContext context)
    {
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var command = new Command("runs", "List stored races, newest first.") { db, json };
        command.SetAction(async (parse, ct) =>
        {
            var runs = await OpenStore(context, parse.GetValue(db)).ListRunsAsync(ct);
            if (parse.GetValue(json))
            {
                CommonOptions.WriteJson(context, runs.Select(r => new { r.Id, Suite = r.SuiteName, r.Status, Items = r.ItemCount, r.CreatedAt, r.FinishedAt, Models = r.Contestants.Select(c => c.Name) }));
                return 0;
            }
            if (runs.Count == 0)
            {
                context.Console.MarkupLine("[yellow]No races stored yet.[/] Start one with `modelrace race quick --endpoint name=base_url`.");
                return 0;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumns("run", "suite", "status", "items", "models", "started (UTC)");
            foreach (var r in runs)
                table.AddRow(Markup.Escape(r.Id[..12]), Markup.Escape(r.SuiteName), r.Status.ToString().ToLowerInvariant(), r.ItemCount.ToString(CultureInfo.InvariantCulture),
                    Markup.Escape(string.Join(", ", r.Contestants.Select(c => c.Name))), r.CreatedAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture));
            context.Console.Write(table);
            return 0;
        });
        return command;
    }

    private static Command CreateLeaderboard(CliContext context)
    {
        var run = new Argument<string?>("run") { Description = "Run id or prefix (default: the latest run).", Arity = ArgumentArity.ZeroOrOne };
        var sort = new Option<string>("--sort") { Description = $"Column to sort by: {string.Join(", ", Leaderboard.SortColumns)}.", DefaultValueFactory = _ => "rank" };
        var format = new Option<string>("--format") { Description = "table, md, csv, json or html.", DefaultValueFactory = _ => "table" };
        var output = new Option<string?>("--output") { Description = "Write to this file instead of the console." };
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var command = new Command("leaderboard", "Show a race's leaderboard: score ± 95% CI, errors, latency, tokens/s, cost.") { run, sort, format, output, db, json };
        command.SetAction(async (parse, ct) =>
        {
            var store = OpenStore(context, parse.GetValue(db));
            var record = await FindRunAsync(store, parse.GetValue(run), ct);
            IReadOnlyList<LeaderboardRow> rows;
            try
            {
                rows = Leaderboard.Sort(await BuildRowsAsync(store, record, ct), parse.GetValue(sort)!);
            }
            catch (ArgumentException e)
            {
                throw new CliException(e.Message);
            }
            var chosen = parse.GetValue(json) ? "json" : parse.GetValue(format)!.ToLowerInvariant();
            var text = chosen switch
            {
                "table" => null,
                "md" or "markdown" => LeaderboardExport.ToMarkdown(rows),
                "csv" => LeaderboardExport.ToCsv(rows),
                "json" => LeaderboardExport.ToJson(record, rows),
                "html" => LeaderboardExport.ToHtml(record, rows),
                _ => throw new CliException($"unknown --format '{chosen}'; use table, md, csv, json or html"),
            };
            if (text is null)
            {
                RenderTable(context, record, rows);
                return 0;
            }
            if (parse.GetValue(output) is { } file) await File.WriteAllTextAsync(Path.Combine(context.WorkingDirectory, file), text, ct);
            else await context.Out.WriteAsync(text);
            return 0;
        });
        return command;
    }

    private static Command CreateCompare(CliContext context)
    {
        var first = new Argument<string>("a") { Description = "A run id (its top model), or a model name in --run." };
        var second = new Argument<string>("b") { Description = "A second run id, or a second model name in --run." };
        var runOption = new Option<string?>("--run") { Description = "Compare two models of this run (default when A and B are not runs: the latest run)." };
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var command = new Command("compare", "Paired comparison on shared items: difference with 95% paired-bootstrap CI and exact McNemar test.") { first, second, runOption, db, json };
        command.SetAction(async (parse, ct) =>
        {
            var store = OpenStore(context, parse.GetValue(db));
            var a = parse.GetValue(first)!;
            var b = parse.GetValue(second)!;
            (string Name, Dictionary<string, double> Scores) sideA, sideB;
            var runA = parse.GetValue(runOption) is null ? await store.FindRunAsync(a, ct) : null;
            var runB = parse.GetValue(runOption) is null ? await store.FindRunAsync(b, ct) : null;
            if (runA is not null && runB is not null)
            {
                sideA = await TopModelScoresAsync(store, runA, ct);
                sideB = await TopModelScoresAsync(store, runB, ct);
            }
            else
            {
                var run = await FindRunAsync(store, parse.GetValue(runOption), ct);
                var responses = await store.LoadResponsesAsync(run.Id, ct);
                sideA = (a, ScoresOf(responses, run, a));
                sideB = (b, ScoresOf(responses, run, b));
            }
            var result = Statistics.Compare(sideA.Name, sideA.Scores, sideB.Name, sideB.Scores);
            if (parse.GetValue(json))
            {
                CommonOptions.WriteJson(context, result);
                return 0;
            }
            if (result.Items == 0) throw new CliException($"{sideA.Name} and {sideB.Name} have no items answered by both (without error)");
            var verdict = result.Significant
                ? $"[green]significant[/]: {Markup.Escape(result.Difference > 0 ? result.ModelA : result.ModelB)} is better"
                : "[yellow]not significant[/]: the data do not show a difference";
            context.Console.MarkupLine(CultureInfo.InvariantCulture,
                $"{Markup.Escape(result.ModelA)} {result.MeanA * 100:0.0}% vs {Markup.Escape(result.ModelB)} {result.MeanB * 100:0.0}% on {result.Items} shared items");
            context.Console.MarkupLine(CultureInfo.InvariantCulture,
                $"difference {result.Difference * 100:+0.0;-0.0;0.0} points, 95% paired bootstrap CI [[{result.DifferenceCi.Low * 100:0.0}, {result.DifferenceCi.High * 100:0.0}]]; McNemar exact p = {result.McNemarP:0.####} ({result.OnlyAWins} vs {result.OnlyBWins} discordant)");
            context.Console.MarkupLine(verdict);
            return 0;
        });
        return command;
    }

    private static Dictionary<string, double> ScoresOf(IReadOnlyList<ResponseRecord> responses, RunRecord run, string model)
    {
        if (run.Contestants.All(c => c.Name != model))
            throw new CliException($"run {run.Id[..12]} has no model '{model}'; it has {string.Join(", ", run.Contestants.Select(c => c.Name))}");
        return responses.Where(r => r.Contestant == model && r.Status == ResponseStatus.Ok && r.Score is not null).ToDictionary(r => r.ItemId, r => r.Score!.Value);
    }

    private static async Task<(string, Dictionary<string, double>)> TopModelScoresAsync(IRaceStore store, RunRecord run, CancellationToken ct)
    {
        var rows = await BuildRowsAsync(store, run, ct);
        var top = rows[0].Model;
        return ($"{top} ({run.Id[..8]})", ScoresOf(await store.LoadResponsesAsync(run.Id, ct), run, top));
    }

    private static void RenderTable(CliContext context, RunRecord run, IReadOnlyList<LeaderboardRow> rows)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"{Markup.Escape(run.SuiteName)} · run {Markup.Escape(run.Id[..12])} · {run.ItemCount} items")
            .AddColumn(new TableColumn("rank").RightAligned()).AddColumn("model").AddColumn("open/closed")
            .AddColumn(new TableColumn("score ± 95% CI").RightAligned()).AddColumn(new TableColumn("items").RightAligned())
            .AddColumn(new TableColumn("errors").RightAligned()).AddColumn(new TableColumn("mean ms").RightAligned())
            .AddColumn(new TableColumn("p95 ms").RightAligned()).AddColumn(new TableColumn("out tok/s").RightAligned())
            .AddColumn(new TableColumn("cost").RightAligned()).AddColumn(new TableColumn("cost/correct").RightAligned());
        foreach (var r in rows)
            table.AddRow(
                r.Rank.ToString(CultureInfo.InvariantCulture), Markup.Escape(r.Model), r.OpenWeights ? "[green]open[/]" : "closed",
                Markup.Escape(LeaderboardExport.ScoreText(r)), r.Items.ToString(CultureInfo.InvariantCulture),
                r.Errors > 0 ? $"[red]{r.Errors}[/]" : "0",
                r.MeanLatencyMs?.ToString("0", CultureInfo.InvariantCulture) ?? "-", r.P95LatencyMs?.ToString("0", CultureInfo.InvariantCulture) ?? "-",
                r.OutputTokensPerSecond?.ToString("0.0", CultureInfo.InvariantCulture) ?? "-",
                Markup.Escape(LeaderboardExport.Money(r.TotalCost, r.Currency)), Markup.Escape(LeaderboardExport.Money(r.CostPerCorrect, r.Currency)));
        context.Console.Write(table);
        if (rows.Any(r => r.Missing > 0)) context.Console.MarkupLine("[yellow]Some items are not answered yet (interrupted run); rerun the race to finish it.[/]");
    }
}

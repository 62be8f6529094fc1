using System.CommandLine;
using System.Globalization;
using ModelRace.Local.Gguf;
using ModelRace.Local.Model;
using ModelRace.Local.Runtime;
using Spectre.Console;

namespace ModelRace.Cli.Commands;

/// <summary>
/// `modelrace bench --model FILE.gguf`: prompt-processing and generation speed of the in-process runtime, measured and
/// printed the way llama.cpp's llama-bench does, so that the two can be set side by side (--compare).
/// </summary>
internal static class BenchCommands
{
    private const int Seed = 42;

    private sealed record Plan(string ModelPath, IReadOnlyList<int> Threads, IReadOnlyList<SpeedTest> Tests, int Repetitions);

    public static Command Create(CliContext context)
    {
        var model = new Option<string>("--model", "-m") { Description = "GGUF model file (llama, qwen2 or qwen3 architecture).", Required = true };
        var prompt = new Option<string>("-p", "--n-prompt") { Description = "Prompt lengths to process, comma-separated (0: no prompt test).", DefaultValueFactory = _ => "128" };
        var generate = new Option<string>("-n", "--n-gen") { Description = "Tokens to generate, comma-separated (0: no generation test).", DefaultValueFactory = _ => "64" };
        var threads = new Option<string?>("-t", "--threads") { Description = "Thread counts, comma-separated; default: one per logical processor." };
        var repetitions = new Option<int>("-r", "--repetitions") { Description = "Timed runs of each test, after one untimed warm-up.", DefaultValueFactory = _ => 3 };
        var batch = new Option<string>("--batch") { Description = $"Sequences decoding together in the generation test, comma-separated (1 to {Transformer.MaxBatch}).", DefaultValueFactory = _ => "1" };
        var compare = new Option<string?>("--compare") { Description = "llama-bench JSON output (`llama-bench -o json`) to compare with: adds llama.cpp t/s and ratio columns." };
        var json = CommonOptions.Json();
        var command = new Command("bench", "Measure the local runtime's prompt and generation speed (tokens/s) like llama.cpp's llama-bench.")
        {
            model, prompt, generate, threads, repetitions, batch, compare, json,
        };
        command.SetAction(parse =>
        {
            var modelPath = Path.GetFullPath(parse.GetValue(model)!, context.WorkingDirectory);
            if (!File.Exists(modelPath)) throw new CliException($"model file '{modelPath}' does not exist");
            var reps = parse.GetValue(repetitions);
            if (reps < 1) throw new CliException($"-r must be at least 1, not {reps}");
            var plan = new Plan(modelPath, ParseThreads(parse.GetValue(threads)),
                Tests(ParseList("-p", parse.GetValue(prompt)!, 0), ParseList("-n", parse.GetValue(generate)!, 0), ParseBatch(parse.GetValue(batch)!)), reps);
            var llamaCpp = parse.GetValue(compare) is { } comparePath ? LlamaBenchResults.Read(Path.GetFullPath(comparePath, context.WorkingDirectory)) : null;
            var (summary, config) = Describe(plan.ModelPath);
            // The budget counts the largest cache one run holds; caches of earlier runs are garbage by then.
            var memoryBudget = new BenchMemory(null, summary.FileBytes, plan.Tests.Max(t => t.CacheBytes(config)));

            var asJson = parse.GetValue(json);
            var results = asJson ? RunReportingToStderr(context, plan) : RunWithProgress(context, plan);
            var report = new BenchReport(summary, reps, Rows(results, llamaCpp), memoryBudget with { PeakResidentBytes = SpeedBench.PeakResidentBytes() });
            if (asJson) CommonOptions.WriteJson(context, report.ToJson());
            else report.Render(context.Console);
            return 0;
        });
        return command;
    }

    private static List<SpeedTest> Tests(IReadOnlyList<int> prompts, IReadOnlyList<int> generated, IReadOnlyList<int> batches)
    {
        var tests = prompts.Where(p => p > 0).Select(p => new SpeedTest(p, 0))
            .Concat(generated.Where(n => n > 0).SelectMany(n => batches.Select(b => new SpeedTest(0, n, b))))
            .Distinct().ToList();
        if (tests.Count == 0) throw new CliException("nothing to measure: -p and -n are both 0");
        return tests;
    }

    /// <summary>Reads the header alone, so that a file the runtime cannot run is refused before any loading.</summary>
    private static (GgufModelSummary Summary, ModelConfig Config) Describe(string path)
    {
        try
        {
            using var gguf = GgufFile.Open(path);
            return (GgufModelSummary.Describe(gguf), ModelConfig.FromGguf(gguf));
        }
        catch (Exception e) when (e is GgufFormatException or NotSupportedException)
        {
            throw new CliException($"cannot load '{path}': {e.Message}");
        }
    }

    private static Transformer Load(string path, int threads)
    {
        try
        {
            return Transformer.Load(path, threads);
        }
        catch (Exception e) when (e is GgufFormatException or NotSupportedException)
        {
            throw new CliException($"cannot load '{path}': {e.Message}");
        }
    }

    /// <summary>Each thread count gets its own model, loaded once and run through every test.</summary>
    private static List<SpeedResult> Run(CliContext context, Plan plan, Action<int, SpeedTest>? starting, Action<int, SpeedTest, int>? repetitionDone)
    {
        var results = new List<SpeedResult>();
        foreach (var threads in plan.Threads)
        {
            // The previous thread count's model is disposed by now; collect its buffers before the next one allocates
            // its own, so the two never count together in the peak.
            GC.Collect();
            using var transformer = Load(plan.ModelPath, threads);
            foreach (var test in plan.Tests)
            {
                context.Cancellation.ThrowIfCancellationRequested();
                // The previous test's caches are garbage now; collect them so the memory figure is this test's own,
                // as llama-bench frees its context between tests.
                GC.Collect();
                starting?.Invoke(threads, test);
                results.Add(SpeedBench.Run(transformer, test, plan.Repetitions, Seed, done =>
                {
                    repetitionDone?.Invoke(threads, test, done);
                    context.Cancellation.ThrowIfCancellationRequested();
                }));
            }
        }
        return results;
    }

    private static List<SpeedResult> RunWithProgress(CliContext context, Plan plan)
    {
        List<SpeedResult> results = [];
        context.Console.Progress().AutoClear(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(progress =>
            {
                var tasks = plan.Threads.SelectMany(t => plan.Tests.Select(test => (t, test)))
                    .ToDictionary(key => key, key => progress.AddTask(TaskLabel(key.test, key.t), autoStart: false, maxValue: plan.Repetitions));
                results = Run(context, plan, (t, test) => tasks[(t, test)].StartTask(), (t, test, done) => tasks[(t, test)].Value = done);
            });
        return results;
    }

    /// <summary>With --json stdout is for the JSON alone; a line per finished test on stderr shows the run is alive.</summary>
    private static List<SpeedResult> RunReportingToStderr(CliContext context, Plan plan) =>
        Run(context, plan, null, (t, test, done) =>
        {
            if (done == plan.Repetitions) context.Error.WriteLine($"{TaskLabel(test, t)}: done");
        });

    private static string TaskLabel(SpeedTest test, int threads) => $"{test.Name}, {threads} thread{(threads == 1 ? "" : "s")}";

    private static List<BenchRow> Rows(List<SpeedResult> results, IReadOnlyList<LlamaBenchEntry>? llamaCpp) =>
        results.Select(r =>
        {
            var single = r.Test.Sequences > 1
                ? results.FirstOrDefault(o => o.Threads == r.Threads && o.Test == r.Test with { Sequences = 1 })
                : null;
            var theirs = llamaCpp is null ? null : LlamaBenchResults.Match(llamaCpp, r.Test, r.Threads);
            return new BenchRow(r, single is { Mean: > 0 } ? r.Mean / single.Mean : null, theirs?.AverageTokensPerSecond);
        }).ToList();

    private static List<int> ParseThreads(string? text)
    {
        if (text is null) return [Environment.ProcessorCount];
        var threads = ParseList("-t", text, 1);
        return threads.Distinct().ToList();
    }

    private static List<int> ParseBatch(string text)
    {
        var batches = ParseList("--batch", text, 1);
        if (batches.FirstOrDefault(b => b > Transformer.MaxBatch) is > 0 and var tooMany)
            throw new CliException($"--batch {tooMany} is above the runtime's most sequences per step, {Transformer.MaxBatch}");
        return batches;
    }

    /// <summary>llama-bench's comma lists: "128,512".</summary>
    private static List<int> ParseList(string option, string text, int minimum)
    {
        var items = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new List<int>();
        foreach (var item in items)
        {
            if (!int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < minimum)
                throw new CliException($"{option} '{text}' is not a comma-separated list of whole numbers of at least {minimum}");
            values.Add(value);
        }
        return values;
    }
}

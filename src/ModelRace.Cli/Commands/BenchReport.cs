using System.Globalization;
using ModelRace.Local.Gguf;
using ModelRace.Local.Runtime;
using Spectre.Console;

namespace ModelRace.Cli.Commands;

/// <summary>One measured row, with what it is compared against: batch 1 of the same test, and llama.cpp's figure.</summary>
internal sealed record BenchRow(SpeedResult Result, double? SpeedUpOverBatch1, double? LlamaCppTokensPerSecond)
{
    public double? Ratio => LlamaCppTokensPerSecond is > 0 ? Result.Mean / LlamaCppTokensPerSecond : null;
}

/// <summary>Peak resident memory against the budget the runtime promises: the file, the largest KV cache, and 10% slack.</summary>
internal sealed record BenchMemory(long? PeakResidentBytes, long FileBytes, long KvCacheBytes)
{
    public long BudgetBytes => (long)((FileBytes + KvCacheBytes) * 1.1);
    public bool? WithinBudget => PeakResidentBytes is { } peak ? peak <= BudgetBytes : null;
}

/// <summary>`modelrace bench` output: a table in llama-bench's shape, or JSON with llama-bench's field names.</summary>
internal sealed record BenchReport(GgufModelSummary Model, int Repetitions, IReadOnlyList<BenchRow> Rows, BenchMemory Memory)
{
    /// <summary>llama-bench's model column: architecture, rough parameter count, dominant weight type ("llama 1.1B Q8_0").</summary>
    public string ModelLabel =>
        $"{Model.Architecture ?? "?"} {RoughSize(Model.ParameterCount)} {(Model.TypeMix.Count > 0 ? Model.TypeMix[0].Type.ToString() : "?")}";

    public void Render(IAnsiConsole console)
    {
        var batched = Rows.Any(r => r.SpeedUpOverBatch1 is not null);
        var compared = Rows.Any(r => r.LlamaCppTokensPerSecond is not null);
        var table = new Table().Border(TableBorder.Markdown)
            .AddColumn("model").AddColumn(Right("size")).AddColumn(Right("params")).AddColumn(Right("threads"))
            .AddColumn(Right("test")).AddColumn(Right("t/s"));
        if (batched) table.AddColumn(Right("vs batch 1"));
        if (compared) table.AddColumn(Right("llama.cpp t/s")).AddColumn(Right("ratio"));
        foreach (var row in Rows)
        {
            var r = row.Result;
            var cells = new List<string>
            {
                Markup.Escape(ModelLabel), InspectCommands.Bytes(Model.FileBytes), Params(Model.ParameterCount),
                r.Threads.ToString(CultureInfo.InvariantCulture), Markup.Escape(r.Test.Name), Invariant($"{r.Mean:0.00} ± {r.StandardDeviation:0.00}"),
            };
            if (batched) cells.Add(row.SpeedUpOverBatch1 is { } s ? Invariant($"×{s:0.00}") : "");
            if (compared)
            {
                cells.Add(row.LlamaCppTokensPerSecond is { } theirs ? Invariant($"{theirs:0.00}") : "");
                cells.Add(row.Ratio is { } ratio ? Invariant($"{ratio:0.00}") : "");
            }
            table.AddRow(cells.ToArray());
        }
        console.Write(table);
        console.WriteLine();
        console.MarkupLine(MemoryLine());
    }

    private string MemoryLine()
    {
        var budget = Invariant($"budget {InspectCommands.Bytes(Memory.BudgetBytes)} (file {InspectCommands.Bytes(Memory.FileBytes)} + KV cache {InspectCommands.Bytes(Memory.KvCacheBytes)} + 10%)");
        return Memory.PeakResidentBytes is { } peak
            ? $"peak resident memory {InspectCommands.Bytes(peak)}, {budget}: " + (Memory.WithinBudget == true ? "[green]within budget[/]" : "[red]over budget[/]")
            : $"peak resident memory: not reported on this platform; {budget}";
    }

    public object ToJson() => new
    {
        Model = new
        {
            Model.Path, Label = ModelLabel, Model.Architecture, SizeBytes = Model.FileBytes, Parameters = Model.ParameterCount,
            Type = Model.TypeMix.Count > 0 ? Model.TypeMix[0].Type.ToString() : null,
        },
        Repetitions,
        Results = Rows.Select(row => new
        {
            Test = row.Result.Test.Name,
            NPrompt = row.Result.Test.PromptTokens,
            NGen = row.Result.Test.GeneratedTokens,
            row.Result.Test.Sequences,
            NThreads = row.Result.Threads,
            AvgTs = row.Result.Mean,
            StddevTs = row.Result.StandardDeviation,
            SamplesTs = row.Result.Samples,
            SpeedupVsBatch1 = row.SpeedUpOverBatch1,
            LlamaCppTs = row.LlamaCppTokensPerSecond,
            row.Ratio,
        }),
        Memory = new { Memory.PeakResidentBytes, Memory.BudgetBytes, Memory.FileBytes, Memory.KvCacheBytes, Memory.WithinBudget },
    };

    private static TableColumn Right(string header) => new TableColumn(header).RightAligned();

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Params(long n) => n >= 1_000_000_000 ? Invariant($"{n / 1e9:0.00} B") : Invariant($"{n / 1e6:0.00} M");

    private static string RoughSize(long n) => n switch
    {
        >= 1_000_000_000 => Invariant($"{n / 1e9:0.#}B"),
        >= 1_000_000 => Invariant($"{n / 1e6:0}M"),
        _ => Invariant($"{n / 1e3:0}K"),
    };
}

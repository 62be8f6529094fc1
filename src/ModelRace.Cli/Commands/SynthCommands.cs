using System.CommandLine;
using System.Diagnostics;
using ModelRace.Local.Gguf;
using ModelRace.Local.Synth;
using Spectre.Console;

namespace ModelRace.Cli.Commands;

/// <summary>`modelrace synth`: write a llama-family GGUF model with random weights and a real tokenizer, for tests and benchmarks.</summary>
internal static class SynthCommands
{
    public static Command Create(CliContext context)
    {
        var output = new Argument<string>("out") { Description = "The GGUF file to write." };
        var arch = new Option<string>("--arch") { Description = "llama, qwen2 (adds q/k/v biases) or qwen3 (adds per-head q/k norms).", DefaultValueFactory = _ => "llama" };
        var embd = new Option<int>("--embd") { Description = "Embedding length (n_embd).", Required = true };
        var layers = new Option<int>("--layers") { Description = "Number of transformer blocks.", Required = true };
        var heads = new Option<int>("--heads") { Description = "Attention heads.", Required = true };
        var kvHeads = new Option<int?>("--kv-heads") { Description = "Key/value heads (grouped-query attention); default: --heads." };
        var ff = new Option<int>("--ff") { Description = "Feed-forward length.", Required = true };
        var headDim = new Option<int?>("--head-dim") { Description = "Per-head width (qwen3 only may differ from embd / heads)." };
        var vocabFrom = new Option<string>("--vocab-from") { Description = "A GGUF file whose tokenizer.* metadata (vocabulary, merges, template) is copied.", Required = true };
        var type = new Option<string>("--type") { Description = "Weight type: f32, f16, bf16, q8_0, q4_0, q5_0, q4_k, q5_k or q6_k (norms stay F32).", DefaultValueFactory = _ => "f16" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the random weights; the same seed gives the same file.", DefaultValueFactory = _ => 1 };
        var tied = new Option<bool>("--tied") { Description = "No output.weight: the output head reuses token_embd." };
        var contextLength = new Option<int>("--ctx") { Description = "Context length recorded in the metadata.", DefaultValueFactory = _ => 2048 };
        var force = new Option<bool>("--force") { Description = "Overwrite OUT if it exists." };
        var json = CommonOptions.Json();
        var command = new Command("synth", "Write a llama/qwen2/qwen3 GGUF model of any shape with seeded random weights (a testing and benchmarking aid).")
        {
            output, arch, embd, layers, heads, kvHeads, ff, headDim, vocabFrom, type, seed, tied, contextLength, force, json,
        };
        command.SetAction(parse =>
        {
            var spec = new SynthSpec
            {
                Architecture = parse.GetValue(arch)!.ToLowerInvariant(),
                EmbeddingLength = parse.GetValue(embd),
                Layers = parse.GetValue(layers),
                Heads = parse.GetValue(heads),
                KvHeads = parse.GetValue(kvHeads),
                FeedForwardLength = parse.GetValue(ff),
                HeadDimension = parse.GetValue(headDim),
                WeightType = ParseType(parse.GetValue(type)!),
                Seed = parse.GetValue(seed),
                TiedOutput = parse.GetValue(tied),
                ContextLength = parse.GetValue(contextLength),
            };
            try
            {
                spec.Validate();
            }
            catch (ArgumentException e)
            {
                throw new CliException(e.Message);
            }
            var outPath = Path.GetFullPath(parse.GetValue(output)!, context.WorkingDirectory);
            if (File.Exists(outPath) && !parse.GetValue(force)) throw new CliException($"{outPath} exists; pass --force to overwrite it");
            if (Path.GetDirectoryName(outPath) is { } dir && !Directory.Exists(dir)) throw new CliException($"directory {dir} does not exist");
            using var vocabulary = OpenVocabulary(context, parse.GetValue(vocabFrom)!);

            var clock = Stopwatch.StartNew();
            if (parse.GetValue(json))
                ModelSynthesizer.WriteFile(spec, vocabulary, outPath, null, context.Cancellation);
            else
                context.Console.Progress().AutoClear(false).Columns(
                        new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
                    .Start(progress =>
                    {
                        var task = progress.AddTask($"writing {Path.GetFileName(outPath)}");
                        ModelSynthesizer.WriteFile(spec, vocabulary, outPath, new InlineProgress(p =>
                        {
                            task.MaxValue = p.TotalBytes;
                            task.Value = p.BytesWritten;
                        }), context.Cancellation);
                    });
            clock.Stop();

            var bytes = new FileInfo(outPath).Length;
            var parameters = ModelSynthesizer.Plan(spec, vocabulary.GetArray("tokenizer.ggml.tokens")!.Items.Count).Sum(t => t.Dimensions.Aggregate(1L, (a, b) => a * b));
            if (parse.GetValue(json))
                CommonOptions.WriteJson(context, new { Path = outPath, Bytes = bytes, Parameters = parameters, Seconds = Math.Round(clock.Elapsed.TotalSeconds, 3) });
            else
                context.Console.MarkupLine($"Wrote [bold]{Markup.Escape(outPath)}[/]: {spec.Architecture}, {parameters:N0} parameters, {InspectCommands.Bytes(bytes)} in {clock.Elapsed.TotalSeconds:0.0} s.");
            return 0;
        });
        return command;
    }

    private static GgmlType ParseType(string text)
    {
        if (Enum.TryParse<GgmlType>(text, ignoreCase: true, out var type) && SynthSpec.WeightTypes.Contains(type)) return type;
        throw new CliException($"--type '{text}' is not one of {string.Join(", ", SynthSpec.WeightTypes.Select(t => t.ToString().ToLowerInvariant()))}");
    }

    private static GgufFile OpenVocabulary(CliContext context, string path)
    {
        var full = Path.GetFullPath(path, context.WorkingDirectory);
        if (!File.Exists(full)) throw new CliException($"--vocab-from: no such file: {full}");
        GgufFile file;
        try
        {
            file = GgufFile.Open(full);
        }
        catch (GgufFormatException e)
        {
            throw new CliException($"--vocab-from: cannot read GGUF: {e.Message}");
        }
        if (file.GetArray("tokenizer.ggml.tokens") is null)
        {
            file.Dispose();
            throw new CliException($"--vocab-from: {full} has no tokenizer.ggml.tokens, so it cannot lend a vocabulary");
        }
        return file;
    }

    /// <summary>Reports on the writing thread at once (Progress&lt;T&gt; would post to a context that a console app lacks).</summary>
    private sealed class InlineProgress(Action<SynthProgress> report) : IProgress<SynthProgress>
    {
        public void Report(SynthProgress value) => report(value);
    }
}

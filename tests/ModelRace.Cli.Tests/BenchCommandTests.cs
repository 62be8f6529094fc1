using System.Text.Json;
using ModelRace.Local.Gguf;
using ModelRace.Local.Synth;

namespace ModelRace.Cli.Tests;

public sealed class BenchCommandTests : IDisposable
{
    private readonly CliHarness _cli = new();
    private readonly string _model;

    /// <summary>A random-weight llama small enough to bench in milliseconds: 1 layer, 2 heads sharing 1 KV head of 32.</summary>
    public BenchCommandTests()
    {
        using var vocabulary = GgufFile.Open(GgufTestVocabulary.Write(Path.Combine(_cli.WorkDir, "vocab.gguf")));
        var spec = new SynthSpec { EmbeddingLength = 64, Layers = 1, Heads = 2, KvHeads = 1, FeedForwardLength = 128, WeightType = GgmlType.Q8_0 };
        _model = Path.Combine(_cli.WorkDir, "tiny.gguf");
        ModelSynthesizer.WriteFile(spec, vocabulary, _model, null, TestContext.Current.CancellationToken);
    }

    public void Dispose() => _cli.Dispose();

    /// <summary>One thread and two repetitions unless the test says otherwise.</summary>
    private Task<CliHarness.Result> Bench(params string[] args) =>
        _cli.RunAsync(["bench", "--model", _model, .. args.Contains("-t") ? [] : new[] { "-t", "1" }, .. args.Contains("-r") ? [] : new[] { "-r", "2" }, .. args]);

    private static JsonElement Results(CliHarness.Result result) => JsonDocument.Parse(result.Out).RootElement.GetProperty("results");

    private static JsonElement Row(JsonElement results, string test) => results.EnumerateArray().Single(r => r.GetProperty("test").GetString() == test);

    [Fact]
    public async Task Table_has_llama_bench_columns_a_row_per_test_and_the_memory_line()
    {
        var result = await Bench("-p", "16", "-n", "8");
        Assert.True(result.ExitCode == 0, result.Error);
        TestContext.Current.TestOutputHelper?.WriteLine(result.Console);
        var lines = result.Console.Split('\n');
        var header = Assert.Single(lines, l => l.Contains("| model"));
        Assert.Matches(@"model\s*\|\s*size\s*\|\s*params\s*\|\s*threads\s*\|\s*test\s*\|\s*t/s\s*\|", header);
        Assert.DoesNotContain("llama.cpp", header);
        Assert.Matches(@"\| llama 75K Q8_0\s*\|\s*[\d.]+ KiB\s*\|\s*0\.08 M\s*\|\s*1\s*\|\s*pp16\s*\|\s*[\d.]+ ± [\d.]+\s*\|", result.Console);
        Assert.Matches(@"\|\s*tg8\s*\|\s*[\d.]+ ± [\d.]+\s*\|", result.Console);
        Assert.Matches(@"peak resident memory [\d.]+ [KMG]iB, budget [\d.]+ [KMG]iB \(file [\d.]+ KiB \+ KV cache 4\.0 KiB \+ 10%\): (within|over) budget", result.Console);
    }

    [Fact]
    public async Task Json_reports_each_test_with_positive_speeds_and_the_memory_budget()
    {
        var result = await Bench("-p", "16", "-n", "8", "--json");
        Assert.True(result.ExitCode == 0, result.Error);
        var root = JsonDocument.Parse(result.Out).RootElement;
        Assert.Equal("llama 75K Q8_0", root.GetProperty("model").GetProperty("label").GetString());
        Assert.Equal(new FileInfo(_model).Length, root.GetProperty("model").GetProperty("size_bytes").GetInt64());
        Assert.Equal(2, root.GetProperty("repetitions").GetInt32());
        var prompt = Row(root.GetProperty("results"), "pp16");
        Assert.Equal(16, prompt.GetProperty("n_prompt").GetInt32());
        Assert.Equal(0, prompt.GetProperty("n_gen").GetInt32());
        var generation = Row(root.GetProperty("results"), "tg8");
        Assert.Equal(8, generation.GetProperty("n_gen").GetInt32());
        foreach (var row in new[] { prompt, generation })
        {
            Assert.Equal(1, row.GetProperty("n_threads").GetInt32());
            Assert.True(row.GetProperty("avg_ts").GetDouble() > 0);
            Assert.True(row.GetProperty("stddev_ts").GetDouble() >= 0);
            Assert.Equal(2, row.GetProperty("samples_ts").GetArrayLength());
            Assert.False(row.TryGetProperty("ratio", out _));
        }
        var memory = root.GetProperty("memory");
        Assert.Equal(2 * 1 * 16 * 32 * 4, memory.GetProperty("kv_cache_bytes").GetInt64()); // pp16's cache is the largest
        Assert.Equal((long)((new FileInfo(_model).Length + 4096) * 1.1), memory.GetProperty("budget_bytes").GetInt64());
        var peak = memory.GetProperty("peak_resident_bytes").GetInt64();
        Assert.True(peak > 0);
        Assert.Equal(peak <= memory.GetProperty("budget_bytes").GetInt64(), memory.GetProperty("within_budget").GetBoolean());
        Assert.Contains("tg8, 1 thread: done", result.Error);
    }

    [Fact]
    public async Task Batch_adds_a_row_per_sequence_count_with_its_speed_up_over_batch_1()
    {
        var json = await Bench("-p", "0", "-n", "8", "--batch", "1,4", "--json");
        Assert.True(json.ExitCode == 0, json.Error);
        var results = Results(json);
        Assert.Equal(["tg8", "tg8×4"], results.EnumerateArray().Select(r => r.GetProperty("test").GetString()));
        var batched = Row(results, "tg8×4");
        Assert.Equal(4, batched.GetProperty("sequences").GetInt32());
        Assert.Equal(batched.GetProperty("avg_ts").GetDouble() / Row(results, "tg8").GetProperty("avg_ts").GetDouble(),
            batched.GetProperty("speedup_vs_batch1").GetDouble(), 9);
        Assert.Equal(2 * 4 * 8 * 32 * 4, JsonDocument.Parse(json.Out).RootElement.GetProperty("memory").GetProperty("kv_cache_bytes").GetInt64());

        var table = await Bench("-p", "0", "-n", "8", "--batch", "1,4");
        Assert.Contains("vs batch 1", table.Console);
        Assert.Matches(@"\|\s*tg8×4\s*\|\s*[\d.]+ ± [\d.]+\s*\|\s*×[\d.]+\s*\|", table.Console);
    }

    [Fact]
    public async Task Compare_puts_llama_bench_figures_and_ratios_beside_matching_rows()
    {
        // The shape of `llama-bench -o json`, trimmed to the fields the comparison reads plus a few it ignores; a test run
        // at depth (prompt after 512 cached tokens) is not ours, and older builds write no n_depth at all.
        File.WriteAllText(Path.Combine(_cli.WorkDir, "llama-bench.json"), """
            [
              { "model_type": "llama 7K Q8_0", "model_size": 20000, "n_threads": 1, "n_prompt": 16, "n_gen": 0, "n_depth": 512, "avg_ts": 150.0, "stddev_ts": 2.5 },
              { "model_type": "llama 7K Q8_0", "model_size": 20000, "n_threads": 1, "n_prompt": 16, "n_gen": 0, "n_depth": 0, "avg_ts": 200.0, "stddev_ts": 2.5 },
              { "model_type": "llama 7K Q8_0", "model_size": 20000, "n_threads": 1, "n_prompt": 0, "n_gen": 8, "avg_ts": 50.0, "stddev_ts": 1.0 },
              { "model_type": "llama 7K Q8_0", "model_size": 20000, "n_threads": 4, "n_prompt": 0, "n_gen": 8, "avg_ts": 99.0, "stddev_ts": 1.0 }
            ]
            """);
        var json = await Bench("-p", "16", "-n", "8", "--batch", "1,2", "--compare", "llama-bench.json", "--json");
        Assert.True(json.ExitCode == 0, json.Error);
        var results = Results(json);
        var prompt = Row(results, "pp16");
        Assert.Equal(200.0, prompt.GetProperty("llama_cpp_ts").GetDouble());
        Assert.Equal(prompt.GetProperty("avg_ts").GetDouble() / 200.0, prompt.GetProperty("ratio").GetDouble(), 9);
        var generation = Row(results, "tg8");
        Assert.Equal(50.0, generation.GetProperty("llama_cpp_ts").GetDouble());
        Assert.Equal(generation.GetProperty("avg_ts").GetDouble() / 50.0, generation.GetProperty("ratio").GetDouble(), 9);
        Assert.False(Row(results, "tg8×2").TryGetProperty("llama_cpp_ts", out _)); // llama-bench has no batched decoding test

        var table = await Bench("-p", "16", "-n", "0", "--compare", "llama-bench.json");
        Assert.Matches(@"\|\s*t/s\s*\|\s*llama\.cpp t/s\s*\|\s*ratio\s*\|", table.Console);
        Assert.Matches(@"\|\s*pp16\s*\|\s*[\d.]+ ± [\d.]+\s*\|\s*200\.00\s*\|\s*[\d.]+\s*\|", table.Console);
    }

    [Theory]
    [InlineData("-r", "0", "-r must be at least 1")]
    [InlineData("--batch", "1,65", "--batch 65 is above the runtime's most sequences per step, 64")]
    [InlineData("-p", "128,x", "-p '128,x' is not a comma-separated list")]
    [InlineData("-n", "-5", "-n '-5' is not a comma-separated list")]
    [InlineData("-t", "0", "-t '0' is not a comma-separated list of whole numbers of at least 1")]
    [InlineData("--batch", "", "--batch '' is not a comma-separated list")]
    public async Task Bad_options_are_refused_before_anything_runs(string option, string value, string message)
    {
        var result = await Bench(option, value);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.Error);
        Assert.DoesNotContain("t/s", result.Console);
    }

    [Fact]
    public async Task Nothing_to_measure_missing_and_unreadable_models_are_clear_errors()
    {
        var nothing = await Bench("-p", "0", "-n", "0");
        Assert.Contains("nothing to measure", nothing.Error);

        var missing = await _cli.RunAsync("bench", "--model", "absent.gguf");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("absent.gguf' does not exist", missing.Error);

        var junk = Path.Combine(_cli.WorkDir, "junk.gguf");
        File.WriteAllText(junk, "this is a text file and not a GGUF model at all");
        var bad = await _cli.RunAsync("bench", "--model", junk);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("cannot load", bad.Error);
    }

    [Theory]
    [InlineData(null, "cannot read")]
    [InlineData("not json {", "it is not even JSON")]
    [InlineData("""{ "n_prompt": 16 }""", "its top level is a JSON object")]
    [InlineData("[]", "holds no llama-bench results")]
    [InlineData("""[{ "n_prompt": 16, "n_gen": 0, "n_threads": 1 }]""", "entry 0 has no numeric avg_ts")]
    [InlineData("""[{ "n_prompt": 16, "n_gen": 0, "n_threads": "1", "avg_ts": 3 }]""", "entry 0 has no numeric n_threads")]
    [InlineData("""[{ "n_prompt": 16, "n_gen": 0, "n_depth": null, "n_threads": 1, "avg_ts": 3 }]""", "entry 0 has no numeric n_depth")]
    public async Task Compare_refuses_files_that_are_not_llama_bench_json(string? content, string message)
    {
        var path = Path.Combine(_cli.WorkDir, "compare.json");
        if (content is not null) File.WriteAllText(path, content);
        var result = await Bench("-p", "16", "-n", "0", "--compare", content is null ? "absent.json" : path);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--compare:", result.Error);
        Assert.Contains(message, result.Error);
    }
}

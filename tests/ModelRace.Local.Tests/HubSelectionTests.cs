using ModelRace.Local.Hub;

namespace ModelRace.Local.Tests;

/// <summary>Model specs, file choice by quantization, and settings from the environment.</summary>
public sealed class HubSelectionTests
{
    private static readonly HubFile[] QwenRepo =
    [
        new(".gitattributes", 1500, null),
        new("README.md", 4000, null),
        new("qwen2.5-0.5b-instruct-fp16.gguf", 1_270_000_000, new string('a', 64)),
        new("qwen2.5-0.5b-instruct-q2_k.gguf", 415_000_000, new string('b', 64)),
        new("qwen2.5-0.5b-instruct-q4_0.gguf", 429_000_000, new string('c', 64)),
        new("qwen2.5-0.5b-instruct-q4_k_m.gguf", 491_000_000, new string('d', 64)),
        new("qwen2.5-0.5b-instruct-q5_k_m.gguf", 522_000_000, new string('e', 64)),
        new("qwen2.5-0.5b-instruct-q8_0.gguf", 676_000_000, new string('f', 64)),
    ];

    [Theory]
    [InlineData("Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M", "Qwen/Qwen2.5-0.5B-Instruct-GGUF", null, "Q4_K_M")]
    [InlineData("hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF:q8_0", "Qwen/Qwen2.5-0.5B-Instruct-GGUF", null, "q8_0")]
    [InlineData("owner/repo:model-Q4_K_M.gguf", "owner/repo", "model-Q4_K_M.gguf", null)]
    [InlineData("hf:owner/repo/sub/model.gguf", "owner/repo", "sub/model.gguf", null)]
    [InlineData("owner/repo", "owner/repo", null, null)]
    public void Specs_name_a_repo_and_a_file_or_quantization(string text, string repo, string? file, string? quant)
    {
        Assert.True(HubModelSpec.TryParse(text, out var spec));
        Assert.Equal(new HubModelSpec(repo, file, quant), spec);
    }

    [Theory]
    [InlineData("just-a-name")]
    [InlineData("owner/repo:")]
    [InlineData("owner/repo:../../etc/passwd")]
    [InlineData("owner/repo/../x.gguf")]
    [InlineData("-bad/repo")]
    public void Malformed_specs_are_rejected_with_the_accepted_forms(string text)
    {
        Assert.False(HubModelSpec.TryParse(text, out _));
        var error = Assert.Throws<HubException>(() => HubModelSpec.Parse(text));
        Assert.Contains("owner/repo:QUANT", error.Message);
    }

    [Fact]
    public void The_default_local_model_selects_its_q4_k_m_file()
    {
        var file = HubFileSelector.Select(HubModelSpec.Parse(ModelResolver.DefaultLocalModel), QwenRepo);
        Assert.Equal(ModelResolver.DefaultLocalModelFile, file.Path);
    }

    [Theory]
    [InlineData("Q8_0", "qwen2.5-0.5b-instruct-q8_0.gguf")]
    [InlineData("fp16", "qwen2.5-0.5b-instruct-fp16.gguf")]
    [InlineData("q4_0", "qwen2.5-0.5b-instruct-q4_0.gguf")]
    public void Quantizations_match_file_names_case_insensitively(string quant, string expected)
    {
        Assert.Equal(expected, HubFileSelector.Select(new HubModelSpec("Qwen/x", null, quant), QwenRepo).Path);
    }

    [Fact]
    public void A_quantization_inside_a_longer_one_prefers_the_bounded_match()
    {
        HubFile[] files = [new("m-q4_k.gguf", 1, null), new("m-q4_k_m.gguf", 1, null)];
        Assert.Equal("m-q4_k.gguf", HubFileSelector.Select(new HubModelSpec("o/r", null, "Q4_K"), files).Path);
    }

    [Fact]
    public void An_ambiguous_quantization_lists_the_candidates()
    {
        var error = Assert.Throws<HubException>(() => HubFileSelector.Select(new HubModelSpec("Qwen/x", null, "K_M"), QwenRepo));
        Assert.Equal(HubErrorKind.AmbiguousFile, error.Kind);
        Assert.Contains("qwen2.5-0.5b-instruct-q4_k_m.gguf", error.Message);
        Assert.Contains("qwen2.5-0.5b-instruct-q5_k_m.gguf", error.Message);
    }

    [Fact]
    public void A_missing_quantization_or_file_lists_the_available_ggufs()
    {
        var error = Assert.Throws<HubException>(() => HubFileSelector.Select(new HubModelSpec("Qwen/x", null, "IQ2_XXS"), QwenRepo));
        Assert.Equal(HubErrorKind.NoMatchingFile, error.Kind);
        Assert.Contains("qwen2.5-0.5b-instruct-q8_0.gguf", error.Message);
        Assert.DoesNotContain("README.md", error.Message);
        Assert.Equal(HubErrorKind.NoMatchingFile, Assert.Throws<HubException>(() => HubFileSelector.Select(new HubModelSpec("Qwen/x", "nope.gguf", null), QwenRepo)).Kind);
        Assert.Equal(HubErrorKind.AmbiguousFile, Assert.Throws<HubException>(() => HubFileSelector.Select(new HubModelSpec("Qwen/x", null, null), QwenRepo)).Kind);
    }

    [Fact]
    public void Environment_sets_endpoint_token_and_cache()
    {
        var env = new Dictionary<string, string> { ["HF_ENDPOINT"] = "http://mirror.example/", ["HF_TOKEN"] = " hf_abc ", ["MODELRACE_HOME"] = "/tmp/mr" };
        var options = HubOptions.FromEnvironment(env.GetValueOrDefault);
        Assert.Equal("http://mirror.example", options.Endpoint);
        Assert.Equal("hf_abc", options.Token);
        Assert.Equal(Path.Combine("/tmp/mr", "cache"), options.CacheDirectory);
        Assert.Equal(Path.Combine("/tmp/mr", "cache", "hub", "o", "r", "d", "f.gguf"), options.CachePath("o/r", "d/f.gguf"));

        var defaults = HubOptions.FromEnvironment(_ => null);
        Assert.Equal("https://huggingface.co", defaults.Endpoint);
        Assert.Null(defaults.Token);
        Assert.EndsWith(Path.Combine(".cache", "modelrace"), defaults.CacheDirectory);
    }
}

using System.CommandLine;
using System.Globalization;
using ModelRace.Local.Chat;
using ModelRace.Local.Chat.Jinja;
using ModelRace.Local.Gguf;
using ModelRace.Local.Model;
using ModelRace.Local.Runtime;
using ModelRace.Local.Sampling;
using ModelRace.Local.Tokenizers;

namespace ModelRace.Cli.Commands;

/// <summary>`modelrace generate --model FILE.gguf PROMPT`: run a GGUF model in-process and stream its continuation.</summary>
internal static class GenerateCommands
{
    public static Command Create(CliContext context)
    {
        var model = new Option<FileInfo>("--model", "-m") { Description = "GGUF model file (llama, qwen2 or qwen3 architecture).", Required = true };
        var raw = new Option<bool>("--raw") { Description = "Feed the prompt as is, without the model's chat template." };
        var temperature = new Option<float>("--temp") { Description = "Sampling temperature; 0 is greedy.", DefaultValueFactory = _ => 0.8f };
        var seed = new Option<int?>("--seed") { Description = "Random seed; the same seed gives the same text." };
        var maxTokens = new Option<int>("-n", "--max-tokens") { Description = "Most tokens to generate.", DefaultValueFactory = _ => 128 };
        var contextLength = new Option<int?>("--ctx") { Description = "Context length in tokens (prompt plus generated); default: the model's, at most 4096." };
        var topK = new Option<int>("--top-k") { Description = "Sample among the k most likely tokens (0: all).", DefaultValueFactory = _ => 40 };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling threshold (1: off).", DefaultValueFactory = _ => 0.95f };
        var minP = new Option<float>("--min-p") { Description = "Drop tokens less likely than this fraction of the best (0: off).", DefaultValueFactory = _ => 0.05f };
        var repeatPenalty = new Option<float>("--repeat-penalty") { Description = "Penalty on recently seen tokens (1: off).", DefaultValueFactory = _ => 1f };
        var stop = new Option<string[]>("--stop") { Description = "Stop when this text appears (repeatable).", AllowMultipleArgumentsPerToken = false };
        var json = CommonOptions.Json();
        var prompt = new Argument<string>("prompt") { Description = "The prompt text (may be empty with --raw: the model starts from BOS)." };
        var command = new Command("generate", "Generate text with a local GGUF model, in-process (no server).")
        {
            model, raw, temperature, seed, maxTokens, contextLength, topK, topP, minP, repeatPenalty, stop, json, prompt,
        };
        command.SetAction(parse =>
        {
            var file = parse.GetValue(model)!;
            if (!file.Exists) throw new CliException($"model file '{file.FullName}' does not exist");
            var sampling = new SamplingOptions
            {
                Temperature = parse.GetValue(temperature), Seed = parse.GetValue(seed), TopK = parse.GetValue(topK), TopP = parse.GetValue(topP),
                MinP = parse.GetValue(minP), RepetitionPenalty = parse.GetValue(repeatPenalty),
            };
            try
            {
                sampling.Validate();
            }
            catch (ArgumentException e)
            {
                throw new CliException(e.Message);
            }
            if (parse.GetValue(maxTokens) < 0) throw new CliException($"-n must be 0 or more, not {parse.GetValue(maxTokens)}");
            if (parse.GetValue(contextLength) is <= 0) throw new CliException($"--ctx must be positive, not {parse.GetValue(contextLength)}");

            Transformer transformer;
            ITokenizer tokenizer;
            try
            {
                transformer = Transformer.Load(file.FullName);
                tokenizer = Tokenizer.FromGguf(transformer.File);
            }
            catch (Exception e) when (e is GgufFormatException or TokenizerException or NotSupportedException)
            {
                throw new CliException($"cannot load '{file.FullName}': {e.Message}");
            }
            using (transformer)
            {
                var promptText = parse.GetValue(prompt) ?? "";
                int[] promptTokens;
                if (parse.GetValue(raw)) promptTokens = tokenizer.Encode(promptText, addSpecial: true);
                else
                {
                    ChatTemplate template;
                    string rendered;
                    try
                    {
                        template = ChatTemplate.ForModel(transformer.File);
                        rendered = template.Render([ChatTemplateMessage.User(promptText)]);
                    }
                    catch (Exception e) when (e is JinjaException or ArgumentException)
                    {
                        throw new CliException($"cannot apply the chat template of '{file.FullName}': {e.Message}; pass --raw to skip it");
                    }
                    // A template that writes BOS itself must not get a second one from the tokenizer.
                    var writesBos = template.BosToken.Length > 0 && rendered.StartsWith(template.BosToken, StringComparison.Ordinal);
                    promptTokens = tokenizer.Encode(rendered, addSpecial: !writesBos, parseSpecial: true);
                }
                if (promptTokens.Length == 0)
                    throw new CliException("the prompt is empty and this model adds no BOS token; give some prompt text");
                var request = new GenerationRequest
                {
                    PromptTokens = promptTokens,
                    MaxTokens = parse.GetValue(maxTokens),
                    Sampling = sampling,
                    StopStrings = parse.GetValue(stop) ?? [],
                    ContextLength = parse.GetValue(contextLength) ?? Math.Min(transformer.Config.TrainedContextLength, 4096),
                };
                var generator = new TextGenerator(transformer, new TokenPieces(transformer.File));
                var asJson = parse.GetValue(json);
                GenerationResult result;
                try
                {
                    result = generator.Generate(request, asJson ? null : piece => { context.Out.Write(piece); context.Out.Flush(); }, context.Cancellation);
                }
                catch (ContextLengthExceededException e)
                {
                    throw new CliException(e.Message);
                }
                if (asJson)
                {
                    CommonOptions.WriteJson(context, new GenerateJson(result.PromptTokens, result.Tokens, result.Text, FinishReason(result.FinishReason)));
                }
                else
                {
                    context.Out.WriteLine();
                    context.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"[{result.PromptTokens.Count} prompt tokens in {result.PromptTime.TotalMilliseconds:F0} ms, {result.Tokens.Count} generated at {result.TokensPerSecond:F1} tokens/s; finished: {FinishReason(result.FinishReason)}]"));
                }
            }
            return 0;
        });
        return command;
    }

    private static string FinishReason(GenerationFinishReason reason) => reason switch
    {
        GenerationFinishReason.Length => "length",
        _ => "stop",
    };

    private sealed record GenerateJson(IReadOnlyList<int> PromptTokens, IReadOnlyList<int> Tokens, string Text, string FinishReason);
}

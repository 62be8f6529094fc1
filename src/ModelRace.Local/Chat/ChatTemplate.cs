using ModelRace.Local.Chat.Jinja;
using ModelRace.Local.Gguf;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace ModelRace.Local.Chat;

/// <summary>
/// Turns a conversation into the exact prompt text a model was trained on, by rendering the model's own
/// Jinja chat template (or a built-in one for files without it) the way Hugging Face's apply_chat_template does.
/// </summary>
public sealed class ChatTemplate
{
    public const string EmbeddedTemplateKey = "tokenizer.chat_template";
    private readonly JinjaTemplate _template;

    /// <summary>"gguf" for the file's own template, "gguf:NAME" for a named one in the file, else the built-in name.</summary>
    public string Name { get; }
    public string Source { get; }
    public string BosToken { get; private init; } = "";
    public string EosToken { get; private init; } = "";
    /// <summary>Feeds strftime_now(), which some templates use to print today's date.</summary>
    public TimeProvider Clock { get; private init; } = TimeProvider.System;

    private ChatTemplate(string name, string source) : this(name, source, JinjaTemplate.Parse(source)) { }

    private ChatTemplate(string name, string source, JinjaTemplate template)
    {
        Name = name;
        Source = source;
        _template = template;
    }

    /// <summary>The same template reading today's date from another clock.</summary>
    public ChatTemplate WithClock(TimeProvider clock) => new(Name, Source, _template) { BosToken = BosToken, EosToken = EosToken, Clock = clock };

    /// <summary>The same template with other BOS and EOS texts (the bos_token and eos_token it sees).</summary>
    public ChatTemplate WithTokens(string bosToken, string eosToken) =>
        new(Name, Source, _template) { BosToken = bosToken, EosToken = eosToken, Clock = Clock };

    /// <exception cref="JinjaException">The template does not parse.</exception>
    public static ChatTemplate FromSource(string source, string name = "custom") => new(name, source);

    /// <exception cref="ArgumentException">No built-in template has this name.</exception>
    public static ChatTemplate BuiltIn(string name) =>
        BuiltInChatTemplates.All.TryGetValue(name, out var source)
            ? new ChatTemplate(name.ToLowerInvariant(), source)
            : throw new ArgumentException($"no built-in chat template named '{name}'; known: {string.Join(", ", BuiltInChatTemplates.All.Keys)}", nameof(name));

    /// <summary>
    /// The template for a model file: <paramref name="forcedName"/> when given (a built-in name, or the name of a
    /// tokenizer.chat_template.NAME entry in the file), else the file's own template, else a built-in chosen by architecture.
    /// BOS and EOS come from the file's vocabulary.
    /// </summary>
    public static ChatTemplate ForModel(GgufFile file, string? forcedName = null)
    {
        var tokens = file.GetArray("tokenizer.ggml.tokens")?.Items;
        string TokenText(string key) =>
            tokens is not null && file.GetInteger(key) is { } id && id >= 0 && id < tokens.Count ? tokens[(int)id] as string ?? "" : "";
        var embedded = file.Metadata
            .Where(p => p.Key == EmbeddedTemplateKey || p.Key.StartsWith(EmbeddedTemplateKey + ".", StringComparison.Ordinal))
            .Where(p => p.Value.Value is string)
            .ToDictionary(p => p.Key == EmbeddedTemplateKey ? "" : p.Key[(EmbeddedTemplateKey.Length + 1)..], p => (string)p.Value.Value, StringComparer.Ordinal);
        var model = new ChatTemplateModelInfo(file.Architecture, embedded, tokens?.Contains("<|start_header_id|>") ?? false);
        return Select(model, forcedName).WithTokens(TokenText("tokenizer.ggml.bos_token_id"), TokenText("tokenizer.ggml.eos_token_id"));
    }

    /// <summary>The choice <see cref="ForModel"/> makes, from what it read in the file.</summary>
    public static ChatTemplate Select(ChatTemplateModelInfo model, string? forcedName = null)
    {
        if (forcedName is { Length: > 0 } name && !name.Equals("auto", StringComparison.OrdinalIgnoreCase))
        {
            if (BuiltInChatTemplates.All.ContainsKey(name)) return BuiltIn(name);
            if (model.EmbeddedTemplates.TryGetValue(name, out var namedSource)) return new ChatTemplate($"gguf:{name}", namedSource);
            var inFile = model.EmbeddedTemplates.Keys.Where(k => k.Length > 0).ToList();
            throw new ArgumentException(
                $"unknown chat template '{name}'. Built-in: {string.Join(", ", BuiltInChatTemplates.All.Keys)}" +
                (inFile.Count > 0 ? $"; in this model file: {string.Join(", ", inFile)}" : "") + "; or 'auto' for the model's own.", nameof(forcedName));
        }
        if (model.EmbeddedTemplates.TryGetValue("", out var source) && !string.IsNullOrWhiteSpace(source)) return new ChatTemplate("gguf", source);
        return BuiltIn(BuiltInChatTemplates.NameForArchitecture(model.Architecture, model.VocabularyHasLlama3Headers));
    }

    /// <summary>Renders the prompt. <paramref name="tools"/> is passed as the template's tools (None when null).</summary>
    /// <exception cref="JinjaRaisedException">The template rejects the conversation (e.g. roles that do not alternate).</exception>
    public string Render(IEnumerable<ChatTemplateMessage> messages, bool addGenerationPrompt = true,
        IReadOnlyList<object?>? tools = null, IReadOnlyDictionary<string, object?>? extraVariables = null)
    {
        var variables = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["messages"] = messages.Select(m => (object?)m.ToTemplateValue()).ToList(),
            ["add_generation_prompt"] = addGenerationPrompt,
            ["bos_token"] = BosToken,
            ["eos_token"] = EosToken,
            ["tools"] = tools,
        };
        if (extraVariables is not null) foreach (var (k, v) in extraVariables) variables[k] = v;
        return _template.Render(variables, Clock);
    }

    /// <summary>Renders Microsoft.Extensions.AI messages: the role's value and the message's text.</summary>
    public string RenderChatMessages(IEnumerable<AiChatMessage> messages, bool addGenerationPrompt = true, IReadOnlyList<object?>? tools = null) =>
        Render(messages.Select(m => new ChatTemplateMessage(m.Role.Value, m.Text)), addGenerationPrompt, tools);
}

/// <summary>What template selection needs to know about a model file.</summary>
/// <param name="EmbeddedTemplates">The file's templates by name: "" for tokenizer.chat_template, NAME for tokenizer.chat_template.NAME.</param>
public sealed record ChatTemplateModelInfo(string? Architecture, IReadOnlyDictionary<string, string> EmbeddedTemplates, bool VocabularyHasLlama3Headers);

namespace ModelRace.Core.Race;

/// <summary>One message of a prompt, with an OpenAI role: system, user or assistant.</summary>
public sealed record ChatTurn(string Role, string Content);

/// <summary>One question of a suite: what is asked, what counts as right, and how it is scored.</summary>
public sealed record SuiteItem
{
    public required string Id { get; init; }
    /// <summary>The item's own messages; the suite's system prompt and few-shot examples are put in front by the runner.</summary>
    public required IReadOnlyList<ChatTurn> Messages { get; init; }
    /// <summary>Accepted references; any one of them counts as right.</summary>
    public IReadOnlyList<string> Answers { get; init; } = [];
    /// <summary>Scorer name, e.g. "exact", "gsm8k", "choice", "regex", "contains", "json-schema", "judge-rubric".</summary>
    public required string Scorer { get; init; }
    public string? Category { get; init; }
    /// <summary>Answer options for multiple choice, in letter order (A, B, C…); used by log-likelihood scoring.</summary>
    public IReadOnlyList<string> Choices { get; init; } = [];
    /// <summary>Scorer-specific settings as raw JSON (e.g. a JSON schema, a judge rubric, normalisation flags).</summary>
    public string? ScorerOptionsJson { get; init; }
    /// <summary>A reply known to be right; lets a suite check its own scorers (and lets tests play a perfect model).</summary>
    public string? ReferenceReply { get; init; }
}

/// <summary>Sampling settings a suite asks for.</summary>
public sealed record GenerationSettings
{
    public int? MaxOutputTokens { get; init; }
    public float? Temperature { get; init; }
    public float? TopP { get; init; }
}

/// <summary>A set of items plus the instructions shared by all of them.</summary>
public sealed record Suite
{
    public required string Name { get; init; }
    public string? Description { get; init; }
    public string? SystemPrompt { get; init; }
    /// <summary>Worked examples put before every item as user/assistant turns.</summary>
    public IReadOnlyList<ChatTurn> FewShot { get; init; } = [];
    public GenerationSettings Generation { get; init; } = new();
    public required IReadOnlyList<SuiteItem> Items { get; init; }
}

namespace ModelRace.Core.Race;

public enum RunStatus { Running, Interrupted, Completed, Failed }

public enum ResponseStatus { Ok, Error }

/// <summary>Everything needed to start a run, or to find the earlier run of the same race.</summary>
public sealed record RunSpec
{
    /// <summary>Same suite content + same contestants + same options give the same key, so a rerun resumes.</summary>
    public required string ResumeKey { get; init; }
    public required string SuiteName { get; init; }
    public required string SuiteHash { get; init; }
    public required string OptionsJson { get; init; }
    public required IReadOnlyList<ContestantInfo> Contestants { get; init; }
    public required IReadOnlyList<SuiteItem> Items { get; init; }
}

public sealed record RunRecord
{
    public required string Id { get; init; }
    public required string ResumeKey { get; init; }
    public required string SuiteName { get; init; }
    public required string SuiteHash { get; init; }
    public required string OptionsJson { get; init; }
    public RunStatus Status { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public IReadOnlyList<ContestantInfo> Contestants { get; init; } = [];
    public int ItemCount { get; init; }
}

/// <summary>One model's answer to one item, as stored the moment it arrived.</summary>
public sealed record ResponseRecord
{
    public required string RunId { get; init; }
    public required string Contestant { get; init; }
    public required string ItemId { get; init; }
    public ResponseStatus Status { get; init; }
    public string? ResponseText { get; init; }
    /// <summary>0..1; null when the item errored (an error is never a wrong answer).</summary>
    public double? Score { get; init; }
    public long? InputTokens { get; init; }
    public long? OutputTokens { get; init; }
    public long? CachedTokens { get; init; }
    public long? ReasoningTokens { get; init; }
    public double? LatencyMs { get; init; }
    public double? TtftMs { get; init; }
    /// <summary>Model cost plus any judge cost; null when no price is known.</summary>
    public decimal? Cost { get; init; }
    public string? Currency { get; init; }
    public string? Error { get; init; }
    /// <summary>Scorer notes (extracted answer, judge verdict, judge cost) as JSON.</summary>
    public string? DetailsJson { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>Where races are kept. Implementations must make <see cref="SaveResponseAsync"/> durable before returning.</summary>
public interface IRaceStore
{
    /// <summary>Returns the run with <see cref="RunSpec.ResumeKey"/> if there is one (Resumed = true), else creates it with its items frozen.</summary>
    Task<(RunRecord Run, bool Resumed)> CreateOrResumeRunAsync(RunSpec spec, CancellationToken cancellationToken);
    Task SaveResponseAsync(ResponseRecord response, CancellationToken cancellationToken);
    /// <summary>Forgets stored errors of a run so that those items are asked again.</summary>
    Task<int> DeleteErrorsAsync(string runId, CancellationToken cancellationToken);
    Task SetStatusAsync(string runId, RunStatus status, CancellationToken cancellationToken);
    Task<IReadOnlyList<RunRecord>> ListRunsAsync(CancellationToken cancellationToken);
    /// <summary>By full id or unique id prefix; null when none matches.</summary>
    Task<RunRecord?> FindRunAsync(string idOrPrefix, CancellationToken cancellationToken);
    Task<IReadOnlyList<SuiteItem>> LoadItemsAsync(string runId, CancellationToken cancellationToken);
    Task<IReadOnlyList<ResponseRecord>> LoadResponsesAsync(string runId, CancellationToken cancellationToken);
}

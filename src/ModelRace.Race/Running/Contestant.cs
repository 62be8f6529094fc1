using Microsoft.Extensions.AI;
using ModelRace.Core.Race;

namespace ModelRace.Race.Running;

/// <summary>A model taking part in a race: how to call it and what to show about it.</summary>
public sealed record Contestant(ContestantInfo Info, IChatClient Client);

public sealed record RaceOptions
{
    /// <summary>Requests in flight at once, per contestant.</summary>
    public int Concurrency { get; init; } = 4;
    /// <summary>On resume, ask again the items that errored last time (otherwise a stored error is final).</summary>
    public bool RetryErrors { get; init; }
}

/// <summary>One contestant's progress so far; reported after every stored response.</summary>
public sealed record RaceProgress(string Contestant, int Done, int Total, int Errors, decimal Cost, string? Currency);

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
    /// <summary>How items with choices are scored (<see cref="MultipleChoiceMode"/>).</summary>
    public MultipleChoiceMode MultipleChoice { get; init; } = MultipleChoiceMode.Generate;
}

public enum MultipleChoiceMode
{
    /// <summary>Every model answers in text; the item's scorer reads the letter.</summary>
    Generate,
    /// <summary>
    /// Models that expose <see cref="Core.Race.ILogLikelihoodModel"/> (the local runtime) are scored on items with
    /// choices by the log-likelihood of each choice, as lm-evaluation-harness does: score = acc, with acc_norm in the
    /// details. Other models, and items without choices, are asked as in <see cref="Generate"/>.
    /// </summary>
    LogLikelihood,
}

/// <summary>One contestant's progress so far; reported after every stored response.</summary>
public sealed record RaceProgress(string Contestant, int Done, int Total, int Errors, decimal Cost, string? Currency);

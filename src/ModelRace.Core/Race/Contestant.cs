using ModelRace.Core.Catalog;
using ModelRace.Core.Endpoints;

namespace ModelRace.Core.Race;

/// <summary>What the leaderboard shows about one model in a race.</summary>
public sealed record ContestantInfo
{
    /// <summary>Unique within a run; usually the endpoint name.</summary>
    public required string Name { get; init; }
    public required string Endpoint { get; init; }
    public required string Model { get; init; }
    public string? CardId { get; init; }
    public bool OpenWeights { get; init; }
    public DeploymentClass Deployment { get; init; } = DeploymentClass.External;
    /// <summary>Used to price usage when the response carries no cost of its own; null when unknown.</summary>
    public PriceSheet? Prices { get; init; }
}

/// <summary>Scores answer continuations by log-likelihood; the local runtime implements it.</summary>
public interface ILogLikelihoodModel
{
    /// <summary>For each continuation, the summed log-probability of its tokens given <paramref name="context"/>.</summary>
    Task<IReadOnlyList<double>> ScoreContinuationsAsync(string context, IReadOnlyList<string> continuations, CancellationToken cancellationToken);
}

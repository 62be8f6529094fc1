using ModelRace.Core.Race;

namespace ModelRace.Race.Running;

/// <summary>A race store that lives as long as the process; for tests and throw-away races.</summary>
public sealed class InMemoryRaceStore(TimeProvider? time = null) : IRaceStore
{
    private readonly Lock _gate = new();
    private readonly List<RunRecord> _runs = [];
    private readonly Dictionary<string, IReadOnlyList<SuiteItem>> _items = [];
    private readonly Dictionary<(string Run, string Contestant, string Item), ResponseRecord> _responses = [];
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public int SaveCount { get; private set; }

    public Task<(RunRecord Run, bool Resumed)> CreateOrResumeRunAsync(RunSpec spec, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_runs.FirstOrDefault(r => r.ResumeKey == spec.ResumeKey) is { } existing) return Task.FromResult((existing, true));
            var run = new RunRecord
            {
                Id = Guid.NewGuid().ToString("N"), ResumeKey = spec.ResumeKey, SuiteName = spec.SuiteName, SuiteHash = spec.SuiteHash,
                OptionsJson = spec.OptionsJson, Status = RunStatus.Running, CreatedAt = _time.GetUtcNow(),
                Contestants = spec.Contestants, ItemCount = spec.Items.Count,
            };
            _runs.Add(run);
            _items[run.Id] = spec.Items;
            return Task.FromResult((run, false));
        }
    }

    public Task SaveResponseAsync(ResponseRecord response, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_items.TryGetValue(response.RunId, out var items) || items.All(i => i.Id != response.ItemId))
                throw new InvalidOperationException($"run {response.RunId} has no item {response.ItemId}");
            _responses[(response.RunId, response.Contestant, response.ItemId)] = response;
            SaveCount++;
        }
        return Task.CompletedTask;
    }

    public Task<int> DeleteErrorsAsync(string runId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var keys = _responses.Where(p => p.Key.Run == runId && p.Value.Status == ResponseStatus.Error).Select(p => p.Key).ToList();
            foreach (var key in keys) _responses.Remove(key);
            return Task.FromResult(keys.Count);
        }
    }

    public Task SetStatusAsync(string runId, RunStatus status, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var index = _runs.FindIndex(r => r.Id == runId);
            if (index < 0) throw new InvalidOperationException($"no run {runId}");
            _runs[index] = _runs[index] with { Status = status, FinishedAt = status == RunStatus.Running ? null : _time.GetUtcNow() };
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<RunRecord>> ListRunsAsync(CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult<IReadOnlyList<RunRecord>>(_runs.OrderByDescending(r => r.CreatedAt).ToList());
    }

    public Task<RunRecord?> FindRunAsync(string idOrPrefix, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var matches = _runs.Where(r => r.Id.StartsWith(idOrPrefix, StringComparison.OrdinalIgnoreCase)).ToList();
            return Task.FromResult(matches.Count == 1 ? matches[0] : null);
        }
    }

    public Task<IReadOnlyList<SuiteItem>> LoadItemsAsync(string runId, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult(_items.TryGetValue(runId, out var items) ? items : []);
    }

    public Task<IReadOnlyList<ResponseRecord>> LoadResponsesAsync(string runId, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult<IReadOnlyList<ResponseRecord>>(_responses.Values.Where(r => r.RunId == runId).ToList());
    }
}

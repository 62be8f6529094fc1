using ModelRace.Core.Endpoints;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.AI;
using ModelRace.Core.Race;
using ModelRace.Race.Scoring;

namespace ModelRace.Race.Running;

/// <summary>
/// Asks every contestant every item, each contestant with its own concurrency, storing each answer the moment it
/// arrives. A rerun of the same race (same suite content and contestants) resumes: stored items are not asked again.
/// A failing model only produces error rows; it never stops the others.
/// </summary>
public sealed class RaceRunner(IRaceStore store, ScorerRegistry scorers, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public async Task<RunRecord> RunAsync(Suite suite, IReadOnlyList<Contestant> contestants, RaceOptions options,
        IProgress<RaceProgress>? progress, CancellationToken cancellationToken)
    {
        if (contestants.Count == 0) throw new ArgumentException("a race needs at least one contestant", nameof(contestants));
        var duplicate = contestants.GroupBy(c => c.Info.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"two contestants are named '{duplicate.Key}'; names must be unique", nameof(contestants));
        if (options.Concurrency < 1) throw new ArgumentException("concurrency must be at least 1", nameof(options));
        scorers.CheckAll(suite.Items);

        var suiteHash = RaceKeys.SuiteHash(suite);
        var spec = new RunSpec
        {
            ResumeKey = RaceKeys.ResumeKey(suiteHash, contestants.Select(c => c.Info), options.MultipleChoice),
            SuiteName = suite.Name, SuiteHash = suiteHash,
            OptionsJson = JsonSerializer.Serialize(new { suite.Generation.MaxOutputTokens, suite.Generation.Temperature, suite.Generation.TopP, MultipleChoice = options.MultipleChoice.ToString() }),
            Contestants = contestants.Select(c => c.Info).ToList(),
            Items = suite.Items,
        };
        var (run, resumed) = await store.CreateOrResumeRunAsync(spec, cancellationToken);
        if (resumed && options.RetryErrors) await store.DeleteErrorsAsync(run.Id, cancellationToken);
        var stored = await store.LoadResponsesAsync(run.Id, cancellationToken);
        await store.SetStatusAsync(run.Id, RunStatus.Running, cancellationToken);

        try
        {
            await Task.WhenAll(contestants.Select(c => RunContestantAsync(run.Id, suite, c, stored.Where(r => r.Contestant == c.Info.Name).ToList(), options, progress, cancellationToken)));
        }
        catch (OperationCanceledException)
        {
            await store.SetStatusAsync(run.Id, RunStatus.Interrupted, CancellationToken.None);
            throw;
        }
        await store.SetStatusAsync(run.Id, RunStatus.Completed, cancellationToken);
        return await store.FindRunAsync(run.Id, cancellationToken) ?? run;
    }

    private async Task RunContestantAsync(string runId, Suite suite, Contestant contestant, List<ResponseRecord> stored,
        RaceOptions options, IProgress<RaceProgress>? progress, CancellationToken cancellationToken)
    {
        var doneIds = stored.Select(r => r.ItemId).ToHashSet(StringComparer.Ordinal);
        var pending = suite.Items.Where(i => !doneIds.Contains(i.Id)).ToList();
        var tally = new Tally(stored.Count, suite.Items.Count, stored.Count(r => r.Status == ResponseStatus.Error), stored.Sum(r => r.Cost ?? 0));
        var currency = contestant.Info.Prices?.Currency;
        progress?.Report(tally.Snapshot(contestant.Info.Name, currency));

        using var gate = new SemaphoreSlim(options.Concurrency);
        var tasks = new List<Task>();
        try
        {
            await StartAllAsync();
        }
        finally
        {
            // Calls already in flight finish (and are stored) or are cancelled before we report back.
            try { await Task.WhenAll(tasks); }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }
        }
        cancellationToken.ThrowIfCancellationRequested();

        async Task StartAllAsync()
        {
        foreach (var item in pending)
        {
            await gate.WaitAsync(cancellationToken);
            // Checked again after waiting: a cancelled race must not start one more call.
            cancellationToken.ThrowIfCancellationRequested();
            tasks.Add(Task.Run(async () =>
            {
                try
                {
                    var response = options.MultipleChoice == MultipleChoiceMode.LogLikelihood && item.Choices.Count >= 2
                        && contestant.Client.GetService(typeof(ILogLikelihoodModel)) is ILogLikelihoodModel scorer
                            ? await ScoreChoicesAsync(runId, contestant, scorer, item, cancellationToken)
                            : await AskAsync(runId, suite, contestant, item, cancellationToken);
                    await store.SaveResponseAsync(response, CancellationToken.None);
                    progress?.Report(tally.Add(response, contestant.Info.Name, currency));
                }
                finally
                {
                    gate.Release();
                }
            }, CancellationToken.None));
        }
        }
    }

    private async Task<ResponseRecord> AskAsync(string runId, Suite suite, Contestant contestant, SuiteItem item, CancellationToken cancellationToken)
    {
        var messages = new List<ChatMessage>();
        if (suite.SystemPrompt is { Length: > 0 } system) messages.Add(new ChatMessage(ChatRole.System, system));
        messages.AddRange(suite.FewShot.Concat(item.Messages).Select(t => new ChatMessage(new ChatRole(t.Role), t.Content)));
        var chatOptions = new ChatOptions
        {
            ModelId = contestant.Info.Model,
            MaxOutputTokens = suite.Generation.MaxOutputTokens,
            Temperature = suite.Generation.Temperature,
            TopP = suite.Generation.TopP,
        };

        var started = _time.GetTimestamp();
        double? ttftMs = null;
        var updates = new List<ChatResponseUpdate>();
        var record = new ResponseRecord { RunId = runId, Contestant = contestant.Info.Name, ItemId = item.Id, Currency = contestant.Info.Prices?.Currency };
        try
        {
            await foreach (var update in contestant.Client.GetStreamingResponseAsync(messages, chatOptions, cancellationToken))
            {
                if (ttftMs is null && !string.IsNullOrEmpty(update.Text)) ttftMs = _time.GetElapsedTime(started).TotalMilliseconds;
                updates.Add(update);
            }
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            return record with
            {
                Status = ResponseStatus.Error, Error = $"{e.GetType().Name}: {e.Message}",
                LatencyMs = _time.GetElapsedTime(started).TotalMilliseconds, CreatedAt = _time.GetUtcNow(),
            };
        }
        var latencyMs = _time.GetElapsedTime(started).TotalMilliseconds;
        // A reply replayed from the response cache arrives at once; its speed is the one measured when it was first asked.
        if (updates.Any(u => u.IsFromCache()) && updates.GetTiming() is { } original)
        {
            latencyMs = original.Total.TotalMilliseconds;
            ttftMs = original.TimeToFirstToken?.TotalMilliseconds;
        }
        var response = updates.ToChatResponse();
        var usage = response.Usage;
        var modelCost = ReportedCost(response) ?? CostCalculator.Compute(contestant.Info.Prices, usage?.InputTokenCount, usage?.OutputTokenCount, usage?.CachedInputTokenCount);
        record = record with
        {
            ResponseText = response.Text,
            InputTokens = usage?.InputTokenCount, OutputTokens = usage?.OutputTokenCount,
            CachedTokens = usage?.CachedInputTokenCount, ReasoningTokens = usage?.ReasoningTokenCount,
            LatencyMs = latencyMs, TtftMs = ttftMs, Cost = modelCost, CreatedAt = _time.GetUtcNow(),
        };

        try
        {
            var verdict = await scorers.Get(item.Scorer).ScoreAsync(item, ThinkStripper.Strip(response.Text), cancellationToken);
            return record with
            {
                Status = ResponseStatus.Ok, Score = verdict.Score,
                Cost = verdict.JudgeCost is { } judgeCost ? (modelCost ?? 0) + judgeCost : modelCost,
                DetailsJson = Details(verdict, response.FinishReason),
            };
        }
        catch (Exception e) when (e is ScoringException or JsonException or System.Text.RegularExpressions.RegexMatchTimeoutException)
        {
            return record with { Status = ResponseStatus.Error, Error = $"scoring failed: {e.Message}" };
        }
    }

    /// <summary>An item with choices scored by each choice's log-likelihood: no text is generated, and the score is acc.</summary>
    private async Task<ResponseRecord> ScoreChoicesAsync(string runId, Contestant contestant, ILogLikelihoodModel model, SuiteItem item, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var record = new ResponseRecord { RunId = runId, Contestant = contestant.Info.Name, ItemId = item.Id, Currency = contestant.Info.Prices?.Currency };
        try
        {
            var verdict = await LogLikelihoodChoice.ScoreAsync(model, item, cancellationToken);
            var latencyMs = _time.GetElapsedTime(started).TotalMilliseconds;
            return record with
            {
                Status = ResponseStatus.Ok, Score = verdict.Acc, ResponseText = Letter(verdict.Predicted),
                LatencyMs = latencyMs, TtftMs = latencyMs, CreatedAt = _time.GetUtcNow(),
                DetailsJson = JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["mode"] = "loglikelihood", ["extracted"] = Letter(verdict.Predicted), ["acc_norm"] = verdict.AccNorm,
                    ["predicted_norm"] = Letter(verdict.PredictedNormalised), ["loglikelihoods"] = verdict.LogLikelihoods,
                }),
            };
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            var why = e is ScoringException ? $"scoring failed: {e.Message}" : $"{e.GetType().Name}: {e.Message}";
            return record with { Status = ResponseStatus.Error, Error = why, LatencyMs = _time.GetElapsedTime(started).TotalMilliseconds, CreatedAt = _time.GetUtcNow() };
        }
    }

    private static string Letter(int choice) => ((char)('A' + choice)).ToString();

    /// <summary>A cost the endpoint or a middleware put on the response (AdditionalProperties "cost"), preferred over our own pricing.</summary>
    private static decimal? ReportedCost(ChatResponse response) =>
        response.AdditionalProperties?.TryGetValue("cost", out var value) == true
            ? value switch { decimal d => d, double f => (decimal)f, float f => (decimal)f, _ => null }
            : null;

    private static string Details(ScoreResult verdict, ChatFinishReason? finish) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["extracted"] = verdict.Extracted, ["note"] = verdict.Note, ["finish_reason"] = finish?.Value,
        ["judge_cost"] = verdict.JudgeCost, ["judge_input_tokens"] = verdict.JudgeInputTokens, ["judge_output_tokens"] = verdict.JudgeOutputTokens,
    }.Where(p => p.Value is not null).ToDictionary());

    private sealed class Tally(int done, int total, int errors, decimal cost)
    {
        private readonly Lock _gate = new();
        private int _done = done, _errors = errors;
        private decimal _cost = cost;

        public RaceProgress Snapshot(string name, string? currency)
        {
            lock (_gate) return new RaceProgress(name, _done, total, _errors, _cost, currency);
        }

        public RaceProgress Add(ResponseRecord response, string name, string? currency)
        {
            lock (_gate)
            {
                _done++;
                if (response.Status == ResponseStatus.Error) _errors++;
                _cost += response.Cost ?? 0;
                return new RaceProgress(name, _done, total, _errors, _cost, currency);
            }
        }
    }
}

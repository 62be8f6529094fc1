namespace ModelRace.Gateway.Keys;

/// <summary>A hold on a key's budget and rate limits, taken before the upstream call and settled after it.</summary>
public sealed class Reservation
{
    internal Reservation(BudgetLedger.KeyState? state, decimal cost, long tokens, long stamp)
    {
        State = state;
        Cost = cost;
        Tokens = tokens;
        Stamp = stamp;
    }

    internal BudgetLedger.KeyState? State { get; }
    internal decimal Cost { get; }
    internal long Tokens { get; }
    internal long Stamp { get; }
    internal bool Settled { get; set; }
}

/// <summary>
/// Per-key money budgets (day and month, UTC) and RPM/TPM windows, kept in memory and seeded from gateway_usage.
/// Each request reserves an upper estimate of its cost before the call, so under concurrency the key can overspend
/// by at most what requests already in flight cost beyond their estimates; the reservation is replaced by the real
/// cost when the call ends.
/// </summary>
public sealed class BudgetLedger(Func<string, DateTimeOffset, (decimal Day, decimal Month)> loadSpent, TimeProvider? time = null)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, KeyState> _states = new(StringComparer.Ordinal);

    internal sealed class KeyState
    {
        public required DateOnly Day;
        public required (int Year, int Month) Month;
        public decimal SpentDay, SpentMonth, Reserved;
        public readonly Queue<(long Stamp, long Tokens)> Recent = new();
        public long RecentTokens;
    }

    /// <summary>Takes the hold, or returns why not (over budget, RPM or TPM) for a 429.</summary>
    public (Reservation? Hold, string? Refusal) TryReserve(GatewayKey? key, decimal estimatedCost, long estimatedTokens)
    {
        if (key is null || (key.BudgetPerDay is null && key.BudgetPerMonth is null && key.RequestsPerMinute is null && key.TokensPerMinute is null))
            return (new Reservation(null, 0, 0, 0), null);
        var now = _time.GetUtcNow();
        var state = _states.GetOrAdd(key.Id, id =>
        {
            var (day, month) = loadSpent(id, now);
            return new KeyState { Day = DateOnly.FromDateTime(now.UtcDateTime), Month = (now.Year, now.Month), SpentDay = day, SpentMonth = month };
        });
        var stamp = now.UtcTicks;
        lock (state)
        {
            Roll(state, now);
            while (state.Recent.TryPeek(out var oldest) && stamp - oldest.Stamp >= Window.Ticks)
            {
                state.Recent.Dequeue();
                state.RecentTokens -= oldest.Tokens;
            }
            if (key.RequestsPerMinute is { } rpm && state.Recent.Count >= rpm)
                return (null, $"key '{key.Name}' is over its limit of {rpm} requests per minute; retry shortly");
            if (key.TokensPerMinute is { } tpm && state.RecentTokens + estimatedTokens > tpm)
                return (null, $"key '{key.Name}' is over its limit of {tpm} tokens per minute (this request needs about {estimatedTokens}); retry shortly");
            if (key.BudgetPerDay is { } perDay && state.SpentDay + state.Reserved + estimatedCost > perDay)
                return (null, $"key '{key.Name}' has used its daily budget of {perDay} (spent {state.SpentDay:0.######}, {state.Reserved:0.######} held by requests in flight)");
            if (key.BudgetPerMonth is { } perMonth && state.SpentMonth + state.Reserved + estimatedCost > perMonth)
                return (null, $"key '{key.Name}' has used its monthly budget of {perMonth} (spent {state.SpentMonth:0.######}, {state.Reserved:0.######} held by requests in flight)");
            state.Reserved += estimatedCost;
            state.Recent.Enqueue((stamp, estimatedTokens));
            state.RecentTokens += estimatedTokens;
            return (new Reservation(state, estimatedCost, estimatedTokens, stamp), null);
        }
    }

    /// <summary>Replaces the hold by what the call really cost (0 when nothing was spent); idempotent.</summary>
    public void Settle(Reservation hold, decimal actualCost, long actualTokens)
    {
        if (hold.State is not { } state) return;
        lock (state)
        {
            if (hold.Settled) return;
            hold.Settled = true;
            state.Reserved -= hold.Cost;
            Roll(state, _time.GetUtcNow());
            state.SpentDay += actualCost;
            state.SpentMonth += actualCost;
            // Correct the token window with the real count; the entry itself ages out with its original stamp.
            state.RecentTokens += actualTokens - hold.Tokens;
            if (state.Recent.Count > 0 && actualTokens != hold.Tokens) ReplaceTokens(state, hold, actualTokens);
        }
    }

    private static void ReplaceTokens(KeyState state, Reservation hold, long actualTokens)
    {
        var items = state.Recent.ToArray();
        state.Recent.Clear();
        var replaced = false;
        foreach (var item in items)
        {
            if (!replaced && item.Stamp == hold.Stamp && item.Tokens == hold.Tokens)
            {
                state.Recent.Enqueue((item.Stamp, actualTokens));
                replaced = true;
            }
            else state.Recent.Enqueue(item);
        }
        if (!replaced) state.RecentTokens -= actualTokens - hold.Tokens; // already aged out: nothing to correct
    }

    private static void Roll(KeyState state, DateTimeOffset now)
    {
        var day = DateOnly.FromDateTime(now.UtcDateTime);
        if (day != state.Day) { state.Day = day; state.SpentDay = 0; }
        if ((now.Year, now.Month) != state.Month) { state.Month = (now.Year, now.Month); state.SpentMonth = 0; }
    }
}

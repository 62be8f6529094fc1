namespace ModelRace.Local.Tokenizers;

/// <summary>
/// The merge loop llama.cpp's BPE and SentencePiece tokenizers share. A text's symbols form a linked list. Every pair
/// of neighbours that the vocabulary can merge is queued by priority, and the first is merged while any is left. A
/// queued pair whose sides have since merged into something else is stale and skipped.
/// </summary>
/// <typeparam name="TPriority">Lowest first under the default comparer, e.g. (rank, left index).</typeparam>
internal sealed class SymbolMerger<TPriority>
{
    private readonly List<Symbol> _symbols = [];
    private readonly PriorityQueue<(int Left, int Right, int Length), TPriority> _queue = new();

    /// <summary>One symbol: text[Start, Start+Length), and its neighbours' indices (−1 at either end).</summary>
    public readonly record struct Symbol(int Start, int Length, int Previous, int Next);

    /// <summary>
    /// Whether the text at <paramref name="start"/> made of a left part <paramref name="leftLength"/> long and a right
    /// part <paramref name="rightLength"/> long is a merge, and its priority if so.
    /// </summary>
    public delegate bool Ranker(int leftIndex, int start, int leftLength, int rightLength, out TPriority priority);

    /// <summary>The first symbol's index, or −1 for an empty text; follow <see cref="Symbol.Next"/> from it.</summary>
    public int First => _symbols.Count > 0 ? 0 : -1;

    public Symbol this[int index] => _symbols[index];

    public void Clear()
    {
        _symbols.Clear();
        _queue.Clear();
    }

    /// <summary>Appends the text's next symbol, <paramref name="length"/> characters long, after the last one.</summary>
    public void Add(int length)
    {
        var index = _symbols.Count;
        var start = 0;
        if (index > 0)
        {
            var last = _symbols[index - 1];
            start = last.Start + last.Length;
            _symbols[index - 1] = last with { Next = index };
        }
        _symbols.Add(new Symbol(start, length, index - 1, -1));
    }

    /// <summary>Merges the symbols added since <see cref="Clear"/> until no neighbours can merge.</summary>
    public void Merge(Ranker rank)
    {
        for (var i = 1; i < _symbols.Count; i++) TryQueue(i - 1, i, rank);
        while (_queue.TryDequeue(out var pair, out _))
        {
            var left = _symbols[pair.Left];
            var right = _symbols[pair.Right];
            if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != pair.Length) continue;
            _symbols[pair.Left] = left with { Length = left.Length + right.Length, Next = right.Next };
            _symbols[pair.Right] = right with { Length = 0 };
            if (right.Next >= 0) _symbols[right.Next] = _symbols[right.Next] with { Previous = pair.Left };
            TryQueue(left.Previous, pair.Left, rank);
            TryQueue(pair.Left, right.Next, rank);
        }
    }

    private void TryQueue(int left, int right, Ranker rank)
    {
        if (left == -1 || right == -1) return;
        var l = _symbols[left];
        var r = _symbols[right];
        if (rank(left, l.Start, l.Length, r.Length, out var priority)) _queue.Enqueue((left, right, l.Length + r.Length), priority);
    }
}

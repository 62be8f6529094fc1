using ModelRace.Local.Model;

namespace ModelRace.Local.Runtime;

/// <summary>
/// Serves concurrent generations on one model by continuous batching: one background loop owns the model, and each
/// step it (a) runs one chunk of the prompt of the oldest sequence still reading its prompt, (b) runs one
/// <see cref="Transformer.ForwardStep(ReadOnlySpan{int}, IReadOnlyList{KvCache}, Span{float})"/> for every sequence
/// that is decoding, (c) samples each sequence's next token with its own sampler and streams its text, and (d) drops
/// finished or cancelled sequences so the others go on. Requests beyond <see cref="MaxSequences"/> wait in a queue.
/// A row's logits do not depend on the batch it was computed in, so a request gets the same tokens as it would alone.
/// </summary>
public sealed class ContinuousBatcher : IDisposable
{
    public const int DefaultMaxSequences = 8;
    /// <summary>Prompt tokens run per step: long prompts are cut so decoding sequences are not stalled for long.</summary>
    public const int DefaultPromptChunk = 128;

    private readonly Transformer _model;
    private readonly TokenPieces _pieces;
    // A plain monitor, not a Lock: the loop sleeps on it with Monitor.Wait.
    private readonly object _gate = new();
    private readonly Queue<Job> _waiting = new();
    private readonly Queue<IExclusiveWork> _exclusive = new();
    /// <summary>The loop's copy of the exclusive work it took, reused so that a step allocates nothing.</summary>
    private readonly List<IExclusiveWork> _exclusiveTaken = [];
    private readonly List<Job> _active = [];
    private readonly Thread _loop;
    private readonly float[] _logits;
    private readonly int[] _stepTokens;
    private readonly KvCache[] _stepCaches;
    private readonly Job[] _stepJobs;
    private readonly Action? _onStopped;
    private bool _disposed;
    private volatile int _activeSequences;

    /// <param name="onStopped">Runs on the loop's thread once it has run its last step (e.g. to release the model).</param>
    public ContinuousBatcher(Transformer model, TokenPieces pieces, int maxSequences = DefaultMaxSequences, int promptChunk = DefaultPromptChunk, Action? onStopped = null)
    {
        if (maxSequences < 1 || maxSequences > Transformer.MaxBatch)
            throw new ArgumentOutOfRangeException(nameof(maxSequences), maxSequences, $"between 1 and {Transformer.MaxBatch} sequences");
        ArgumentOutOfRangeException.ThrowIfLessThan(promptChunk, 1);
        _model = model;
        _pieces = pieces;
        _onStopped = onStopped;
        MaxSequences = maxSequences;
        PromptChunk = promptChunk;
        _logits = new float[maxSequences * model.Config.VocabSize];
        _stepTokens = new int[maxSequences];
        _stepCaches = new KvCache[maxSequences];
        _stepJobs = new Job[maxSequences];
        _loop = new Thread(Run) { IsBackground = true, Name = "ContinuousBatcher" };
        _loop.Start();
    }

    /// <summary>Sequences decoding together at most; further requests wait.</summary>
    public int MaxSequences { get; }
    public int PromptChunk { get; }
    /// <summary>Requests taken from the queue and not yet finished (at most <see cref="MaxSequences"/>).</summary>
    public int ActiveSequences => _activeSequences;

    /// <summary>
    /// Queues a generation. <paramref name="onText"/> receives the text as it becomes final, on the decoding thread, so
    /// it must be quick. Cancelling ends this request only: the task is cancelled and its sequence leaves the batch.
    /// </summary>
    public Task<GenerationResult> GenerateAsync(GenerationRequest request, Action<string>? onText = null, CancellationToken cancellation = default)
    {
        GenerationSequence.Validate(request, _model);
        cancellation.ThrowIfCancellationRequested();
        var job = new Job(request, onText, cancellation);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            // Completing the task at once lets a caller go even while its prompt is still running; the loop notices
            // and drops the sequence before its next step.
            job.CancellationRegistration = cancellation.Register(() => job.Completion.TrySetCanceled(cancellation));
            _waiting.Enqueue(job);
            Monitor.PulseAll(_gate);
        }
        return job.Completion.Task;
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the model between two batched steps, on the decoding thread, so that it never
    /// overlaps a step (the model's kernels are not re-entrant). Sequences decoding meanwhile pause for it.
    /// </summary>
    public Task<T> RunExclusiveAsync<T>(Func<Transformer, T> work, CancellationToken cancellation = default)
    {
        cancellation.ThrowIfCancellationRequested();
        var exclusive = new ExclusiveWork<T>(work, cancellation);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _exclusive.Enqueue(exclusive);
            Monitor.PulseAll(_gate);
        }
        return exclusive.Completion.Task;
    }

    private void Run()
    {
        while (true)
        {
            lock (_gate)
            {
                while (!_disposed && _active.Count == 0 && _waiting.Count == 0 && _exclusive.Count == 0) Monitor.Wait(_gate);
                if (_disposed) break;
                while (_exclusive.TryDequeue(out var work)) _exclusiveTaken.Add(work);
                while (_active.Count < MaxSequences && _waiting.TryDequeue(out var job)) _active.Add(job);
                _activeSequences = _active.Count;
            }
            foreach (var work in _exclusiveTaken) work.Run(_model);
            _exclusiveTaken.Clear();
            try
            {
                RemoveCompleted();
                Admit();
                ReadPrompt();
                Decode();
            }
            catch (Exception e)
            {
                // A fault of the loop itself must fail its requests rather than leave them waiting forever.
                foreach (var job in _active) job.Fail(e);
            }
            RemoveCompleted();
        }
        var disposed = new ObjectDisposedException(nameof(ContinuousBatcher));
        foreach (var job in _active) job.Fail(disposed);
        RemoveCompleted();
        lock (_gate)
        {
            while (_waiting.TryDequeue(out var job))
            {
                job.Fail(disposed);
                job.CancellationRegistration.Dispose();
            }
            // Work queued after the last step fails rather than running on a model that is about to be released.
            while (_exclusive.TryDequeue(out var work)) work.Fail(disposed);
        }
        _onStopped?.Invoke();
    }

    private void RemoveCompleted()
    {
        _active.RemoveAll(job =>
        {
            if (!job.IsCompleted) return false;
            job.CancellationRegistration.Dispose();
            return true;
        });
        _activeSequences = _active.Count;
    }

    /// <summary>Gives newly joined requests their cache, sampler and decoder.</summary>
    private void Admit()
    {
        foreach (var job in _active)
        {
            if (job.Sequence is not null) continue;
            try
            {
                job.Sequence = new GenerationSequence(job.Request, _model, _pieces, job.OnText);
            }
            catch (Exception e)
            {
                job.Fail(e);
            }
        }
    }

    /// <summary>One prompt chunk of the oldest sequence still reading its prompt; its first token is sampled at the end.</summary>
    private void ReadPrompt()
    {
        var job = _active.Find(j => !j.IsCompleted && !j.Sequence!.IsPromptDone);
        if (job is null) return;
        var sequence = job.Sequence!;
        var logits = _logits.AsSpan(0, _model.Config.VocabSize);
        try
        {
            sequence.ProcessPrompt(_model, PromptChunk, logits);
            if (sequence.IsPromptDone) Sample(job, logits);
        }
        catch (Exception e)
        {
            job.Fail(e);
        }
    }

    /// <summary>One batched step for every sequence that has a token to feed, then its next token.</summary>
    private void Decode()
    {
        var count = 0;
        foreach (var job in _active)
        {
            if (job.IsCompleted || !job.Sequence!.IsPromptDone) continue;
            _stepJobs[count] = job;
            _stepTokens[count] = job.Sequence.NextToken;
            _stepCaches[count] = job.Sequence.Cache;
            count++;
        }
        if (count == 0) return;
        var vocab = _model.Config.VocabSize;
        try
        {
            _model.ForwardStep(_stepTokens.AsSpan(0, count), new ArraySegment<KvCache>(_stepCaches, 0, count), _logits.AsSpan(0, count * vocab));
        }
        catch (Exception e)
        {
            // The step failed as a whole: each of its sequences may have a half-written cache.
            for (var i = 0; i < count; i++) _stepJobs[i].Fail(e);
            count = 0;
        }
        for (var i = 0; i < count; i++) Sample(_stepJobs[i], _logits.AsSpan(i * vocab, vocab));
        Array.Clear(_stepJobs);
        Array.Clear(_stepCaches);
    }

    private static void Sample(Job job, Span<float> logits)
    {
        if (job.IsCompleted) return;
        try
        {
            if (!job.Sequence!.Advance(logits)) job.Completion.TrySetResult(job.Sequence.Finish());
        }
        catch (Exception e)
        {
            job.Fail(e);
        }
    }

    /// <summary>Stops the loop; requests still queued or running fail with <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            Monitor.PulseAll(_gate);
        }
        // From a text callback (the loop's own thread) the loop stops after the current step instead.
        if (Thread.CurrentThread != _loop) _loop.Join();
    }

    private interface IExclusiveWork
    {
        void Run(Transformer model);
        void Fail(Exception e);
    }

    private sealed class ExclusiveWork<T>(Func<Transformer, T> work, CancellationToken cancellation) : IExclusiveWork
    {
        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Run(Transformer model)
        {
            if (cancellation.IsCancellationRequested) { Completion.TrySetCanceled(cancellation); return; }
            try { Completion.TrySetResult(work(model)); }
            catch (Exception e) { Completion.TrySetException(e); }
        }

        public void Fail(Exception e) => Completion.TrySetException(e);
    }

    private sealed class Job(GenerationRequest request, Action<string>? onText, CancellationToken cancellation)
    {
        public GenerationRequest Request { get; } = request;
        public Action<string>? OnText { get; } = onText;
        public CancellationToken Cancellation { get; } = cancellation;
        public TaskCompletionSource<GenerationResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public CancellationTokenRegistration CancellationRegistration { get; set; }
        /// <summary>Created when the job leaves the queue, so waiting requests hold no cache memory.</summary>
        public GenerationSequence? Sequence { get; set; }
        public bool IsCompleted => Completion.Task.IsCompleted;

        public void Fail(Exception e)
        {
            if (e is OperationCanceledException && Cancellation.IsCancellationRequested) Completion.TrySetCanceled(Cancellation);
            else Completion.TrySetException(e);
        }
    }
}

namespace ModelRace.Local.Kernels;

/// <summary>Work split into numbered chunks; <see cref="Execute"/> may run on any pool thread, each chunk exactly once.</summary>
public interface IChunkedWork
{
    void Execute(int chunk);
}

/// <summary>
/// A fixed set of compute threads that live as long as the model. The forward pass hands each operation to all of them
/// at once and they take chunks from a shared counter, so a thread slowed by a noisy neighbour simply takes fewer
/// chunks. Nothing is allocated per operation: the work object is reused and threads wait by spinning briefly, then
/// on an event (an idle model costs no CPU).
/// </summary>
public sealed class ComputePool : IDisposable
{
    /// <summary>Spins before a waiting thread blocks; covers the gap between operations of one forward pass.</summary>
    private const int SpinIterations = 20_000;

    private readonly Thread[] _workers;
    private readonly ManualResetEventSlim[] _wakeEvents;
    private readonly Lock _runLock = new();
    private IChunkedWork? _work;
    private int _chunkCount;
    private int _nextChunk;
    private int _pendingWorkers;
    private volatile int _generation;
    private volatile bool _disposed;
    private Exception? _failure;

    public ComputePool(int threadCount)
    {
        if (threadCount < 1) throw new ArgumentOutOfRangeException(nameof(threadCount), threadCount, "at least one compute thread is needed");
        ThreadCount = threadCount;
        _workers = new Thread[threadCount - 1];
        _wakeEvents = new ManualResetEventSlim[threadCount - 1];
        for (var i = 0; i < _workers.Length; i++)
        {
            var wake = _wakeEvents[i] = new ManualResetEventSlim(false);
            _workers[i] = new Thread(() => WorkerLoop(wake)) { IsBackground = true, Name = $"modelrace-compute-{i + 1}" };
            _workers[i].Start();
        }
    }

    /// <summary>Threads that run chunks, the calling thread included.</summary>
    public int ThreadCount { get; }

    /// <summary>The default: one thread per logical processor.</summary>
    public static int DefaultThreadCount => Math.Max(1, Environment.ProcessorCount);

    /// <summary>Runs chunks 0 … <paramref name="chunkCount"/>−1 of <paramref name="work"/> on every pool thread and returns when all are done.</summary>
    public void Run(IChunkedWork work, int chunkCount)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (chunkCount <= 0) return;
        if (chunkCount == 1 || _workers.Length == 0)
        {
            for (var i = 0; i < chunkCount; i++) work.Execute(i);
            return;
        }
        lock (_runLock)
        {
            _work = work;
            _chunkCount = chunkCount;
            _nextChunk = 0;
            _failure = null;
            Volatile.Write(ref _pendingWorkers, _workers.Length);
            _generation++;
            foreach (var wake in _wakeEvents) wake.Set();
            TakeChunks(work);
            var spinner = new SpinWait();
            while (Volatile.Read(ref _pendingWorkers) > 0) spinner.SpinOnce(sleep1Threshold: -1);
            _work = null;
            if (_failure is { } failure) throw new AggregateException("a compute thread failed", failure);
        }
    }

    private void TakeChunks(IChunkedWork work)
    {
        try
        {
            int chunk;
            while ((chunk = Interlocked.Increment(ref _nextChunk) - 1) < _chunkCount) work.Execute(chunk);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _failure, e, null);
            Volatile.Write(ref _nextChunk, _chunkCount);
        }
    }

    private void WorkerLoop(ManualResetEventSlim wake)
    {
        var seen = 0;
        while (true)
        {
            var spins = 0;
            while (_generation == seen && !_disposed)
            {
                if (++spins < SpinIterations) Thread.SpinWait(8);
                else
                {
                    // Reset before the re-check, so a Run that lands in between is seen either by the check or by Wait.
                    wake.Reset();
                    if (_generation == seen && !_disposed) wake.Wait();
                }
            }
            if (_disposed) return;
            seen = _generation;
            if (_work is { } work) TakeChunks(work);
            Interlocked.Decrement(ref _pendingWorkers);
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var wake in _wakeEvents) wake.Set();
        foreach (var worker in _workers) worker.Join();
        foreach (var wake in _wakeEvents) wake.Dispose();
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ModelRace.Local.Kernels;

/// <summary>
/// A pinned array whose usable part starts on a 64-byte boundary, for the buffers the kernels read with 32-byte loads.
/// From the GC's 16-byte-aligned array data every second such load split a cache line: the four-row int16 Q8_0 kernel
/// ran 10% slower, and the 4×3 float tile 6% in a microbenchmark (a whole F16 prompt showed no difference beyond
/// this machine's noise).
/// </summary>
internal readonly unsafe struct AlignedBuffer<T> where T : unmanaged
{
    private const int Alignment = 64;
    private readonly T[] _array;
    private readonly int _offset;

    public AlignedBuffer(int length)
    {
        Length = length;
        _array = GC.AllocateUninitializedArray<T>(length + Alignment / sizeof(T), pinned: true);
        var address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));
        _offset = (int)((Alignment - address % Alignment) % Alignment) / sizeof(T);
    }

    public int Length { get; }
    /// <summary>The first element; the array is pinned, so this holds for the buffer's life.</summary>
    public T* Start => (T*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array)) + _offset;
    public Span<T> Span => _array.AsSpan(_offset, Length);
}

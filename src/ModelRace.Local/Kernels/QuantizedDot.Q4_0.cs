using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelRace.Local.Kernels;

/// <summary>Q4_0 weights (fp16 scale + 16 bytes of nibbles, offset 8) against Q8_0 activations.</summary>
public static unsafe partial class QuantizedDot
{
    private const int Q4_0BlockBytes = 18;

    /// <summary>The 32 weights of a block as signed bytes −8…7: low nibbles are weights 0–15, high nibbles 16–31.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> UnpackQ4_0(byte* block)
    {
        var packed = Vector128.Load(block + 2);
        var nibbles = Vector256.Create(packed, Sse2.ShiftRightLogical(packed.AsUInt16(), 4).AsByte());
        return Avx2.Subtract(Avx2.And(nibbles, Vector256.Create((byte)0x0F)), Vector256.Create((byte)8)).AsSByte();
    }

    private static float VectorDotQ4_0(byte* row, QuantizedActivations x, int activation)
    {
        var blocks = x.Length / 32;
        var xq = x.QuantsOf(activation);
        var xd = x.ScalesOf(activation);
        var table = Simd.HalfToFloat;
        Vector256<float> even = default, odd = default;
        var b = 0;
        for (; b + 1 < blocks; b += 2, row += 2 * Q4_0BlockBytes)
        {
            var p0 = Simd.DotSignedBytes(UnpackQ4_0(row), Vector256.Load(xq + b * 32));
            var p1 = Simd.DotSignedBytes(UnpackQ4_0(row + Q4_0BlockBytes), Vector256.Load(xq + b * 32 + 32));
            even = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p0), Vector256.Create(table[*(ushort*)row] * xd[b]), even);
            odd = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p1), Vector256.Create(table[*(ushort*)(row + Q4_0BlockBytes)] * xd[b + 1]), odd);
        }
        if (b < blocks)
        {
            var p = Simd.DotSignedBytes(UnpackQ4_0(row), Vector256.Load(xq + b * 32));
            even = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p), Vector256.Create(table[*(ushort*)row] * xd[b]), even);
        }
        return Vector256.Sum(even + odd);
    }

    /// <summary>Four activation rows at once, summing in the same order as <see cref="VectorDotQ4_0"/>.</summary>
    private static void VectorDotQ4_0x4(byte* row, QuantizedActivations x, int first, float* y, long yStride)
    {
        var blocks = x.Length / 32;
        sbyte* q0 = x.QuantsOf(first), q1 = x.QuantsOf(first + 1), q2 = x.QuantsOf(first + 2), q3 = x.QuantsOf(first + 3);
        float* d0 = x.ScalesOf(first), d1 = x.ScalesOf(first + 1), d2 = x.ScalesOf(first + 2), d3 = x.ScalesOf(first + 3);
        var table = Simd.HalfToFloat;
        Vector256<float> even0 = default, even1 = default, even2 = default, even3 = default;
        Vector256<float> odd0 = default, odd1 = default, odd2 = default, odd3 = default;
        for (var b = 0; b < blocks; b++, row += Q4_0BlockBytes)
        {
            var w = UnpackQ4_0(row);
            var magnitude = Avx2.Abs(w);
            var weightScale = Vector256.Create(table[*(ushort*)row]);
            var o = b * 32;
            // Block b goes to the even or odd accumulators exactly as in the one-row kernel.
            if ((b & 1) == 0)
            {
                even0 = Q8_0Step(even0, magnitude, w, q0 + o, weightScale, d0 + b);
                even1 = Q8_0Step(even1, magnitude, w, q1 + o, weightScale, d1 + b);
                even2 = Q8_0Step(even2, magnitude, w, q2 + o, weightScale, d2 + b);
                even3 = Q8_0Step(even3, magnitude, w, q3 + o, weightScale, d3 + b);
            }
            else
            {
                odd0 = Q8_0Step(odd0, magnitude, w, q0 + o, weightScale, d0 + b);
                odd1 = Q8_0Step(odd1, magnitude, w, q1 + o, weightScale, d1 + b);
                odd2 = Q8_0Step(odd2, magnitude, w, q2 + o, weightScale, d2 + b);
                odd3 = Q8_0Step(odd3, magnitude, w, q3 + o, weightScale, d3 + b);
            }
        }
        y[0] = Vector256.Sum(even0 + odd0);
        y[yStride] = Vector256.Sum(even1 + odd1);
        y[2 * yStride] = Vector256.Sum(even2 + odd2);
        y[3 * yStride] = Vector256.Sum(even3 + odd3);
    }
}

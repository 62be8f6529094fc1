using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelRace.Local.Kernels;

/// <summary>
/// F16 decoding for four chats at once: each weight is widened in registers once and meets all four activation rows,
/// where <see cref="HalfTile4x1"/> per chat widens it four times. Sixteen accumulators, four scaled and four unscaled
/// activation vectors need the 32 vector registers of AVX-512 machines. Each accumulator gets the multiply-adds that
/// <see cref="HalfTile4x1"/> or <see cref="GuardedHalfTile4x1"/> would give it, in the same order, so a chat's bits do
/// not depend on how many others decode beside it.
/// <para>Measured side by side on an Emerald Rapids Xeon, a synthesized TinyLlama F16 file, four chats against the
/// per-chat tiles: 11.7–14.0 against 6.3–7.4 tok/s in all on one thread, 22.9–25.1 against 11.5–14.0 on two (one chat
/// alone: 4.9–5.5 and 7.6–9.9).</para>
/// </summary>
internal static unsafe partial class FloatTiles
{
    /// <summary>Whether the four-chat tile fits in registers (AVX-512's 32 vector registers; AVX2 has 16).</summary>
    private static readonly bool FourChatTileSupported = Avx512F.IsSupported;

    /// <summary>The activation rows (chats) <see cref="HalfTile4x4"/> takes.</summary>
    private const int ChatsPerHalfTile = 4;

    /// <summary>
    /// Four consecutive F16 rows of finite values against four activation rows (<paramref name="x"/>, one after another);
    /// output (chat b, row r) goes to y[b·<paramref name="yStride"/> + r]. Where <paramref name="subnormalLines"/> is not
    /// null, the runs of 32 it marks are widened exactly against the unscaled activations, as in <see cref="GuardedHalfTile4x1"/>.
    /// </summary>
    private static void HalfTile4x4(ushort* w0, long rowStride, float* x, int columns, float* y, long yStride, ulong* subnormalLines, long firstLine, long linesPerRow)
    {
        ushort* w1 = w0 + rowStride, w2 = w1 + rowStride, w3 = w2 + rowStride;
        float* x0 = x, x1 = x + columns, x2 = x + 2L * columns, x3 = x + 3L * columns;
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector256<float> a30 = default, a31 = default, a32 = default, a33 = default;
        var rebias = HalfRebias;
        var guarded = subnormalLines != null;
        var ahead = PrefetchRows * rowStride;
        var k = 0;
        for (var line = firstLine; k + 32 <= columns; k += 32, line++)
        {
            Sse.Prefetch0(w0 + ahead + k);
            Sse.Prefetch0(w1 + ahead + k);
            Sse.Prefetch0(w2 + ahead + k);
            Sse.Prefetch0(w3 + ahead + k);
            bool exact0 = guarded && IsSet(subnormalLines, line), exact1 = guarded && IsSet(subnormalLines, line + linesPerRow);
            bool exact2 = guarded && IsSet(subnormalLines, line + 2 * linesPerRow), exact3 = guarded && IsSet(subnormalLines, line + 3 * linesPerRow);
            for (var j = k; j < k + 32; j += 8)
            {
                Vector256<float> u0 = Vector256.Load(x0 + j), u1 = Vector256.Load(x1 + j), u2 = Vector256.Load(x2 + j), u3 = Vector256.Load(x3 + j);
                Vector256<float> s0 = u0 * rebias, s1 = u1 * rebias, s2 = u2 * rebias, s3 = u3 * rebias;
                RowStep(w0 + j, exact0, u0, u1, u2, u3, s0, s1, s2, s3, ref a00, ref a01, ref a02, ref a03);
                RowStep(w1 + j, exact1, u0, u1, u2, u3, s0, s1, s2, s3, ref a10, ref a11, ref a12, ref a13);
                RowStep(w2 + j, exact2, u0, u1, u2, u3, s0, s1, s2, s3, ref a20, ref a21, ref a22, ref a23);
                RowStep(w3 + j, exact3, u0, u1, u2, u3, s0, s1, s2, s3, ref a30, ref a31, ref a32, ref a33);
            }
        }
        // A row's last columns short of a whole run, per chat: exactly where subnormals stall, else by the shortcut
        // (the same products either way).
        FinishHalfTile(w0, w1, w2, w3, x0, k, columns, y, exact: guarded, a00, a10, a20, a30);
        FinishHalfTile(w0, w1, w2, w3, x1, k, columns, y + yStride, exact: guarded, a01, a11, a21, a31);
        FinishHalfTile(w0, w1, w2, w3, x2, k, columns, y + 2 * yStride, exact: guarded, a02, a12, a22, a32);
        FinishHalfTile(w0, w1, w2, w3, x3, k, columns, y + 3 * yStride, exact: guarded, a03, a13, a23, a33);
    }

    /// <summary>Eight weights of one row, widened once, into that row's accumulator for each of the four chats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowStep(ushort* w, bool exact,
        Vector256<float> u0, Vector256<float> u1, Vector256<float> u2, Vector256<float> u3,
        Vector256<float> s0, Vector256<float> s1, Vector256<float> s2, Vector256<float> s3,
        ref Vector256<float> a0, ref Vector256<float> a1, ref Vector256<float> a2, ref Vector256<float> a3)
    {
        if (exact)
        {
            var value = ExactHalves(w);
            a0 = Fma.MultiplyAdd(value, u0, a0); a1 = Fma.MultiplyAdd(value, u1, a1);
            a2 = Fma.MultiplyAdd(value, u2, a2); a3 = Fma.MultiplyAdd(value, u3, a3);
            return;
        }
        var scaled = ScaledDownHalves(w);
        a0 = Fma.MultiplyAdd(scaled, s0, a0); a1 = Fma.MultiplyAdd(scaled, s1, a1);
        a2 = Fma.MultiplyAdd(scaled, s2, a2); a3 = Fma.MultiplyAdd(scaled, s3, a3);
    }
}

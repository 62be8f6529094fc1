using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelRace.Local.Kernels;

/// <summary>
/// F16 decoding for four chats at once: each weight is widened in registers once and meets all four activation rows,
/// where <see cref="HalfTile4x1"/> per chat widens it four times. Eight 512-bit accumulators (each two rows' 256-bit
/// ones), four scaled and four unscaled activation vectors take AVX-512. Each 256-bit half gets the multiply-adds that
/// <see cref="HalfTile4x1"/> or <see cref="GuardedHalfTile4x1"/> would give it, in the same order, so a chat's bits do
/// not depend on how many others decode beside it.
/// <para>Measured side by side on an Emerald Rapids Xeon, a synthesized TinyLlama F16 file, four chats against the
/// per-chat tiles: 11.7–14.0 against 6.3–7.4 tok/s in all on one thread, 22.9–25.1 against 11.5–14.0 on two (one chat
/// alone: 4.9–5.5 and 7.6–9.9). In 512-bit vectors (see <see cref="HalfTile4x4"/>), against the same tile in 256-bit
/// ones: 72–76 against 101–122 ns a row pair in cache, and four chats on two threads 28.7–31.3 against 19.5–20.5
/// tok/s, alternating.</para>
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
    /// <remarks>
    /// In 512-bit vectors that keep the 8-lane order, as the paired prompt tiles do (FloatTiles.Wide.cs): each vector
    /// holds eight columns of rows 0 and 1 (or 2 and 3), so its low half is one row's accumulator and its high half the
    /// next row's, and each activation vector is broadcast to both halves by its load. A run whose pair holds a marked
    /// line is widened exactly for both rows: for a normal half the exact product is the same number as the shortcut's,
    /// so the bits are those of the 256-bit tile. The core's two 512-bit multiply-add pipes take twice the lanes.
    /// </remarks>
    private static void HalfTile4x4(ushort* w0, long rowStride, float* x, int columns, float* y, long yStride, ulong* subnormalLines, long firstLine, long linesPerRow)
    {
        ushort* w1 = w0 + rowStride, w2 = w1 + rowStride, w3 = w2 + rowStride;
        float* x0 = x, x1 = x + columns, x2 = x + 2L * columns, x3 = x + 3L * columns;
        Vector512<float> a010 = default, a011 = default, a012 = default, a013 = default;
        Vector512<float> a230 = default, a231 = default, a232 = default, a233 = default;
        var rebias = Vector512.Create(HalfRebias.ToScalar());
        var guarded = subnormalLines != null;
        var ahead = PrefetchRows * rowStride;
        var k = 0;
        for (var line = firstLine; k + 32 <= columns; k += 32, line++)
        {
            Sse.Prefetch0(w0 + ahead + k);
            Sse.Prefetch0(w1 + ahead + k);
            Sse.Prefetch0(w2 + ahead + k);
            Sse.Prefetch0(w3 + ahead + k);
            var exact01 = guarded && (IsSet(subnormalLines, line) || IsSet(subnormalLines, line + linesPerRow));
            var exact23 = guarded && (IsSet(subnormalLines, line + 2 * linesPerRow) || IsSet(subnormalLines, line + 3 * linesPerRow));
            for (var j = k; j < k + 32; j += 8)
            {
                var u0 = Avx512F.BroadcastVector256ToVector512((double*)(x0 + j)).AsSingle();
                var u1 = Avx512F.BroadcastVector256ToVector512((double*)(x1 + j)).AsSingle();
                var u2 = Avx512F.BroadcastVector256ToVector512((double*)(x2 + j)).AsSingle();
                var u3 = Avx512F.BroadcastVector256ToVector512((double*)(x3 + j)).AsSingle();
                Vector512<float> s0 = u0 * rebias, s1 = u1 * rebias, s2 = u2 * rebias, s3 = u3 * rebias;
                PairStep(w0 + j, w1 + j, exact01, u0, u1, u2, u3, s0, s1, s2, s3, ref a010, ref a011, ref a012, ref a013);
                PairStep(w2 + j, w3 + j, exact23, u0, u1, u2, u3, s0, s1, s2, s3, ref a230, ref a231, ref a232, ref a233);
            }
        }
        // A row's last columns short of a whole run, per chat: exactly where subnormals stall, else by the shortcut
        // (the same products either way).
        FinishHalfTile(w0, w1, w2, w3, x0, k, columns, y, exact: guarded, a010.GetLower(), a010.GetUpper(), a230.GetLower(), a230.GetUpper());
        FinishHalfTile(w0, w1, w2, w3, x1, k, columns, y + yStride, exact: guarded, a011.GetLower(), a011.GetUpper(), a231.GetLower(), a231.GetUpper());
        FinishHalfTile(w0, w1, w2, w3, x2, k, columns, y + 2 * yStride, exact: guarded, a012.GetLower(), a012.GetUpper(), a232.GetLower(), a232.GetUpper());
        FinishHalfTile(w0, w1, w2, w3, x3, k, columns, y + 3 * yStride, exact: guarded, a013.GetLower(), a013.GetUpper(), a233.GetLower(), a233.GetUpper());
    }

    /// <summary>Eight weights of each of two rows, widened once into one vector, into the pair's accumulator for each of the four chats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PairStep(ushort* first, ushort* second, bool exact,
        Vector512<float> u0, Vector512<float> u1, Vector512<float> u2, Vector512<float> u3,
        Vector512<float> s0, Vector512<float> s1, Vector512<float> s2, Vector512<float> s3,
        ref Vector512<float> a0, ref Vector512<float> a1, ref Vector512<float> a2, ref Vector512<float> a3)
    {
        var bits = Avx512F.ConvertToVector512Int32(Vector256.Create(Vector128.Load((short*)first), Vector128.Load((short*)second)));
        if (exact)
        {
            var value = ExactHalves(bits);
            a0 = Avx512F.FusedMultiplyAdd(value, u0, a0); a1 = Avx512F.FusedMultiplyAdd(value, u1, a1);
            a2 = Avx512F.FusedMultiplyAdd(value, u2, a2); a3 = Avx512F.FusedMultiplyAdd(value, u3, a3);
            return;
        }
        var scaled = (Avx512F.ShiftLeftLogical(bits, 13) & Vector512.Create(unchecked((int)0x8FFFE000))).AsSingle();
        a0 = Avx512F.FusedMultiplyAdd(scaled, s0, a0); a1 = Avx512F.FusedMultiplyAdd(scaled, s1, a1);
        a2 = Avx512F.FusedMultiplyAdd(scaled, s2, a2); a3 = Avx512F.FusedMultiplyAdd(scaled, s3, a3);
    }

    /// <summary>The 512-bit form of <see cref="ExactHalves(ushort*)"/>, from sign-extended halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ExactHalves(Vector512<int> bits)
    {
        var magnitude = Avx512F.ShiftLeftLogical(bits, 13) & Vector512.Create(0x0FFFE000);
        var rebiased = (magnitude + Vector512.Create(112 << 23)).AsSingle();
        var small = (rebiased - Vector512.Create(1f / 32768)) * Vector512.Create(2f);
        var isSmall = Vector512.LessThan(magnitude, Vector512.Create(1 << 23)).AsSingle();
        var value = Vector512.ConditionalSelect(isSmall, small, rebiased);
        return (value.AsInt32() | (bits & Vector512.Create(unchecked((int)0x80000000)))).AsSingle();
    }
}

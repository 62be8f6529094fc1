using System.Runtime.InteropServices;
using ModelRace.Local.Gguf;

namespace ModelRace.Local.Tests;

/// <summary>
/// A GGUF read from bytes pins them with a GC handle. A malformed file must free that handle exactly once: freed twice,
/// the runtime hands its slot out twice, and an unrelated pin (another model's bytes, in another thread) can be freed
/// with it, which showed up as access violations and garbage tokens in batched decoding tests running beside the
/// malformed-file tests.
/// </summary>
public sealed class GgufPinningTests
{
    [Fact]
    public void A_rejected_file_frees_its_pin_once_so_later_handles_keep_their_own_targets()
    {
        var malformed = new byte[64]; // no GGUF magic
        for (var attempt = 0; attempt < 200; attempt++)
        {
            Assert.Throws<GgufFormatException>(() => GgufFile.FromBytes(malformed));
            object first = new byte[1], second = new byte[1];
            var a = GCHandle.Alloc(first, GCHandleType.Pinned);
            var b = GCHandle.Alloc(second, GCHandleType.Pinned);
            try
            {
                Assert.NotEqual(GCHandle.ToIntPtr(a), GCHandle.ToIntPtr(b));
                Assert.Same(first, a.Target);
                Assert.Same(second, b.Target);
            }
            finally
            {
                b.Free();
                if (GCHandle.ToIntPtr(a) != GCHandle.ToIntPtr(b)) a.Free();
            }
        }
    }
}

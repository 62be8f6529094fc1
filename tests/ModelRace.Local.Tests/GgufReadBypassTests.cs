using ModelRace.Local.Gguf;

namespace ModelRace.Local.Tests;

/// <summary><see cref="GgufFile.ReadBypassingMapping"/>: the mapping's bytes, read from the file, leaving the mapping untouched.</summary>
public sealed unsafe class GgufReadBypassTests : IDisposable
{
    private const int TableBytes = 4 << 20;
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"modelrace-bypass-{Guid.NewGuid():N}.gguf");

    public GgufReadBypassTests()
    {
        using var stream = File.Create(_path);
        using var writer = new GgufWriter(stream);
        writer.AddMetadata("general.architecture", GgufValue.Of("llama"));
        writer.AddTensor("table", [TableBytes / 4], GgmlType.F32);
        writer.WriteHeader();
        var bytes = new byte[TableBytes];
        new Random(3).NextBytes(bytes);
        writer.WriteTensorData(bytes);
        writer.Finish();
    }

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void Reads_give_the_mapped_bytes_and_leave_the_pages_unmapped()
    {
        using var file = GgufFile.Open(_path);
        var table = file.TensorPointer(file.GetTensor("table"));
        var offsets = new[] { 0, 70_000, 1 << 20, TableBytes - 1000 };
        var read = offsets.Select(o =>
        {
            var row = new byte[1000];
            file.ReadBypassingMapping(table + o, row);
            return row;
        }).ToArray();
        if (OperatingSystem.IsLinux())
        {
            // Nothing has touched the table through the mapping yet, so none of its pages may be present in this
            // process, except those the header's parse mapped beside its own (fault-around maps up to 64 KiB).
            const int pastTheHeader = 128 << 10;
            Assert.Equal(0, PresentPages(table + pastTheHeader, TableBytes - pastTheHeader));
        }
        for (var i = 0; i < offsets.Length; i++)
            Assert.Equal(new ReadOnlySpan<byte>(table + offsets[i], 1000).ToArray(), read[i]);
    }

    [Fact]
    public void Reads_outside_the_tensor_data_are_refused()
    {
        using var file = GgufFile.Open(_path);
        var table = file.TensorPointer(file.GetTensor("table"));
        Assert.Throws<ArgumentOutOfRangeException>(() => file.ReadBypassingMapping(table + TableBytes - 10, new byte[11]));
        Assert.Throws<ArgumentOutOfRangeException>(() => file.ReadBypassingMapping(table - file.DataOffset, new byte[8]));
    }

    [Fact]
    public void Files_in_memory_copy_from_their_bytes()
    {
        var bytes = File.ReadAllBytes(_path);
        using var file = GgufFile.FromBytes(bytes);
        var table = file.TensorPointer(file.GetTensor("table"));
        var row = new byte[64];
        file.ReadBypassingMapping(table + 128, row);
        Assert.Equal(bytes.AsSpan((int)file.DataOffset + 128, 64).ToArray(), row);
    }

    /// <summary>Pages of [start, start+bytes) present in this process's page tables (/proc/self/pagemap bit 63).</summary>
    private static int PresentPages(byte* start, long bytes)
    {
        const int page = 4096;
        long first = (long)start / page, last = ((long)start + bytes - 1) / page;
        var entries = new byte[8 * (last - first + 1)];
        using var pagemap = new FileStream("/proc/self/pagemap", FileMode.Open, FileAccess.Read);
        pagemap.Seek(first * 8, SeekOrigin.Begin);
        pagemap.ReadExactly(entries);
        var present = 0;
        // The table's first and last pages share lines with the header and the file's end; count only pages inside it.
        for (var i = 8; i < entries.Length - 8; i += 8)
            if (BitConverter.ToUInt64(entries, i) >> 63 != 0) present++;
        return present;
    }
}

using ModelRace.Local.Gguf;
using ModelRace.Local.Tensors;

namespace ModelRace.Local.Tests;

/// <summary>
/// Feeds the reader mutated copies of a valid file (byte flips, truncations, insertions, deletions, overwritten
/// length fields). Whatever the damage, the only acceptable failure is a <see cref="GgufFormatException"/>.
/// A short run goes with every test run; MODELRACE_FUZZ_ITERATIONS=N runs longer on demand.
/// </summary>
public class GgufFuzzTests
{
    private const int DefaultIterations = 3000;

    [Fact]
    public void Mutated_files_only_ever_raise_format_errors()
    {
        var iterations = int.TryParse(Environment.GetEnvironmentVariable("MODELRACE_FUZZ_ITERATIONS"), out var n) && n > 0 ? n : DefaultIterations;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("MODELRACE_FUZZ_SEED"), out var s) ? s : 20260101;
        var original = GgufFixtures.SmallModel();
        var random = new Random(seed);
        int accepted = 0, rejected = 0;
        for (var i = 0; i < iterations; i++)
        {
            var mutated = Mutate(original, random);
            try
            {
                using var file = GgufFile.FromBytes(mutated);
                Touch(file);
                accepted++;
            }
            catch (GgufFormatException)
            {
                rejected++;
            }
            catch (Exception e)
            {
                var path = Path.Combine(Path.GetTempPath(), $"gguf-fuzz-{seed}-{i}.gguf");
                File.WriteAllBytes(path, mutated);
                Assert.Fail($"iteration {i} (seed {seed}) threw {e.GetType().Name}: {e.Message}; the input is saved at {path}\n{e}");
            }
        }
        Assert.True(rejected > iterations / 10, $"only {rejected} of {iterations} mutations were rejected: the mutator is too gentle");
        Assert.True(accepted > 0, "no mutation was accepted: the mutator never leaves a readable file, so reads of odd values go untested");
    }

    /// <summary>Reads everything a caller might: all metadata, every tensor's bytes, and dequantized rows.</summary>
    private static void Touch(GgufFile file)
    {
        foreach (var (_, value) in file.MetadataList) _ = value.ToString();
        _ = GgufModelSummary.Describe(file);
        foreach (var tensor in file.Tensors)
        {
            var data = file.TensorData(tensor);
            if (data.Length > 0) _ = data[^1];
            if (Dequantize.IsSupported(tensor.Type) && tensor.RowCount > 0 && tensor.RowLength <= 1 << 16)
            {
                var row = new float[tensor.RowLength];
                Dequantize.TensorRow(file, tensor, tensor.RowCount - 1, row);
            }
        }
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = original.ToList();
        var edits = random.Next(1, 4);
        for (var e = 0; e < edits; e++)
        {
            // Most of the interesting structure is in the header, so aim there more often than not.
            var headerEnd = Math.Min(bytes.Count, 1200);
            var at = random.Next(2) == 0 ? random.Next(Math.Max(1, headerEnd)) : random.Next(Math.Max(1, bytes.Count));
            switch (random.Next(6))
            {
                case 0 when bytes.Count > 0:
                    bytes[Math.Min(at, bytes.Count - 1)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Count > 0:
                    bytes[Math.Min(at, bytes.Count - 1)] = (byte)random.Next(256);
                    break;
                case 2:
                    bytes.RemoveRange(Math.Min(at, bytes.Count), bytes.Count - Math.Min(at, bytes.Count));
                    break;
                case 3:
                    bytes.InsertRange(Math.Min(at, bytes.Count), Enumerable.Range(0, random.Next(1, 9)).Select(_ => (byte)random.Next(256)));
                    break;
                case 4:
                    var start = Math.Min(at, bytes.Count);
                    bytes.RemoveRange(start, Math.Min(random.Next(1, 9), bytes.Count - start));
                    break;
                default:
                    // An extreme value over a length, count or offset field.
                    var field = new[] { 0UL, 1UL, 0xFFUL, 0xFFFFFFFFUL, 1UL << 31, 1UL << 32, 1UL << 62, ulong.MaxValue }[random.Next(8)];
                    var width = random.Next(2) == 0 ? 4 : 8;
                    for (var k = 0; k < width && at + k < bytes.Count; k++) bytes[at + k] = (byte)(field >> (8 * k));
                    break;
            }
        }
        return [.. bytes];
    }
}

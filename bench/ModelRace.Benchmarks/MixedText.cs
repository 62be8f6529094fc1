using System.Text;

namespace ModelRace.Benchmarks;

/// <summary>
/// Deterministic benchmark text: English prose, Chinese and source code in turn, made up from a fixed seed so the
/// benchmark needs no data files.
/// </summary>
public static class MixedText
{
    private static readonly string[] EnglishWords =
    [
        "the", "model", "runs", "on", "a", "small", "machine", "and", "answers", "every", "question", "with", "care", "while",
        "latency", "stays", "low", "tokens", "per", "second", "matter", "for", "users", "who", "wait", "it's", "don't",
        "benchmark", "results", "show", "that", "open", "weights", "can", "compete", "in", "many", "tasks", "today",
    ];

    private static readonly string[] CodeLines =
    [
        "public static int Add(int left, int right) => left + right;",
        "for (var i = 0; i < items.Count; i++) { total += items[i].Price * 1.2m; }",
        "if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($\"failed: {response}\");",
        "def tokenize(text: str) -> list[int]:\n    return [vocab[t] for t in text.split()]",
        "const result = await fetch(`/api/v1/models?id=${id}`, { method: 'GET' });",
        "    // TODO: handle the edge case where count == 0",
    ];

    /// <summary>About <paramref name="bytes"/> bytes of UTF-8 text.</summary>
    public static string Generate(int bytes, int seed = 12345)
    {
        var random = new Random(seed);
        var text = new StringBuilder();
        var size = 0;
        while (size < bytes)
        {
            var block = (random.Next(3)) switch
            {
                0 => English(random),
                1 => Chinese(random),
                _ => Code(random),
            };
            text.Append(block);
            size += Encoding.UTF8.GetByteCount(block);
        }
        return text.ToString();
    }

    private static string English(Random random)
    {
        var sentence = new StringBuilder();
        var words = random.Next(8, 20);
        for (var i = 0; i < words; i++)
        {
            var word = EnglishWords[random.Next(EnglishWords.Length)];
            sentence.Append(i == 0 ? char.ToUpperInvariant(word[0]) + word[1..] : " " + word);
            if (random.Next(10) == 0) sentence.Append(random.Next(2) == 0 ? "," : " " + random.Next(2000));
        }
        return sentence.Append(". ").Append(random.Next(5) == 0 ? "\n\n" : "").ToString();
    }

    private static string Chinese(Random random)
    {
        var sentence = new StringBuilder();
        var length = random.Next(10, 40);
        // Common CJK ideographs sit early in the U+4E00 block.
        for (var i = 0; i < length; i++) sentence.Append((char)random.Next(0x4E00, 0x5FFF));
        return sentence.Append(random.Next(2) == 0 ? "，" : "。").ToString();
    }

    private static string Code(Random random) => CodeLines[random.Next(CodeLines.Length)] + "\n";
}

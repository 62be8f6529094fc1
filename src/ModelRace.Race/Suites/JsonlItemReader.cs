using System.Text.Json;
using ModelRace.Core.Race;

namespace ModelRace.Race.Suites;

/// <summary>
/// Reads suite items, one JSON object a line:
/// {"id", "prompt" or "messages", "answer" or "answers", "scorer"?, "category"?, "choices"?, "options"?, "schema"?, "reference_reply"?}.
/// Blank lines and lines starting with // are skipped.
/// </summary>
public static class JsonlItemReader
{
    public static IReadOnlyList<SuiteItem> Read(TextReader reader, string fileName, string defaultScorer)
    {
        var items = new List<SuiteItem>();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line) || line.TrimStart().StartsWith("//", StringComparison.Ordinal)) continue;
            SuiteItem item;
            try
            {
                using var doc = JsonDocument.Parse(line);
                item = Parse(doc.RootElement, lineNumber, defaultScorer);
            }
            catch (JsonException e)
            {
                throw SuiteException.At(fileName, lineNumber, $"not valid JSON ({e.Message})");
            }
            catch (FormatException e)
            {
                throw SuiteException.At(fileName, lineNumber, e.Message);
            }
            if (ids.TryGetValue(item.Id, out var earlier))
                throw SuiteException.At(fileName, lineNumber, $"id '{item.Id}' was already used on line {earlier}");
            ids[item.Id] = lineNumber;
            items.Add(item);
        }
        return items;
    }

    private static SuiteItem Parse(JsonElement e, int lineNumber, string defaultScorer)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new FormatException("each line must be a JSON object");
        var id = e.TryGetProperty("id", out var idElement)
            ? idElement.ValueKind switch
            {
                JsonValueKind.String => idElement.GetString()!,
                JsonValueKind.Number => idElement.GetRawText(),
                _ => throw new FormatException("\"id\" must be a string or a number"),
            }
            : $"line-{lineNumber}";
        var hasPrompt = e.TryGetProperty("prompt", out var prompt);
        var hasMessages = e.TryGetProperty("messages", out var messages);
        if (hasPrompt == hasMessages) throw new FormatException("give exactly one of \"prompt\" or \"messages\"");
        IReadOnlyList<ChatTurn> turns = hasPrompt
            ? [new ChatTurn("user", prompt.ValueKind == JsonValueKind.String ? prompt.GetString()! : throw new FormatException("\"prompt\" must be a string"))]
            : ReadMessages(messages);
        var answers = new List<string>();
        if (e.TryGetProperty("answer", out var answer)) answers.Add(ScalarText(answer, "answer"));
        if (e.TryGetProperty("answers", out var many))
        {
            if (many.ValueKind != JsonValueKind.Array) throw new FormatException("\"answers\" must be an array");
            answers.AddRange(many.EnumerateArray().Select(a => ScalarText(a, "answers")));
        }
        var scorer = e.TryGetProperty("scorer", out var s) ? s.GetString() ?? defaultScorer : defaultScorer;
        string? options = e.TryGetProperty("options", out var o) ? o.GetRawText() : null;
        if (e.TryGetProperty("schema", out var schema)) options = $"{{\"schema\":{schema.GetRawText()}}}";
        var needsAnswer = scorer is not ("json" or "json-schema" or "judge-rubric" or "not-contains");
        if (needsAnswer && answers.Count == 0) throw new FormatException($"scorer '{scorer}' needs \"answer\" or \"answers\"");
        return new SuiteItem
        {
            Id = id,
            Messages = turns,
            Answers = answers,
            Scorer = scorer,
            Category = e.TryGetProperty("category", out var c) ? c.GetString() : null,
            Choices = e.TryGetProperty("choices", out var ch) && ch.ValueKind == JsonValueKind.Array
                ? ch.EnumerateArray().Select(x => ScalarText(x, "choices")).ToList() : [],
            ScorerOptionsJson = options,
            ReferenceReply = e.TryGetProperty("reference_reply", out var rr) ? rr.GetString() : null,
        };
    }

    private static List<ChatTurn> ReadMessages(JsonElement messages)
    {
        if (messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
            throw new FormatException("\"messages\" must be a non-empty array of {\"role\",\"content\"}");
        var turns = new List<ChatTurn>();
        foreach (var m in messages.EnumerateArray())
        {
            var role = m.TryGetProperty("role", out var r) ? r.GetString() : null;
            var content = m.TryGetProperty("content", out var c) ? c.GetString() : null;
            if (role is not ("system" or "user" or "assistant") || content is null)
                throw new FormatException("each message needs \"role\" (system, user or assistant) and a string \"content\"");
            turns.Add(new ChatTurn(role, content));
        }
        return turns;
    }

    private static string ScalarText(JsonElement e, string field) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString()!,
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => e.GetRawText(),
        _ => throw new FormatException($"\"{field}\" values must be strings or numbers"),
    };
}

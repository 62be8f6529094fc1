using System.Text;
using System.Text.Json;
using ModelRace.Core.Race;

namespace ModelRace.Race.Suites;

/// <summary>
/// Public benchmarks read from local files in their published layouts. Multiple-choice items are asked generatively
/// (letter extraction) and keep their choices so that log-likelihood scoring can use them.
/// </summary>
public static class BenchmarkLoaders
{
    public const string ChoiceInstruction = "Answer with the letter of the correct option.";

    public static string ChoicePrompt(string question, IReadOnlyList<string> choices) =>
        $"{question.Trim()}\n{string.Join("\n", choices.Select((c, i) => $"{(char)('A' + i)}. {c}"))}\n{ChoiceInstruction}";

    private static SuiteItem Choice(string id, string question, IReadOnlyList<string> choices, int answerIndex, string? category) => new()
    {
        Id = id, Messages = [new ChatTurn("user", ChoicePrompt(question, choices))], Answers = [((char)('A' + answerIndex)).ToString()],
        Scorer = "choice", Category = category, Choices = choices,
    };

    /// <summary>GSM8K JSONL: {"question": ..., "answer": "...reasoning... #### 42"}; scored with the harness's flexible extraction.</summary>
    public static Suite Gsm8k(string path, string scorer = "gsm8k-flexible") => new()
    {
        Name = "gsm8k",
        SystemPrompt = "Solve the problem. Think step by step, then give the final answer on its own line as '#### <number>'.",
        Items = ReadJsonl(path, (e, line) =>
        {
            var question = Str(e, "question", path, line);
            var answer = Str(e, "answer", path, line);
            if (!answer.Contains("#### ", StringComparison.Ordinal)) throw SuiteException.At(path, line, "\"answer\" has no '#### <number>' final answer");
            return new SuiteItem { Id = $"gsm8k-{line}", Messages = [new ChatTurn("user", question)], Answers = [answer], Scorer = scorer, Category = "gsm8k" };
        }),
    };

    /// <summary>MMLU: a directory of CSV files named SUBJECT_test.csv (or *.csv), no header: question,A,B,C,D,answer.</summary>
    public static Suite Mmlu(string directory)
    {
        if (!Directory.Exists(directory)) throw new SuiteException($"MMLU directory {directory} does not exist");
        var files = Directory.EnumerateFiles(directory, "*.csv", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new SuiteException($"MMLU directory {directory} holds no .csv files (expected SUBJECT_test.csv: question,A,B,C,D,answer)");
        var items = new List<SuiteItem>();
        foreach (var file in files)
        {
            var subject = Path.GetFileNameWithoutExtension(file);
            foreach (var suffix in new[] { "_test", "_dev", "_val" })
                if (subject.EndsWith(suffix, StringComparison.Ordinal)) subject = subject[..^suffix.Length];
            var row = 0;
            foreach (var (fields, line) in Csv.Read(file))
            {
                row++;
                if (fields.Count != 6) throw SuiteException.At(file, line, $"expected 6 fields (question,A,B,C,D,answer), found {fields.Count}");
                var answer = fields[5].Trim().ToUpperInvariant();
                if (answer is not ("A" or "B" or "C" or "D")) throw SuiteException.At(file, line, $"answer must be A, B, C or D, not '{fields[5]}'");
                var question = $"The following is a multiple choice question about {subject.Replace('_', ' ')}.\n\n{fields[0]}";
                items.Add(Choice($"{subject}-{row}", question, fields.Skip(1).Take(4).ToList(), answer[0] - 'A', subject));
            }
        }
        return new Suite { Name = "mmlu", Items = items };
    }

    /// <summary>ARC JSONL: {"id", "question": {"stem", "choices": [{"label", "text"}]}, "answerKey"}; labels may be letters or digits.</summary>
    public static Suite Arc(string path) => new()
    {
        Name = "arc",
        Items = ReadJsonl(path, (e, line) =>
        {
            if (!e.TryGetProperty("question", out var q) || q.ValueKind != JsonValueKind.Object) throw SuiteException.At(path, line, "missing \"question\" object");
            var stem = Str(q, "stem", path, line);
            if (!q.TryGetProperty("choices", out var choicesElement) || choicesElement.ValueKind != JsonValueKind.Array)
                throw SuiteException.At(path, line, "missing \"question.choices\" array");
            var choices = choicesElement.EnumerateArray().Select(c => (Label: Str(c, "label", path, line), Text: Str(c, "text", path, line))).ToList();
            var key = Str(e, "answerKey", path, line);
            var index = choices.FindIndex(c => c.Label == key);
            if (index < 0) throw SuiteException.At(path, line, $"answerKey '{key}' is not one of the labels {string.Join(", ", choices.Select(c => c.Label))}");
            var id = e.TryGetProperty("id", out var idElement) ? idElement.GetString() ?? $"arc-{line}" : $"arc-{line}";
            return Choice(id, stem, choices.Select(c => c.Text).ToList(), index, "arc");
        }),
    };

    /// <summary>HellaSwag JSONL: {"ctx", "endings": [4], "label"}; label may be a number or a numeric string.</summary>
    public static Suite HellaSwag(string path) => new()
    {
        Name = "hellaswag",
        Items = ReadJsonl(path, (e, line) =>
        {
            var ctx = Str(e, "ctx", path, line);
            if (!e.TryGetProperty("endings", out var endingsElement) || endingsElement.ValueKind != JsonValueKind.Array)
                throw SuiteException.At(path, line, "missing \"endings\" array");
            var endings = endingsElement.EnumerateArray().Select(x => x.GetString() ?? "").ToList();
            var label = Label(e, path, line, endings.Count);
            var id = e.TryGetProperty("ind", out var ind) ? $"hellaswag-{ind.GetRawText()}" : $"hellaswag-{line}";
            var category = e.TryGetProperty("activity_label", out var act) ? act.GetString() : "hellaswag";
            return Choice(id, $"Choose the most likely continuation.\n\n{ctx}", endings, label, category);
        }),
    };

    /// <summary>TruthfulQA MC1 (JSONL or a JSON array): {"question", "mc1_targets": {"choices": [...], "labels": [1,0,...]}}, one label is 1.</summary>
    public static Suite TruthfulQaMc1(string path)
    {
        var text = File.ReadAllText(path);
        IEnumerable<(JsonElement Element, int Line)> records;
        JsonDocument? whole = null;
        if (text.TrimStart().StartsWith('['))
        {
            whole = JsonDocument.Parse(text);
            records = whole.RootElement.EnumerateArray().Select((e, i) => (e, i + 1));
        }
        else records = JsonlElements(path);
        var items = new List<SuiteItem>();
        foreach (var (e, line) in records)
        {
            var question = Str(e, "question", path, line);
            if (!e.TryGetProperty("mc1_targets", out var targets)) throw SuiteException.At(path, line, "missing \"mc1_targets\"");
            List<string> choices;
            List<int> labels;
            if (targets.TryGetProperty("choices", out var c) && targets.TryGetProperty("labels", out var l))
            {
                choices = c.EnumerateArray().Select(x => x.GetString() ?? "").ToList();
                labels = l.EnumerateArray().Select(x => x.GetInt32()).ToList();
            }
            else
            {
                // The original repository's layout: {"choice text": 1 or 0, ...}.
                choices = targets.EnumerateObject().Select(p => p.Name).ToList();
                labels = targets.EnumerateObject().Select(p => p.Value.GetInt32()).ToList();
            }
            if (choices.Count != labels.Count || labels.Count(x => x == 1) != 1)
                throw SuiteException.At(path, line, "mc1_targets needs as many labels as choices and exactly one label 1");
            items.Add(Choice($"truthfulqa-{line}", question, choices, labels.IndexOf(1), "truthfulqa"));
        }
        whole?.Dispose();
        return new Suite { Name = "truthfulqa-mc1", Items = items };
    }

    private static int Label(JsonElement e, string path, int line, int count)
    {
        if (!e.TryGetProperty("label", out var l)) throw SuiteException.At(path, line, "missing \"label\"");
        var ok = l.ValueKind == JsonValueKind.Number ? l.TryGetInt32(out var n) : int.TryParse(l.GetString(), out n);
        if (!ok || n < 0 || n >= count) throw SuiteException.At(path, line, $"\"label\" must be 0..{count - 1}, not {l.GetRawText()}");
        return n;
    }

    private static string Str(JsonElement e, string name, string path, int line) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!
        : throw SuiteException.At(path, line, $"missing string \"{name}\"");

    private static List<SuiteItem> ReadJsonl(string path, Func<JsonElement, int, SuiteItem> parse) =>
        JsonlElements(path).Select(p => parse(p.Element, p.Line)).ToList();

    private static IEnumerable<(JsonElement Element, int Line)> JsonlElements(string path)
    {
        if (!File.Exists(path)) throw new SuiteException($"{path} does not exist");
        var line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            JsonDocument doc;
            try { doc = JsonDocument.Parse(text); }
            catch (JsonException e) { throw SuiteException.At(path, line, $"not valid JSON ({e.Message})"); }
            using (doc) yield return (doc.RootElement.Clone(), line);
        }
    }
}

/// <summary>RFC 4180 CSV: quoted fields may hold commas, doubled quotes and newlines.</summary>
public static class Csv
{
    public static IEnumerable<(List<string> Fields, int Line)> Read(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8);
        var line = 1;
        while (reader.Peek() >= 0)
        {
            var startLine = line;
            var fields = new List<string>();
            var field = new StringBuilder();
            var quoted = false;
            while (true)
            {
                var c = reader.Read();
                if (c < 0) { fields.Add(field.ToString()); break; }
                if (quoted)
                {
                    if (c == '"')
                    {
                        if (reader.Peek() == '"') { reader.Read(); field.Append('"'); }
                        else quoted = false;
                    }
                    else
                    {
                        if (c == '\n') line++;
                        field.Append((char)c);
                    }
                }
                else if (c == '"' && field.Length == 0) quoted = true;
                else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
                else if (c == '\r') { }
                else if (c == '\n') { line++; fields.Add(field.ToString()); break; }
                else field.Append((char)c);
            }
            if (quoted) throw SuiteException.At(path, startLine, "unterminated quoted field");
            if (fields.Count == 1 && fields[0].Length == 0) continue;
            yield return (fields, startLine);
        }
    }
}

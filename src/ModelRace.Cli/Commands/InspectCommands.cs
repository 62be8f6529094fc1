using System.CommandLine;
using System.Globalization;
using ModelRace.Local.Gguf;
using Spectre.Console;

namespace ModelRace.Cli.Commands;

/// <summary>`modelrace inspect FILE.gguf`: what a GGUF model is, without loading its weights.</summary>
internal static class InspectCommands
{
    private const int TemplateShownInFull = 300;

    public static Command Create(CliContext context)
    {
        var file = new Argument<string>("file") { Description = "The GGUF file to describe." };
        var keys = new Option<string[]>("--key") { Description = "Also print this metadata key in full (repeatable), e.g. tokenizer.chat_template." };
        var tensors = new Option<bool>("--tensors") { Description = "List every tensor with its type, shape and size." };
        var json = CommonOptions.Json();
        var command = new Command("inspect", "Describe a GGUF model: architecture, parameters, tensor types, context, tokenizer and chat template.")
        {
            file, keys, tensors, json,
        };
        command.SetAction(parse =>
        {
            using var gguf = Open(context, parse.GetValue(file)!);
            var summary = GgufModelSummary.Describe(gguf);
            var requested = (parse.GetValue(keys) ?? []).Select(k => (Key: k, Value: gguf.Find(k) ?? throw MissingKey(gguf, k))).ToList();
            if (parse.GetValue(json))
                CommonOptions.WriteJson(context, ToJson(summary, requested, parse.GetValue(tensors) ? gguf.Tensors : null));
            else
                Render(context.Console, summary, requested, parse.GetValue(tensors) ? gguf.Tensors : null);
            return 0;
        });
        return command;
    }

    private static GgufFile Open(CliContext context, string path)
    {
        var full = Path.GetFullPath(path, context.WorkingDirectory);
        if (!File.Exists(full)) throw new CliException($"no such file: {full}");
        try
        {
            return GgufFile.Open(full);
        }
        catch (GgufFormatException e)
        {
            throw new CliException($"cannot read GGUF: {e.Message}");
        }
    }

    private static CliException MissingKey(GgufFile file, string key)
    {
        var prefix = key.Contains('.') ? key[..key.LastIndexOf('.')] : key;
        var near = file.Metadata.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Order().Take(8).ToList();
        return new CliException($"{file.Path} has no metadata key '{key}'" + (near.Count > 0 ? $"; keys under '{prefix}': {string.Join(", ", near)}" : ""));
    }

    private static void Render(IAnsiConsole console, GgufModelSummary s, List<(string Key, GgufValue Value)> requested, IReadOnlyList<GgufTensorInfo>? tensors)
    {
        // Metadata floats are float32: seven significant digits show them as written (1E-06, not 9.99999997E-07).
        static string Or(object? value) => value switch
        {
            null => "[grey]absent[/]",
            double d => d.ToString("G7", CultureInfo.InvariantCulture),
            _ => Markup.Escape(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""),
        };
        var facts = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        void Fact(string name, string value) => facts.AddRow($"[bold]{name}[/]", value);
        Fact("file", $"{Markup.Escape(s.Path)} ({Bytes(s.FileBytes)}, GGUF v{s.Version})");
        Fact("architecture", Or(s.Architecture));
        if (s.Name is not null) Fact("name", Or(s.Name));
        Fact("parameters", $"{Count(s.ParameterCount)} ({s.ParameterCount:N0} in {s.TensorCount} tensors)");
        Fact("context length", Or(s.ContextLength));
        Fact("embedding length", Or(s.EmbeddingLength));
        Fact("layers", Or(s.BlockCount));
        Fact("heads / kv heads", $"{Or(s.HeadCount)} / {Or(s.HeadCountKv)} (head dim {Or(s.HeadDimension)})");
        Fact("feed-forward length", Or(s.FeedForwardLength));
        Fact("rope base", Or(s.RopeFreqBase));
        Fact("rms norm epsilon", Or(s.RmsNormEpsilon));
        Fact("output head", s.TiedOutput ? "tied to token_embd" : "separate output.weight");
        Fact("tokenizer", $"{Or(s.TokenizerModel)} (pre {Or(s.TokenizerPre)}), vocab {Or(s.VocabSize)}, bos {Or(s.BosTokenId)}, eos {Or(s.EosTokenId)}");
        Fact("chat template", TemplateSummary(s.ChatTemplate));
        console.Write(facts);

        var mix = new Table().Border(TableBorder.Rounded).AddColumn("type")
            .AddColumn(new TableColumn("tensors").RightAligned()).AddColumn(new TableColumn("parameters").RightAligned())
            .AddColumn(new TableColumn("bytes").RightAligned()).AddColumn(new TableColumn("share").RightAligned());
        var totalBytes = Math.Max(1, s.TypeMix.Sum(t => t.Bytes));
        foreach (var t in s.TypeMix)
            mix.AddRow(t.Type.ToString(), t.Tensors.ToString(CultureInfo.InvariantCulture), Count(t.Parameters), Bytes(t.Bytes),
                ((double)t.Bytes / totalBytes).ToString("P1", CultureInfo.InvariantCulture));
        console.Write(mix);

        if (requested.Count > 0)
        {
            var table = new Table().Border(TableBorder.Rounded).AddColumn("key").AddColumn("type").AddColumn("value");
            foreach (var (key, value) in requested)
                table.AddRow(Markup.Escape(key), value.Type == GgufValueType.Array ? $"array of {((GgufArray)value.Value).ElementType}" : value.Type.ToString(),
                    Markup.Escape(value.ToString()));
            console.Write(table);
        }
        if (tensors is not null)
        {
            var table = new Table().Border(TableBorder.Rounded).AddColumn("tensor").AddColumn("type").AddColumn("shape")
                .AddColumn(new TableColumn("bytes").RightAligned());
            foreach (var t in tensors)
                table.AddRow(Markup.Escape(t.Name), t.Type.ToString(), string.Join(" x ", t.Dimensions), Bytes(t.ByteSize));
            console.Write(table);
        }
    }

    private static string TemplateSummary(string? template)
    {
        if (template is null) return "[grey]none[/]";
        if (template.Length <= TemplateShownInFull) return Markup.Escape(template);
        var firstLine = template.Split('\n', 2)[0];
        if (firstLine.Length > 100) firstLine = firstLine[..100] + "…";
        return $"{template.Length:N0} characters, starting {Markup.Escape(firstLine)} [grey](--key tokenizer.chat_template shows it all)[/]";
    }

    private static object ToJson(GgufModelSummary s, List<(string Key, GgufValue Value)> requested, IReadOnlyList<GgufTensorInfo>? tensors) => new
    {
        s.Path, s.Version, s.FileBytes, s.Architecture, s.Name, s.ParameterCount, s.TensorCount,
        TypeMix = s.TypeMix.Select(t => new { Type = t.Type.ToString(), t.Tensors, t.Parameters, t.Bytes }),
        s.ContextLength, s.EmbeddingLength, s.BlockCount, s.FeedForwardLength, s.HeadCount, s.HeadCountKv, s.HeadDimension,
        s.RopeFreqBase, s.RmsNormEpsilon, s.TiedOutput,
        Tokenizer = new { Model = s.TokenizerModel, Pre = s.TokenizerPre, s.VocabSize, BosTokenId = s.BosTokenId, EosTokenId = s.EosTokenId },
        s.ChatTemplate,
        Keys = requested.Count == 0 ? null : requested.ToDictionary(r => r.Key, r => JsonValue(r.Value.Value)),
        Tensors = tensors?.Select(t => new { t.Name, Type = t.Type.ToString(), Shape = t.Dimensions, Bytes = t.ByteSize, t.Offset }),
    };

    /// <summary>Plain values for System.Text.Json; non-finite floats become strings, which JSON cannot hold as numbers.</summary>
    private static object? JsonValue(object value) => value switch
    {
        GgufArray a => a.Items.Select(JsonValue).ToList(),
        float f when !float.IsFinite(f) => f.ToString(CultureInfo.InvariantCulture),
        double d when !double.IsFinite(d) => d.ToString(CultureInfo.InvariantCulture),
        _ => value,
    };

    internal static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.00} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes} B",
    };

    private static string Count(long n) => n switch
    {
        >= 1_000_000_000 => $"{n / 1e9:0.00}B",
        >= 1_000_000 => $"{n / 1e6:0.00}M",
        >= 1_000 => $"{n / 1e3:0.0}K",
        _ => n.ToString(CultureInfo.InvariantCulture),
    };
}

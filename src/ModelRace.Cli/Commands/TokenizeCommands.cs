using System.CommandLine;
using ModelRace.Local.Gguf;
using ModelRace.Local.Tokenizers;
using Spectre.Console;

namespace ModelRace.Cli.Commands;

/// <summary>`modelrace tokenize --model FILE.gguf TEXT`: the token ids llama.cpp would give for TEXT.</summary>
internal static class TokenizeCommands
{
    public static Command Create(CliContext context)
    {
        var model = new Option<FileInfo>("--model", "-m") { Description = "GGUF file whose tokenizer to use (a vocab-only GGUF works too).", Required = true };
        var noBos = new Option<bool>("--no-bos") { Description = "Do not add the BOS/EOS tokens the model asks for." };
        var parseSpecial = new Option<bool>("--parse-special") { Description = "Turn the text of control tokens (e.g. <|im_start|>) into those tokens." };
        var pieces = new Option<bool>("--pieces") { Description = "Print each token id with its piece of text, one per line." };
        var json = CommonOptions.Json();
        var text = new Argument<string>("text") { Description = "The text to tokenize." };
        var command = new Command("tokenize", "Tokenize text with a GGUF model's tokenizer, exactly as llama.cpp does.")
        {
            model, noBos, parseSpecial, pieces, json, text,
        };
        command.SetAction(parse =>
        {
            var file = parse.GetValue(model)!;
            if (!file.Exists) throw new CliException($"model file '{file.FullName}' does not exist");
            ITokenizer tokenizer;
            try
            {
                using var gguf = GgufFile.Open(file.FullName);
                tokenizer = Tokenizer.FromGguf(gguf);
            }
            catch (Exception e) when (e is GgufFormatException or TokenizerException)
            {
                throw new CliException($"cannot read the tokenizer of '{file.FullName}': {e.Message}");
            }
            var ids = tokenizer.Encode(parse.GetValue(text) ?? "", addSpecial: !parse.GetValue(noBos), parseSpecial: parse.GetValue(parseSpecial));
            if (parse.GetValue(json))
                CommonOptions.WriteJson(context, ids.Select(id => new TokenJson(id, tokenizer.Decode([id], includeSpecial: true), tokenizer.TokenText(id))));
            else if (parse.GetValue(pieces))
                foreach (var id in ids) context.Console.WriteLine($"{id,6} -> '{ShowPiece(tokenizer, id)}'", Style.Plain);
            else
                context.Out.WriteLine(string.Join(' ', ids));
            return 0;
        });
        return command;
    }

    /// <summary>A token's text for display; a byte that is only part of a character shows as its hex value.</summary>
    private static string ShowPiece(ITokenizer tokenizer, int id)
    {
        var bytes = tokenizer.TokenBytes(id, includeSpecial: true);
        var text = System.Text.Encoding.UTF8.GetString(bytes);
        return text.Contains('\uFFFD', StringComparison.Ordinal) && bytes.Length > 0 ? string.Concat(bytes.Select(b => $"<0x{b:X2}>")) : text;
    }

    private sealed record TokenJson(int Id, string Piece, string Text);
}

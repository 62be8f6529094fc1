using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ModelRace.Core.Race;

namespace ModelRace.Race.Running;

/// <summary>Content hashes that decide whether a rerun is "the same race" and therefore resumes.</summary>
public static class RaceKeys
{
    public static string SuiteHash(Suite suite)
    {
        var canonical = JsonSerializer.Serialize(new
        {
            suite.SystemPrompt,
            FewShot = suite.FewShot.Select(t => new[] { t.Role, t.Content }),
            suite.Generation.MaxOutputTokens, suite.Generation.Temperature, suite.Generation.TopP,
            Items = suite.Items.Select(i => new
            {
                i.Id, Messages = i.Messages.Select(t => new[] { t.Role, t.Content }), i.Answers, i.Scorer, i.Category, i.Choices, i.ScorerOptionsJson,
            }),
        });
        return Hex(canonical);
    }

    /// <summary>Generative races keep the key they had before <see cref="MultipleChoiceMode"/> existed, so their stored runs still resume.</summary>
    public static string ResumeKey(string suiteHash, IEnumerable<ContestantInfo> contestants, MultipleChoiceMode multipleChoice = MultipleChoiceMode.Generate) =>
        Hex(suiteHash + (multipleChoice == MultipleChoiceMode.Generate ? "" : $"\nmultiple-choice:{multipleChoice}") + "\n"
            + string.Join("\n", contestants.Select(c => $"{c.Name}\t{c.Endpoint}\t{c.Model}").Order(StringComparer.Ordinal)));

    private static string Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}

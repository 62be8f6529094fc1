using System.Reflection;
using ModelRace.Core.Catalog;

namespace ModelRace.Catalog;

/// <summary>
/// The built-in cards embedded in this assembly, overlaid by user cards
/// (~/.modelrace/catalog/ or --catalog DIR); a user card with the same id replaces the built-in one.
/// </summary>
public sealed class ModelCatalog
{
    private readonly Dictionary<string, ModelCard> _cards;

    private ModelCatalog(Dictionary<string, ModelCard> cards, IReadOnlyList<string> warnings)
    {
        _cards = cards;
        Warnings = warnings;
    }

    public IReadOnlyList<string> Warnings { get; }
    public IReadOnlyCollection<ModelCard> Cards => _cards.Values;

    public ModelCard? Find(string id) => _cards.GetValueOrDefault(id);

    /// <summary>Finds the card whose id, or one of whose deployments' model names, matches.</summary>
    public ModelCard? FindByDeployment(string provider, string modelName) =>
        _cards.Values.FirstOrDefault(c => c.Deployments.Any(d =>
            d.Provider.Equals(provider, StringComparison.OrdinalIgnoreCase) && d.ModelName.Equals(modelName, StringComparison.OrdinalIgnoreCase)));

    public IEnumerable<ModelCard> Query(CatalogQuery query) =>
        query.Apply(_cards.Values).OrderBy(c => c.Organisation, StringComparer.OrdinalIgnoreCase).ThenBy(c => c.Id, StringComparer.Ordinal);

    public static ModelCatalog BuiltInOnly() => Load(userDirectories: []);

    public static ModelCatalog Load(IEnumerable<string> userDirectories)
    {
        var warnings = new List<string>();
        var cards = new Dictionary<string, ModelCard>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, yaml) in BuiltInFiles())
            AddAll(cards, CardParser.Parse(yaml, $"built-in:{name}", warnings), duplicateIsError: true);

        foreach (var directory in userDirectories.Where(Directory.Exists))
        {
            var userCards = new Dictionary<string, ModelCard>(StringComparer.OrdinalIgnoreCase);
            foreach (var file in Directory.EnumerateFiles(directory, "*.*", SearchOption.AllDirectories)
                         .Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
                         .Order(StringComparer.Ordinal))
                AddAll(userCards, CardParser.Parse(File.ReadAllText(file), file, warnings), duplicateIsError: true);
            foreach (var card in userCards.Values) cards[card.Id] = card;
        }
        return new ModelCatalog(cards, warnings);
    }

    private static void AddAll(Dictionary<string, ModelCard> cards, IEnumerable<ModelCard> parsed, bool duplicateIsError)
    {
        foreach (var card in parsed)
        {
            if (duplicateIsError && cards.TryGetValue(card.Id, out var existing))
                throw new CatalogException(card.Origin, "id", $"'{card.Id}' is already defined in {existing.Origin}");
            cards[card.Id] = card;
        }
    }

    private static IEnumerable<(string Name, string Yaml)> BuiltInFiles()
    {
        var assembly = typeof(ModelCatalog).Assembly;
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.EndsWith(".yaml", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            yield return (resource.Replace("ModelRace.Catalog.Cards.", "", StringComparison.Ordinal), reader.ReadToEnd());
        }
    }
}

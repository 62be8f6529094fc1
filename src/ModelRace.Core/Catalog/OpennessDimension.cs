namespace ModelRace.Core.Catalog;

/// <summary>The dimensions graded by the European Open Source AI Index (osai-index.eu).</summary>
public enum OpennessDimension
{
    TrainingCode,
    BaseModelData,
    EndModelData,
    BaseWeights,
    EndWeights,
    Licence,
    CodeDocumentation,
    HardwareArchitecture,
    Preprint,
    Paper,
    ModelCard,
    Datasheet,
}

public static class OpennessScoring
{
    public static double? Score(IEnumerable<OpennessGrade> grades)
    {
        var graded = grades.Where(g => g != OpennessGrade.Unknown).ToList();
        if (graded.Count == 0) return null;
        return graded.Sum(g => g switch { OpennessGrade.Open => 1.0, OpennessGrade.Partial => 0.5, _ => 0.0 }) / graded.Count;
    }
}

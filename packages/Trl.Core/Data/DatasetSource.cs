namespace Trl.Data;

/// <summary>One dataset of a mixture, as TRL's DatasetConfig (the arguments of datasets.load_dataset): a local path or
/// Hub id, its configuration name, a data_dir or data_files inside it, the split, the columns kept, and its target
/// share of the mixture.</summary>
public sealed record DatasetSource
{
    /// <summary>A dataset folder or file, or a Hub dataset id (org/name).</summary>
    public required string Path { get; init; }
    /// <summary>The configuration (dataset_config).</summary>
    public string? Name { get; init; }
    /// <summary>A sub-folder whose files are the data.</summary>
    public string? DataDir { get; init; }
    /// <summary>Data files (relative paths or glob patterns) read as the split, instead of the split's own files.</summary>
    public IReadOnlyList<string>? DataFiles { get; init; }
    /// <summary>The split to read.</summary>
    public string Split { get; init; } = "train";
    /// <summary>The columns kept (null: all).</summary>
    public IReadOnlyList<string>? Columns { get; init; }
    /// <summary>The target share of the mixture (all sources set it, or none).</summary>
    public double? Fraction { get; init; }
}

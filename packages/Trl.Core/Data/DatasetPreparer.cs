using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Trl.Data;

/// <summary>The one way every trainer package turns dataset rows into training examples: <see cref="PrepareRow"/> maps
/// a row to its examples (usually one), a whole-dataset step (<see cref="Complete"/>: packing, pairing) follows, and a
/// row that cannot be used — a missing or mistyped field, an unparsable line — either stops the run with an error
/// naming its file, row and field (<see cref="BadRowPolicy.Error"/>) or is skipped, logged and counted
/// (<see cref="BadRowPolicy.Skip"/>). Nothing is dropped silently: rows a trainer drops by TRL's rules (e.g. longer
/// than max_length) are counted in <see cref="PreparedDataset{TExample}.DroppedRows"/>.</summary>
public abstract class DatasetPreparer<TExample>
{
    /// <summary>The examples of one row; throw <see cref="DatasetRow.Error"/>'s exception for a bad row, return none
    /// (and call <see cref="Drop"/>) for a row TRL drops by rule.</summary>
    protected abstract IEnumerable<TExample> PrepareRow(DatasetRow row);

    /// <summary>A step over all examples once every row is prepared (the default keeps them as they are).</summary>
    protected virtual List<TExample> Complete(List<TExample> examples) => examples;

    int _dropped;

    /// <summary>Counts a row dropped by rule (not a bad row).</summary>
    protected void Drop() => _dropped++;

    /// <summary>Prepares a whole dataset under <paramref name="policy"/>.</summary>
    public PreparedDataset<TExample> Prepare(IEnumerable<DatasetRow> rows, BadRowPolicy policy = BadRowPolicy.Error, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        logger ??= NullLogger.Instance;
        _dropped = 0;
        var examples = new List<TExample>();
        var skipped = new List<string>();
        foreach (var row in rows)
        {
            try
            {
                row.ThrowIfUnreadable();
                examples.AddRange(PrepareRow(row));
            }
            catch (InvalidDataException e) when (policy == BadRowPolicy.Skip)
            {
                skipped.Add(e.Message);
                logger.LogWarning("Skipped bad row: {Reason}", e.Message);
            }
        }
        return new PreparedDataset<TExample>(Complete(examples), skipped.Count, _dropped) { SkipReasons = skipped };
    }

    /// <summary>The examples of one row (bad rows throw).</summary>
    public IReadOnlyList<TExample> Prepare(DatasetRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        row.ThrowIfUnreadable();
        return PrepareRow(row).ToList();
    }
}

/// <summary>A prepared dataset: the examples, and how many rows were skipped as bad or dropped by the trainer's rules.</summary>
public sealed class PreparedDataset<TExample>(IReadOnlyList<TExample> examples, int skippedRows, int droppedRows)
{
    /// <summary>The examples.</summary>
    public IReadOnlyList<TExample> Examples { get; } = examples ?? throw new ArgumentNullException(nameof(examples));
    /// <summary>Bad rows skipped under <see cref="BadRowPolicy.Skip"/>.</summary>
    public int SkippedRows { get; } = skippedRows;
    /// <summary>Rows dropped by the trainer's rules (e.g. longer than max_length).</summary>
    public int DroppedRows { get; } = droppedRows;

    /// <summary>Why each skipped row was skipped (file, row, field).</summary>
    public IReadOnlyList<string> SkipReasons { get; init; } = Array.Empty<string>();
}

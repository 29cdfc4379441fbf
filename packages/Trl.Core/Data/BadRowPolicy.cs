namespace Trl.Data;

/// <summary>What happens to a dataset row that cannot be used (missing column, wrong type, empty completion).</summary>
public enum BadRowPolicy
{
    /// <summary>Stop with an error naming the file, row and field (the default).</summary>
    Error,
    /// <summary>Skip the row, log why, and count it.</summary>
    Skip,
}

namespace Trl.Hub;

/// <summary>The Hub or its cache could not provide a repository file: not found, access denied, offline with nothing
/// cached, or a network failure. The message names the repository, revision and file.</summary>
public sealed class HubException : Exception
{
    /// <summary>An error with its message.</summary>
    public HubException(string message) : base(message) { }

    /// <summary>An error with its message and cause.</summary>
    public HubException(string message, Exception inner) : base(message, inner) { }

    /// <summary>An error with no message (serialisation and analyzers' sake).</summary>
    public HubException() { }
}

namespace Trl.Hub;

/// <summary>A repository at one commit, as the Hub's revision API answers: the commit sha and the files it holds.</summary>
/// <param name="Sha">The 40-hex commit the revision resolved to.</param>
/// <param name="Files">Every file path in the repository at that commit (forward slashes).</param>
public sealed record HubRevision(string Sha, IReadOnlyList<string> Files);

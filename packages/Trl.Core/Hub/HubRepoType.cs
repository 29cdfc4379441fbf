namespace Trl.Hub;

/// <summary>The kind of Hub repository: it decides the cache folder prefix and the URL paths.</summary>
public enum HubRepoType
{
    /// <summary>A model repository (<c>models--org--name</c>, <c>/{id}/resolve/…</c>).</summary>
    Model,
    /// <summary>A dataset repository (<c>datasets--org--name</c>, <c>/datasets/{id}/resolve/…</c>).</summary>
    Dataset,
}

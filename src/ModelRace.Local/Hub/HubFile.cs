namespace ModelRace.Local.Hub;

/// <summary>A file in a hub repository. <see cref="Sha256"/> is the LFS object id, present for LFS files such as GGUFs.</summary>
public sealed record HubFile(string Path, long Size, string? Sha256);

/// <summary>Bytes of one file on disk so far, out of its total.</summary>
public readonly record struct DownloadProgress(string File, long BytesDone, long TotalBytes);

/// <summary>A file the hub delivered, checked, and placed in the cache.</summary>
/// <param name="Verified">False only when the hub published no SHA-256 for the file (non-LFS files); then only the size was checked.</param>
public sealed record PulledModel(string Repo, HubFile File, string LocalPath, bool AlreadyCached, bool Verified);

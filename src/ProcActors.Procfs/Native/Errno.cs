namespace ProcActors.Procfs.Native;

internal static class Errno
{
    /// <summary>How a failed read of a process file is to be taken: the process went away, we may not read it, or it broke.</summary>
    public static ReadStatus Classify(int negativeErrno) =>
        -negativeErrno switch
        {
            LibC.ENOENT or LibC.ESRCH => ReadStatus.Vanished,
            LibC.EACCES or LibC.EPERM => ReadStatus.PermissionDenied,
            _ => ReadStatus.Failed,
        };
}

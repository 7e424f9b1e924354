using ProcActors.Procfs.Native;

namespace ProcActors.Procfs.Tests;

public sealed class ErrnoTests
{
    [Theory]
    [InlineData(-LibC.ENOENT, ReadStatus.Vanished)]
    [InlineData(-LibC.ESRCH, ReadStatus.Vanished)]
    [InlineData(-LibC.EACCES, ReadStatus.PermissionDenied)]
    [InlineData(-LibC.EPERM, ReadStatus.PermissionDenied)]
    [InlineData(-LibC.EINVAL, ReadStatus.Failed)]
    [InlineData(-LibC.ENOTDIR, ReadStatus.Failed)]
    [InlineData(-5, ReadStatus.Failed)] // EIO
    [InlineData(-12, ReadStatus.Failed)] // ENOMEM
    public void Classifies_a_negative_errno(int negativeErrno, ReadStatus expected)
    {
        Assert.Equal(expected, Errno.Classify(negativeErrno));
    }

    [Fact]
    public void The_constants_are_Linux_errno_values()
    {
        Assert.Equal(1, LibC.EPERM);
        Assert.Equal(2, LibC.ENOENT);
        Assert.Equal(3, LibC.ESRCH);
        Assert.Equal(4, LibC.EINTR);
        Assert.Equal(13, LibC.EACCES);
        Assert.Equal(20, LibC.ENOTDIR);
        Assert.Equal(22, LibC.EINVAL);
    }
}

using System.Runtime.InteropServices;

namespace ProcActors.Procfs.Tests;

public sealed partial class OwnCodePagesTests
{
    [Fact]
    public void Only_private_read_only_mappings_of_a_file_are_chosen()
    {
        string[] maps =
        [
            "55e222fab000-55e223036000 r--p 00000000 fe:01 1311 /opt/procactors/procactors",
            "55e223036000-55e22525f000 r-xp 0008b000 fe:01 1311 /opt/procactors/procactors",
            "55e227ca0000-55e227dd9000 rw-p 04cf2000 fe:01 1311 /opt/procactors/procactors",
            "5619af76c000-5619b1210000 rw-p 00000000 00:00 0 ",
            "5619c559f000-5619c56a0000 rw-p 00000000 00:00 0                          [heap]",
            "7f6c8e420000-7f6c8e4c0000 r--s 00000000 fe:01 77 /usr/share/some.cache",
            "7f6c8e500000-7f6c8e600000 r-xs 00000000 00:01 12 /memfd:doublemapper (deleted)",
            "7f6c8e600000-7f6c8e700000 r-xp 00000000 00:01 12 /memfd:doublemapper (deleted)",
            "7f6c8e700000-7f6c8e710000 r--p 00000000 fe:01 99 /usr/lib/dotnet/shared/with a space/System.Runtime.dll",
            "7f6c8e710000-7f6c8e720000 r--p 00000000 fe:01 98 /tmp/gone.dll (deleted)",
            "7ffc56971000-7ffc56973000 r-xp 00000000 00:00 0                          [vdso]",
            "not a maps line",
            "zz-yy r--p 00000000 fe:01 1 /broken",
        ];

        var chosen = OwnCodePages.ReadOnlyFileMappings(maps);

        Assert.Equal(
            [
                new FileMapping(0x55e222fab000, 0x55e223036000, "/opt/procactors/procactors"),
                new FileMapping(0x55e223036000, 0x55e22525f000, "/opt/procactors/procactors"),
                new FileMapping(0x7f6c8e700000, 0x7f6c8e710000, "/usr/lib/dotnet/shared/with a space/System.Runtime.dll"),
            ],
            chosen);
        Assert.Equal((nuint)0x8b000, chosen[0].Length);
    }

    [Fact]
    public void Releasing_drops_the_resident_pages_of_a_private_read_only_file_mapping()
    {
        // A file of our own, mapped as the loader maps code (private, read-only) and read page by page: the
        // framework's files may be mapped by other processes too, and the kernel leaves shared pages alone.
        const int size = 16 * 1024 * 1024;
        var path = Path.Combine(AppContext.BaseDirectory, $"pageout-{Environment.ProcessId}-{Guid.NewGuid():N}.bin");
        var bytes = new byte[size];
        Random.Shared.NextBytes(bytes);
        using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
            stream.Write(bytes);
            // Written back to disk: the kernel reclaims clean file pages; dirty ones would wait for writeback.
            stream.Flush(flushToDisk: true);
        }
        using var file = File.OpenHandle(path);
        var address = Mmap(0, size, ProtRead, MapPrivate, (int)file.DangerousGetHandle(), 0);
        Assert.NotEqual(-1, address);
        try
        {
            var sum = 0;
            for (var offset = 0; offset < size; offset += 4096) sum += Marshal.ReadByte(address, offset);
            Assert.True(sum >= 0);
            var touched = OwnCodePages.ResidentFileBytes();

            var release = OwnCodePages.Release();

            Assert.True(release.Mappings > 10, $"{release.Mappings} read-only file mappings");
            Assert.Equal(0, release.Failures);
            Assert.True(touched >= size, $"resident file pages after touching the file: {touched / 1024} kB");
            Assert.True(release.ReleasedBytes >= size * 3L / 4,
                $"resident file pages {release.ResidentFileBytesBefore / 1024} kB -> {release.ResidentFileBytesAfter / 1024} kB");
        }
        finally
        {
            _ = Munmap(address, size);
            File.Delete(path);
        }
    }

    private const int ProtRead = 1;
    private const int MapPrivate = 2;

    [LibraryImport("libc", EntryPoint = "mmap")]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Munmap(nint address, nuint length);
}

using System.Globalization;
using System.Text;

namespace ProcActors.Testing;

/// <summary>
/// Writes /proc file contents in the kernel's layout. The fields a parser must skip hold decoy values (9000 and up),
/// so that reading the field next to the right one gives a visibly wrong number.
/// </summary>
public static class ProcText
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Stat(
        int pid,
        string comm,
        char state = 'S',
        int ppid = 1,
        ulong minflt = 0,
        ulong majflt = 0,
        ulong utime = 0,
        ulong stime = 0,
        long numThreads = 1,
        ulong starttime = 0,
        ulong vsize = 0,
        long rss = 0) =>
        string.Create(Inv,
            $"{pid} ({comm}) {state} {ppid} 9005 9006 9007 9008 4194304 {minflt} 9011 {majflt} 9013 {utime} {stime} 9016 9017 20 0 {numThreads} 9021 {starttime} {vsize} {rss} 18446744073709551615 94064367362048 94064367379977 140735417017376 0 0 0 0 6 0 1 0 0 17 0 0 0 0 0 0 94064367394064 94064367395328 94065294893056 140735417018811 140735417018820 140735417018820 140735417020393 0\n");

    /// <summary>/proc/[pid]/status. <paramref name="kernelThread"/> leaves out the Vm* lines, as the kernel does for threads without memory.</summary>
    public static string Status(
        string name,
        char state = 'S',
        int pid = 1,
        int ppid = 0,
        uint uid = 0,
        uint realUid = 0,
        ulong? vmSwapKb = 0,
        ulong voluntary = 0,
        ulong nonvoluntary = 0,
        int threads = 1,
        bool kernelThread = false)
    {
        var stateName = state switch
        {
            'R' => "R (running)",
            'S' => "S (sleeping)",
            'D' => "D (disk sleep)",
            'Z' => "Z (zombie)",
            'I' => "I (idle)",
            _ => $"{state} (other)",
        };
        var text = new StringBuilder();
        text.Append(Inv, $"Name:\t{name}\nUmask:\t0022\nState:\t{stateName}\nTgid:\t{pid}\nNgid:\t0\nPid:\t{pid}\nPPid:\t{ppid}\nTracerPid:\t0\n");
        text.Append(Inv, $"Uid:\t{realUid}\t{uid}\t{realUid}\t{realUid}\nGid:\t9100\t9101\t9102\t9103\nFDSize:\t256\nGroups:\t \n");
        text.Append(Inv, $"NStgid:\t{pid}\nNSpid:\t{pid}\nNSpgid:\t{pid}\nNSsid:\t{pid}\nKthread:\t{(kernelThread ? 1 : 0)}\n");
        if (!kernelThread)
        {
            text.Append("VmPeak:\t    9200 kB\nVmSize:\t    9201 kB\nVmLck:\t       0 kB\nVmPin:\t       0 kB\nVmHWM:\t    9204 kB\nVmRSS:\t    9205 kB\n");
            text.Append("RssAnon:\t     108 kB\nRssFile:\t    1684 kB\nRssShmem:\t       0 kB\nVmData:\t     224 kB\nVmStk:\t     132 kB\nVmExe:\t      20 kB\nVmLib:\t    1528 kB\nVmPTE:\t      44 kB\n");
            if (vmSwapKb is { } swap) text.Append(Inv, $"VmSwap:\t{swap,8} kB\n");
            text.Append("HugetlbPages:\t       0 kB\nCoreDumping:\t0\nTHP_enabled:\t1\nuntag_mask:\t0xffffffffffffffff\n");
        }
        text.Append(Inv, $"Threads:\t{threads}\nSigQ:\t0/96365\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\nSigBlk:\t0000000000000000\n");
        text.Append("SigIgn:\t0000000000000006\nSigCgt:\t0000000000000000\nCapInh:\t0000000000000000\nCapPrm:\t000001fffeffffff\nCapEff:\t000001fffeffffff\n");
        text.Append("CapBnd:\t000001fffeffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n");
        text.Append("Speculation_Store_Bypass:\tthread vulnerable\nSpeculationIndirectBranch:\tconditional enabled\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\n");
        text.Append("Mems_allowed:\t00000000,00000001\nMems_allowed_list:\t0\n");
        text.Append(Inv, $"voluntary_ctxt_switches:\t{voluntary}\nnonvoluntary_ctxt_switches:\t{nonvoluntary}\n");
        return text.ToString();
    }

    public static string Io(ulong readBytes, ulong writeBytes) =>
        string.Create(Inv, $"rchar: 9301\nwchar: 9302\nsyscr: 9303\nsyscw: 9304\nread_bytes: {readBytes}\nwrite_bytes: {writeBytes}\ncancelled_write_bytes: 9307\n");

    /// <summary>/proc/[pid]/limits with the given soft limit of open files ("1024", "unlimited").</summary>
    public static string Limits(string openFilesSoft, string openFilesHard = "524288") =>
        "Limit                     Soft Limit           Hard Limit           Units     \n" +
        "Max cpu time              unlimited            unlimited            seconds   \n" +
        "Max file size             unlimited            unlimited            bytes     \n" +
        "Max data size             unlimited            unlimited            bytes     \n" +
        "Max stack size            8388608              unlimited            bytes     \n" +
        "Max core file size        0                    unlimited            bytes     \n" +
        "Max resident set          unlimited            unlimited            bytes     \n" +
        "Max processes             96365                96365                processes \n" +
        $"Max open files            {openFilesSoft,-21}{openFilesHard,-21}files     \n" +
        "Max locked memory         8388608              8388608              bytes     \n" +
        "Max address space         unlimited            unlimited            bytes     \n" +
        "Max file locks            unlimited            unlimited            locks     \n" +
        "Max pending signals       96365                96365                signals   \n" +
        "Max msgqueue size         819200               819200               bytes     \n" +
        "Max nice priority         0                    0                    \n" +
        "Max realtime priority     0                    0                    \n" +
        "Max realtime timeout      unlimited            unlimited            us        \n";

    /// <summary>/proc/[pid]/smaps_rollup; a null <paramref name="swapPssKb"/> leaves the SwapPss line out, as kernels before 4.19 do.</summary>
    public static string SmapsRollup(ulong pssKb, ulong? swapPssKb)
    {
        var text = new StringBuilder();
        text.Append("558d1133c000-7fff8489f000 ---p 00000000 00:00 0                          [rollup]\n");
        text.Append(Inv, $"Rss:            {9401,8} kB\nPss:            {pssKb,8} kB\nPss_Dirty:      {9403,8} kB\nPss_Anon:       {9404,8} kB\n");
        text.Append(Inv, $"Pss_File:       {9405,8} kB\nPss_Shmem:      {9406,8} kB\nShared_Clean:       1764 kB\nShared_Dirty:        232 kB\n");
        text.Append("Private_Clean:         0 kB\nPrivate_Dirty:       224 kB\nReferenced:         2044 kB\nAnonymous:           456 kB\n");
        text.Append("KSM:                   0 kB\nLazyFree:              0 kB\nAnonHugePages:         0 kB\nShmemPmdMapped:        0 kB\n");
        text.Append("FilePmdMapped:         0 kB\nShared_Hugetlb:        0 kB\nPrivate_Hugetlb:       0 kB\nSwap:               9420 kB\n");
        if (swapPssKb is { } swapPss) text.Append(Inv, $"SwapPss:        {swapPss,8} kB\n");
        text.Append("Locked:                0 kB\n");
        return text.ToString();
    }

    public static string SystemStat(long bootTime) =>
        "cpu  1720 0 499 457483 753 0 19 3 0 0\ncpu0 788 0 239 228600 606 0 6 1 0 0\ncpu1 931 0 259 228883 146 0 12 1 0 0\n" +
        "intr 114618 0 0 0 0 0 0 0 0 0\nctxt 207055\n" +
        string.Create(Inv, $"btime {bootTime}\n") +
        "processes 2841\nprocs_running 1\nprocs_blocked 0\nsoftirq 73214 0 17356 3 657 5400 0 2 36877 0 12919\n";
}

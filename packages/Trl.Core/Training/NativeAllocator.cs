using System.Runtime.InteropServices;

namespace Trl.Training;

/// <summary>An opt-in for CPU training speed at the cost of memory: glibc serves large blocks with mmap and unmaps
/// them on free, so each step page-faults its logits, activations and gradients in again. <see cref="Tune"/> turns
/// mmap off for malloc and never trims the heap, so the next step reuses the same pages. Measured at the
/// Qwen2.5-0.5B shape (2 layers, 2 threads): SFT 1×1024 steps 1.5× faster, for +1.8 GB peak RSS. The libraries
/// never call it (a process-wide setting is the application's choice); the <c>trl</c> tool calls it when
/// TRL_MALLOC_TUNING=1.</summary>
public static partial class NativeAllocator
{
    const int M_TRIM_THRESHOLD = -1, M_MMAP_MAX = -4;
    static readonly Lazy<bool> Applied = new(Apply);

    /// <summary>Tunes the allocator (once per process; Linux/glibc only); true when the tuning is in effect.</summary>
    public static bool Tune() => Applied.Value;

    static bool Apply()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try { return mallopt(M_MMAP_MAX, 0) == 1 && mallopt(M_TRIM_THRESHOLD, int.MaxValue) == 1; }
        catch (DllNotFoundException) { return false; }       // not glibc (e.g. musl)
        catch (EntryPointNotFoundException) { return false; }
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int mallopt(int param, int value);
}

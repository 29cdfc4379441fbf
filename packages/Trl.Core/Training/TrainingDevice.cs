using TorchSharp;
using static TorchSharp.torch;

namespace Trl.Training;

/// <summary>Where training runs, chosen as transformers chooses: CUDA when libtorch has it, unless use_cpu (or an
/// explicit device) says otherwise. The same code runs everywhere; only this choice differs.</summary>
public static class TrainingDevice
{
    /// <summary>The device for <paramref name="options"/>, with the reason it was chosen.</summary>
    public static (Device Device, string Reason) Choose(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Device is { } name)
        {
            Device device;
            try { device = new Device(name); }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                throw new ArgumentException($"device '{name}' is not a device (cpu, cuda, cuda:N).", e);
            }
            if (device.type == DeviceType.CUDA)
            {
                if (!cuda.is_available())
                    throw new NotSupportedException($"device '{name}' was asked for but CUDA is not available: the native backend is CPU-only (see trl env and the README's CUDA section).");
                if (device.index >= cuda.device_count())
                    throw new NotSupportedException($"device '{name}' was asked for but only {cuda.device_count()} CUDA device(s) exist.");
            }
            return (device, $"device: {name}");
        }
        if (options.UseCpu) return (CPU, "use_cpu: true");
        return cuda.is_available() ? (CUDA, "CUDA is available") : (CPU, "CUDA is not available (CPU-only native backend)");
    }

    /// <summary>Whether two devices are the same device.</summary>
    public static bool Same(Device a, Device b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.type == b.type && (a.type == DeviceType.CPU || Math.Max(a.index, 0) == Math.Max(b.index, 0));
    }
}

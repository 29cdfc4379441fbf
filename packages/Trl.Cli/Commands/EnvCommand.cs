using System.Reflection;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Trl.Cli.Commands;

/// <summary><c>trl env</c>: versions, device and native backend status, for bug reports.</summary>
internal static class EnvCommand
{
    public static int Run(TextWriter output)
    {
        string Version(Assembly a) => a.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? a.GetName().Version?.ToString() ?? "?";
        output.WriteLine($"trl (Trl.Cli)        {Version(typeof(EnvCommand).Assembly)}");
        output.WriteLine($"Trl.Core             {Version(typeof(Trl.Modeling.CausalLM).Assembly)}");
        output.WriteLine($"Trl.Sft              {Version(typeof(Trl.Sft.SftTrainer).Assembly)}");
        output.WriteLine($"Trl.Dpo              {Version(typeof(Trl.Dpo.DpoTrainer).Assembly)}");
        output.WriteLine($"Trl.Reward           {Version(typeof(Trl.Reward.RewardTrainer).Assembly)}");
        output.WriteLine($".NET                 {RuntimeInformation.FrameworkDescription} on {RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture})");
        output.WriteLine($"TorchSharp           {Version(typeof(TorchSharp.torch).Assembly)} (libtorch {__version__})");
        try
        {
            using var t = ones(2).add(1);
            output.WriteLine($"native backend       loaded (CPU threads: {get_num_threads()})");
            output.WriteLine($"CUDA available       {cuda.is_available()}{(cuda.is_available() ? $" ({cuda.device_count()} device(s))" : "")}");
            var (device, reason) = Trl.Training.TrainingDevice.Choose(new Trl.Training.TrainingOptions());
            output.WriteLine($"training device      {device.type.ToString().ToLowerInvariant()} ({reason}; use_cpu: true or --device to choose)");
            output.WriteLine($"libtorch location    {Path.GetDirectoryName(typeof(TorchSharp.torch).Assembly.Location)} (TRL_LIBTORCH_DIR / LD_LIBRARY_PATH select another, see README)");
        }
        catch (TypeInitializationException e)
        {
            output.WriteLine($"native backend       FAILED: {e.InnerException?.Message ?? e.Message}");
            return ExitCodes.Failure;
        }
        return ExitCodes.Success;
    }
}

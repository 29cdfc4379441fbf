using System.Runtime.InteropServices;

namespace Trl.Cli.Commands;

/// <summary>SIGINT (Ctrl-C) and SIGTERM as a request to stop training at the end of the current step; a second
/// signal is left to its default action, which ends the process at once.</summary>
internal sealed class StopSignals : IDisposable
{
    readonly CancellationTokenSource _stop = new();
    readonly List<PosixSignalRegistration> _registrations = new();

    public StopSignals()
    {
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
        {
            try { _registrations.Add(PosixSignalRegistration.Create(signal, OnSignal)); }
            catch (PlatformNotSupportedException) { }
        }
    }

    public CancellationToken Token => _stop.Token;

    void OnSignal(PosixSignalContext context)
    {
        if (_stop.IsCancellationRequested) return;   // second signal: default action (terminate)
        context.Cancel = true;
        Console.Error.WriteLine("trl: stopping after the current step (send the signal again to abort at once)...");
        _stop.Cancel();
    }

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _stop.Dispose();
    }
}

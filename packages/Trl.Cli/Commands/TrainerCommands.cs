using Trl.Cli.Commands.Trainers;

namespace Trl.Cli.Commands;

/// <summary>The registry of training subcommands: one line per trainer drives <c>trl --help</c>, dispatch, the
/// experimental notice (from the package's stage) and the tests that run every subcommand.</summary>
internal static class TrainerCommands
{
    public static readonly IReadOnlyList<TrainerCommand> All =
    [
        new SftCommand(), new DpoCommand(), new RewardCommand(), new GrpoCommand(),
        new KtoCommand(), new CpoCommand(), new OrpoCommand(), new BcoCommand(), new PrmCommand(),
        new RlooCommand(), new OnlineDpoCommand(), new XpoCommand(), new NashMdCommand(), new GkdCommand(), new PpoCommand(),
    ];

    /// <summary>A fresh instance of the named subcommand (commands keep state for one run).</summary>
    public static TrainerCommand? Create(string name) =>
        All.FirstOrDefault(c => c.Name == name) is { } c ? (TrainerCommand)Activator.CreateInstance(c.GetType())! : null;
}

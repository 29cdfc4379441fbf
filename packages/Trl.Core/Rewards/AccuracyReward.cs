using System.Globalization;
using System.Text.RegularExpressions;

namespace Trl.Rewards;

/// <summary>Exact-answer accuracy for math-like tasks (TRL's accuracy_reward, without a symbolic verifier): the
/// answer is the last <c>\boxed{…}</c>, else the text after the last <c>####</c>, else — when the solution is a
/// number — the last number in the completion, else the whole completion. Answers compare as numbers when both
/// parse, otherwise as normalised text. 1 if equal, 0 if not, null when the row has no solution column.</summary>
public sealed partial class AccuracyReward(string solutionColumn = "solution") : IRewardFunction
{
    /// <inheritdoc />
    public string Name => "accuracy_reward";

    /// <inheritdoc />
    public IReadOnlyList<double?> Score(RewardInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var scores = new double?[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            var solution = inputs.Column(solutionColumn, i) ?? inputs.Column("answer", i);
            if (solution is null) continue;
            var gold = ExtractAnswer(solution, numeric: false);
            var predicted = ExtractAnswer(inputs.Completions[i], numeric: TryNumber(gold, out _));
            scores[i] = AnswersEqual(predicted, gold) ? 1.0 : 0.0;
        }
        return scores;
    }

    /// <summary>The final answer of a text (see the class remarks).</summary>
    public static string ExtractAnswer(string text, bool numeric)
    {
        ArgumentNullException.ThrowIfNull(text);
        int boxed = text.LastIndexOf("\\boxed{", StringComparison.Ordinal);
        if (boxed >= 0)
        {
            int start = boxed + "\\boxed{".Length, depth = 1, j = start;
            for (; j < text.Length && depth > 0; j++) depth += text[j] == '{' ? 1 : text[j] == '}' ? -1 : 0;
            if (depth == 0) return text[start..(j - 1)];
        }
        int hashes = text.LastIndexOf("####", StringComparison.Ordinal);
        if (hashes >= 0) return text[(hashes + 4)..];
        if (numeric)
        {
            var numbers = NumberPattern().Matches(text);
            if (numbers.Count > 0) return numbers[^1].Value;
        }
        return text;
    }

    /// <summary>True when two answers agree numerically (relative 1e-6) or as normalised text.</summary>
    public static bool AnswersEqual(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (TryNumber(a, out var x) && TryNumber(b, out var y)) return Math.Abs(x - y) <= 1e-6 * Math.Max(1.0, Math.Abs(y));
        return Normalize(a) == Normalize(b);
    }

    static bool TryNumber(string s, out double value) =>
        double.TryParse(Normalize(s).Replace(",", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    static string Normalize(string s) => WhitespaceOrDollar().Replace(s.Trim().TrimEnd('.').ToLowerInvariant(), "");

    [GeneratedRegex(@"-?\d[\d,]*(\.\d+)?")]
    private static partial Regex NumberPattern();

    [GeneratedRegex(@"[\s$]+")]
    private static partial Regex WhitespaceOrDollar();
}

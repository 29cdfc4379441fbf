namespace Trl.Tokenization;

/// <summary>How HF tokenizers treat added tokens: they are found in the raw text first (earliest match, longest
/// token first at the same place), and only the text between them goes through normalisation and the model.</summary>
internal static class AddedTokens
{
    /// <summary>Encodes <paramref name="text"/>: each stretch between added tokens goes to
    /// <paramref name="encodePlain"/> (start, end, whether it starts the text, output list); added tokens are emitted
    /// with their own spans. <paramref name="added"/> must be sorted longest first.</summary>
    public static List<(long Id, int Start, int End)> Encode(string text, IReadOnlyList<(string Content, long Id, bool Special)> added,
        Action<int, int, bool, List<(long, int, int)>> encodePlain)
    {
        var result = new List<(long, int, int)>();
        int pos = 0;
        while (pos <= text.Length)
        {
            int bestAt = -1, best = -1;
            for (int i = 0; i < added.Count; i++)
            {
                int at = text.IndexOf(added[i].Content, pos, StringComparison.Ordinal);
                if (at >= 0 && (bestAt < 0 || at < bestAt)) { bestAt = at; best = i; }
            }
            int end = bestAt < 0 ? text.Length : bestAt;
            if (end > pos) encodePlain(pos, end, pos == 0, result);
            if (best < 0) break;
            result.Add((added[best].Id, bestAt, bestAt + added[best].Content.Length));
            pos = bestAt + added[best].Content.Length;
        }
        return result;
    }
}

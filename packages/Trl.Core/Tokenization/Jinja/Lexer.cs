using System.Text;

namespace Trl.Tokenization.Jinja;

/// <summary>Splits a template into text, {{ expression }} and {% statement %} pieces, applying the '-' whitespace
/// control of Jinja and dropping {# comments #}.</summary>
internal static class Lexer
{
    internal enum Kind { Text, Output, Statement }

    internal sealed record Piece(Kind Kind, string Content, int Position);

    public static List<Piece> Split(string template)
    {
        var pieces = new List<Piece>();
        int pos = 0;
        bool trimNextLeft = false;
        while (pos < template.Length)
        {
            int open = IndexOfTag(template, pos);
            string text = open < 0 ? template[pos..] : template[pos..open];
            if (trimNextLeft) text = text.TrimStart();
            if (open >= 0 && template.Length > open + 2 && template[open + 2] == '-') text = text.TrimEnd();
            if (text.Length > 0) pieces.Add(new Piece(Kind.Text, text, pos));
            if (open < 0) break;
            char type = template[open + 1];
            string close = type switch { '{' => "}}", '%' => "%}", _ => "#}" };
            int end = template.IndexOf(close, open + 2, StringComparison.Ordinal);
            if (end < 0) throw new ChatTemplateException($"chat template: unclosed tag at position {open}.");
            int innerStart = open + 2, innerEnd = end;
            if (innerStart < innerEnd && template[innerStart] == '-') innerStart++;
            trimNextLeft = innerEnd > innerStart && template[innerEnd - 1] == '-';
            if (trimNextLeft) innerEnd--;
            var inner = template[innerStart..innerEnd].Trim();
            if (type == '{') pieces.Add(new Piece(Kind.Output, inner, open));
            else if (type == '%') pieces.Add(new Piece(Kind.Statement, inner, open));
            pos = end + 2;
        }
        return pieces;
    }

    static int IndexOfTag(string s, int from)
    {
        for (int i = from; i + 1 < s.Length; i++)
            if (s[i] == '{' && (s[i + 1] == '{' || s[i + 1] == '%' || s[i + 1] == '#')) return i;
        return -1;
    }

    /// <summary>Expression tokens: names, numbers, strings (with escapes) and operators.</summary>
    public static List<string> Tokens(string expr, int position)
    {
        var tokens = new List<string>();
        int i = 0;
        while (i < expr.Length)
        {
            char c = expr[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (char.IsLetter(c) || c == '_')
            {
                int s = i;
                while (i < expr.Length && (char.IsLetterOrDigit(expr[i]) || expr[i] == '_')) i++;
                tokens.Add(expr[s..i]);
            }
            else if (char.IsDigit(c))
            {
                int s = i;
                while (i < expr.Length && (char.IsDigit(expr[i]) || expr[i] == '.')) i++;
                tokens.Add(expr[s..i]);
            }
            else if (c is '\'' or '"')
            {
                var sb = new StringBuilder("\"");
                i++;
                while (i < expr.Length && expr[i] != c)
                {
                    if (expr[i] == '\\' && i + 1 < expr.Length)
                    {
                        i++;
                        sb.Append(expr[i] switch { 'n' => '\n', 't' => '\t', 'r' => '\r', var x => x });
                    }
                    else sb.Append(expr[i]);
                    i++;
                }
                if (i >= expr.Length) throw new ChatTemplateException($"chat template: unterminated string at position {position}.");
                i++;
                tokens.Add(sb.ToString());
            }
            else
            {
                string two = i + 1 < expr.Length ? expr.Substring(i, 2) : "";
                if (two is "==" or "!=" or "<=" or ">=") { tokens.Add(two); i += 2; }
                else if ("+-*/%~()[]{}.,:|<>=".Contains(c, StringComparison.Ordinal)) { tokens.Add(c.ToString()); i++; }
                else throw new ChatTemplateException($"chat template: unexpected character '{c}' at position {position}.");
            }
        }
        return tokens;
    }
}

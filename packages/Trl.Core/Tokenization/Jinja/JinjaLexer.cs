using System.Globalization;
using System.Text;

namespace Trl.Tokenization.Jinja;

/// <summary>A piece of template source: literal text, an output tag <c>{{ }}</c> or a statement tag <c>{% %}</c>, with
/// its expression tokens. Whitespace control is already applied to the text pieces.</summary>
internal sealed record Segment(SegmentKind Kind, string Text, IReadOnlyList<Token> Tokens, int Position);

internal enum SegmentKind { Text, Output, Statement }

internal enum TokenKind { Name, String, Integer, Float, Operator, End }

/// <summary>One expression token and where it starts in the source.</summary>
internal sealed record Token(TokenKind Kind, string Text, int Position, object? Value = null);

/// <summary>Splits a template into segments as jinja2 does with transformers' settings: newlines normalised to \n, one
/// trailing newline dropped (keep_trailing_newline=False), <c>-</c> whitespace control, trim_blocks (the newline after a
/// block or comment tag is removed) and lstrip_blocks (spaces and tabs before a block or comment tag at the start of a
/// line are removed; <c>{%+</c> opts out), and <c>{% raw %}</c> blocks kept verbatim.</summary>
internal static class JinjaLexer
{
    public static List<Segment> Split(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        source = source.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        if (source.EndsWith('\n')) source = source[..^1];
        var segments = new List<Segment>();
        var text = new StringBuilder();
        int textStart = 0, i = 0;
        bool stripNextText = false, trimNextNewline = false;

        void FlushText(int position)
        {
            var t = text.ToString();
            text.Clear();
            if (t.Length > 0) segments.Add(new Segment(SegmentKind.Text, t, Array.Empty<Token>(), position));
        }

        while (i < source.Length)
        {
            int open = NextTag(source, i);
            var literal = open < 0 ? source[i..] : source[i..open];
            char kind = open < 0 ? '\0' : source[open + 1];
            int inner = open + 2;
            char modifier = open >= 0 && inner < source.Length ? source[inner] : '\0';
            if (modifier is '-' or '+') inner++;
            // lstrip_blocks looks at the source line as written: the newline trim_blocks removes still starts a line.
            bool lstrip = open >= 0 && kind != '{' && modifier is not ('-' or '+') && AtLineStart(literal, i, source);
            if (trimNextNewline && literal.StartsWith('\n')) literal = literal[1..];
            if (stripNextText) literal = literal.TrimStart(' ', '\t', '\n', '\r', '\f', '\v');
            trimNextNewline = stripNextText = false;
            if (open < 0) { text.Append(literal); break; }
            // Whitespace before the tag: '-' strips all of it; lstrip_blocks strips a line's leading blanks before a block or comment.
            if (modifier == '-') literal = literal.TrimEnd(' ', '\t', '\n', '\r', '\f', '\v');
            else if (lstrip) literal = literal.TrimEnd(' ', '\t');
            text.Append(literal);

            string close = kind switch { '{' => "}}", '%' => "%}", _ => "#}" };
            int end = FindClose(source, inner, close, kind);
            if (end < 0) throw new ChatTemplateException($"unclosed tag '{source[open..Math.Min(open + 2, source.Length)]}' at position {open}");
            bool stripAfter = end > inner && source[end - 1] == '-';
            bool keepNewline = end > inner && source[end - 1] == '+';
            string body = source[inner..(stripAfter || keepNewline ? end - 1 : end)];
            i = end + 2;
            if (kind == '#') { }
            else if (kind == '%' && IsRaw(body))
            {
                FlushText(textStart);
                int rawEnd = FindEndRaw(source, i, out int afterEndRaw, out bool rawStripBefore, out bool rawStripAfter);
                var raw = source[i..rawEnd];
                if (!stripAfter && raw.StartsWith('\n')) raw = raw[1..];
                if (stripAfter) raw = raw.TrimStart();
                if (rawStripBefore) raw = raw.TrimEnd();
                text.Append(raw);
                i = afterEndRaw;
                stripAfter = rawStripAfter;
            }
            else
            {
                FlushText(textStart);
                var tokens = Tokenize(body, inner);
                segments.Add(new Segment(kind == '{' ? SegmentKind.Output : SegmentKind.Statement, body, tokens, open));
            }
            textStart = i;
            stripNextText = stripAfter;
            trimNextNewline = kind != '{' && !stripAfter && !keepNewline;
        }
        FlushText(textStart);
        return segments;
    }

    static int NextTag(string s, int from)
    {
        for (int i = from; i < s.Length - 1; i++)
            if (s[i] == '{' && s[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    /// <summary>The closing delimiter's index, skipping string literals inside the tag.</summary>
    static int FindClose(string s, int from, string close, char kind)
    {
        char quote = '\0';
        for (int i = from; i < s.Length - 1; i++)
        {
            char c = s[i];
            if (kind != '#')
            {
                if (quote != '\0')
                {
                    if (c == '\\') { i++; continue; }
                    if (c == quote) quote = '\0';
                    continue;
                }
                if (c is '\'' or '"') { quote = c; continue; }
            }
            if (c == close[0] && s[i + 1] == close[1]) return i;
        }
        return -1;
    }

    /// <summary>lstrip_blocks: only spaces and tabs lie between the tag and the start of its source line.</summary>
    static bool AtLineStart(string literal, int literalStart, string source)
    {
        int k = literal.Length;
        while (k > 0 && literal[k - 1] is ' ' or '\t') k--;
        if (k > 0) return literal[k - 1] == '\n';
        // The literal is all blanks: the line started before it if the source before it is a newline (or nothing).
        return literalStart == 0 || source[literalStart - 1] == '\n';
    }

    static bool IsRaw(string body) => body.Trim() == "raw";

    static int FindEndRaw(string s, int from, out int after, out bool stripBefore, out bool stripAfter)
    {
        for (int i = from; i < s.Length - 1; i++)
        {
            if (s[i] != '{' || s[i + 1] != '%') continue;
            int inner = i + 2;
            bool sb = inner < s.Length && s[inner] == '-';
            if (sb || (inner < s.Length && s[inner] == '+')) inner++;
            int end = FindClose(s, inner, "%}", '%');
            if (end < 0) break;
            bool sa = s[end - 1] == '-';
            var body = s[inner..(sa || s[end - 1] == '+' ? end - 1 : end)];
            if (body.Trim() != "endraw") continue;
            after = end + 2;
            stripBefore = sb;
            stripAfter = sa;
            return i;
        }
        throw new ChatTemplateException($"'raw' block at position {from} is never closed with endraw");
    }

    static readonly string[] Operators = ["**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|"];

    /// <summary>The tokens of a tag's expression.</summary>
    public static List<Token> Tokenize(string expr, int offset)
    {
        var tokens = new List<Token>();
        int i = 0;
        while (i < expr.Length)
        {
            char c = expr[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            int start = i;
            if (char.IsLetter(c) || c == '_')
            {
                while (i < expr.Length && (char.IsLetterOrDigit(expr[i]) || expr[i] == '_')) i++;
                tokens.Add(new Token(TokenKind.Name, expr[start..i], offset + start));
            }
            else if (char.IsDigit(c))
            {
                while (i < expr.Length && (char.IsDigit(expr[i]) || expr[i] == '_')) i++;
                bool isFloat = false;
                if (i + 1 < expr.Length && expr[i] == '.' && char.IsDigit(expr[i + 1]))
                {
                    isFloat = true;
                    i++;
                    while (i < expr.Length && (char.IsDigit(expr[i]) || expr[i] == '_')) i++;
                }
                if (i < expr.Length && expr[i] is 'e' or 'E' && i + 1 < expr.Length && (char.IsDigit(expr[i + 1]) || (expr[i + 1] is '+' or '-' && i + 2 < expr.Length && char.IsDigit(expr[i + 2]))))
                {
                    isFloat = true;
                    i += 2;
                    while (i < expr.Length && char.IsDigit(expr[i])) i++;
                }
                var text = expr[start..i].Replace("_", "", StringComparison.Ordinal);
                tokens.Add(isFloat
                    ? new Token(TokenKind.Float, text, offset + start, double.Parse(text, CultureInfo.InvariantCulture))
                    : new Token(TokenKind.Integer, text, offset + start, long.Parse(text, CultureInfo.InvariantCulture)));
            }
            else if (c is '\'' or '"')
            {
                var value = ReadString(expr, ref i, offset);
                tokens.Add(new Token(TokenKind.String, expr[start..i], offset + start, value));
            }
            else
            {
                var op = Operators.FirstOrDefault(o => string.CompareOrdinal(expr, i, o, 0, o.Length) == 0)
                    ?? throw new ChatTemplateException($"unexpected character '{c}' at position {offset + i}");
                tokens.Add(new Token(TokenKind.Operator, op, offset + start));
                i += op.Length;
            }
        }
        tokens.Add(new Token(TokenKind.End, "", offset + expr.Length));
        return tokens;
    }

    /// <summary>A quoted string literal with Python's escapes (\n, \t, \\, \', \", \xHH, \uXXXX, \UXXXXXXXX, octal).</summary>
    static string ReadString(string s, ref int i, int offset)
    {
        char quote = s[i++];
        var sb = new StringBuilder();
        while (true)
        {
            if (i >= s.Length) throw new ChatTemplateException($"unterminated string at position {offset + i}");
            char c = s[i++];
            if (c == quote) return sb.ToString();
            if (c != '\\') { sb.Append(c); continue; }
            if (i >= s.Length) throw new ChatTemplateException($"unterminated string at position {offset + i}");
            char e = s[i++];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case '0' or '1' or '2' or '3' or '4' or '5' or '6' or '7':
                    int oct = e - '0';
                    for (int k = 0; k < 2 && i < s.Length && s[i] is >= '0' and <= '7'; k++) oct = oct * 8 + (s[i++] - '0');
                    sb.Append((char)oct);
                    break;
                case 'x': sb.Append((char)Hex(s, ref i, 2, offset)); break;
                case 'u': sb.Append((char)Hex(s, ref i, 4, offset)); break;
                case 'U': sb.Append(char.ConvertFromUtf32(Hex(s, ref i, 8, offset))); break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'v': sb.Append('\v'); break;
                case '\n': break;
                case '\\' or '\'' or '"': sb.Append(e); break;
                default: sb.Append('\\').Append(e); break;
            }
        }
    }

    static int Hex(string s, ref int i, int digits, int offset)
    {
        if (i + digits > s.Length || !int.TryParse(s.AsSpan(i, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int v))
            throw new ChatTemplateException($"bad escape in string at position {offset + i}");
        i += digits;
        return v;
    }
}

namespace Trl.Tokenization.Jinja;

/// <summary>A chat template that cannot be parsed or rendered; the message names the construct and position.</summary>
public sealed class TemplateException(string message) : Exception(message);

namespace Trl.Tokenization;

/// <summary>A chat template that cannot be parsed or rendered, or a template's own <c>raise_exception</c> (its message is
/// the template's); the message names the construct and position.</summary>
public sealed class ChatTemplateException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ChatTemplateException() { }

    /// <summary>Creates the exception with a message.</summary>
    public ChatTemplateException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public ChatTemplateException(string message, Exception innerException) : base(message, innerException) { }
}

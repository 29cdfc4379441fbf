using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Trl.Cli.Tests;

/// <summary>The README's C# examples compile as written against the packages' current API: every ```csharp block,
/// in order, as one program (later examples use the earlier ones' variables, as a reader would), with no error and
/// no nullable warning.</summary>
public partial class ReadmeExampleTests
{
    [Test]
    public void The_readme_csharp_examples_compile()
    {
        var readme = File.ReadAllText(Path.Combine(Testing.Fixtures.Root, "..", "..", "README.md"));
        var blocks = CSharpBlock().Matches(readme).Select(m => m.Groups[1].Value).ToList();
        Assert.That(blocks, Has.Count.GreaterThanOrEqualTo(2), "the README has C# examples");
        // using directives first (a C# file needs them before statements), then the statements in order.
        var lines = blocks.SelectMany(b => b.Split('\n')).ToList();
        var usings = lines.Where(l => l.TrimStart().StartsWith("using ", StringComparison.Ordinal) && !l.Contains("using var", StringComparison.Ordinal) && l.TrimEnd().EndsWith(';'))
            .SelectMany(l => l.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(u => u + ";")).Distinct();
        var body = lines.Where(l => !(l.TrimStart().StartsWith("using ", StringComparison.Ordinal) && !l.Contains("using var", StringComparison.Ordinal)));
        var source = string.Join('\n', usings) + "\n" + string.Join('\n', body);

        var references = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!.ToString()!.Split(Path.PathSeparator)
            .Concat(Directory.GetFiles(AppContext.BaseDirectory, "*.dll"))
            .Where(p => !p.Contains("Microsoft.CodeAnalysis", StringComparison.Ordinal))
            .DistinctBy(Path.GetFileName).Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create("ReadmeExamples",
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest))], references,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var pe = new MemoryStream();
        var result = compilation.Emit(pe);
        var problems = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error || (d.Severity == DiagnosticSeverity.Warning && d.Id.StartsWith("CS8", StringComparison.Ordinal)))
            .Select(d => $"{d.Id} line {d.Location.GetLineSpan().StartLinePosition.Line + 1}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}").ToList();
        Assert.That(problems, Is.Empty, "README C#:\n" + source);
    }

    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

}

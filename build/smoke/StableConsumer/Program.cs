using Trl.Kernels;
using Trl.Modeling;
using static TorchSharp.torch;

// Real code from the packed packages: a log-prob kernel with a backward pass, and a safetensors round trip.
using var scope = NewDisposeScope();
var logits = randn(2, 5, 32, generator: new Generator(0)).requires_grad_(true);
var ids = randint(0, 32, new long[] { 2, 5 }, generator: new Generator(1));
var logps = LogProbs.SelectiveLogSoftmax(logits, ids);
var naive = logits.log_softmax(-1).gather(-1, ids.unsqueeze(-1)).squeeze(-1);
var diff = (logps - naive).abs().max().item<float>();
logps.sum().backward();
if (diff > 1e-5 || logits.grad is null) throw new InvalidOperationException($"kernel mismatch {diff}");

var path = Path.Combine(Path.GetTempPath(), $"smoke-{Guid.NewGuid():N}.safetensors");
Safetensors.Save(path, new Dictionary<string, Tensor> { ["w"] = logits.detach() });
var back = Safetensors.Load(path)["w"];
File.Delete(path);
if (!back.equal(logits.detach()).all().item<bool>()) throw new InvalidOperationException("round trip changed values");
Console.WriteLine($"stable consumer OK: selective log-softmax max diff {diff:G3}, safetensors round trip exact");

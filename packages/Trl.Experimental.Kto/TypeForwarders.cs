// Every public type of 0.1.0-preview.1 now lives in Trl.Kto; the runtime follows these forwards, so binaries built
// against the experimental package keep working. PromotionFacadeTests checks that none is missing.
[assembly: System.Runtime.CompilerServices.TypeForwardedTo(typeof(Trl.Kto.KtoBatch))]
[assembly: System.Runtime.CompilerServices.TypeForwardedTo(typeof(Trl.Kto.KtoCollator))]
[assembly: System.Runtime.CompilerServices.TypeForwardedTo(typeof(Trl.Kto.KtoConfig))]
[assembly: System.Runtime.CompilerServices.TypeForwardedTo(typeof(Trl.Kto.KtoDatasetPreparer))]
[assembly: System.Runtime.CompilerServices.TypeForwardedTo(typeof(Trl.Kto.KtoExample))]
[assembly: System.Runtime.CompilerServices.TypeForwardedTo(typeof(Trl.Kto.KtoLoss))]
[assembly: System.Runtime.CompilerServices.TypeForwardedTo(typeof(Trl.Kto.KtoTrainer))]

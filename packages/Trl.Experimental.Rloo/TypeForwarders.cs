// Every public type of 0.1.0-preview.1 now lives in Trl.Rloo; the runtime follows these forwards, so binaries built
// against the experimental package keep working. PromotionFacadeTests checks that none is missing.
[assembly: System.Runtime.CompilerServices.TypeForwardedTo(typeof(Trl.Rloo.RlooAdvantages))]
[assembly: System.Runtime.CompilerServices.TypeForwardedTo(typeof(Trl.Rloo.RlooConfig))]
[assembly: System.Runtime.CompilerServices.TypeForwardedTo(typeof(Trl.Rloo.RlooDatasetPreparer))]
[assembly: System.Runtime.CompilerServices.TypeForwardedTo(typeof(Trl.Rloo.RlooLoss))]
[assembly: System.Runtime.CompilerServices.TypeForwardedTo(typeof(Trl.Rloo.RlooRollout))]
[assembly: System.Runtime.CompilerServices.TypeForwardedTo(typeof(Trl.Rloo.RlooTrainer))]

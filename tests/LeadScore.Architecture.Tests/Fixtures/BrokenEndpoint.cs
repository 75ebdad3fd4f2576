using LeadScore.Storage;

namespace LeadScore.Architecture.Tests.Fixtures;

/// <summary>Breaks the "writes go through a use case" rule on purpose, so the checker can be seen to catch it.</summary>
internal static class BrokenEndpoint
{
    public static Task PromoteBehindTheUseCasesBackAsync(IModelStore store) => store.SetAliasAsync("champion", "v9");
}

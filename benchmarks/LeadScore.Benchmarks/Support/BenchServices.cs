using LeadScore.Hosting;
using LeadScore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LeadScore.Benchmarks.Support;

/// <summary>The use cases over a benchmark store, composed by the product's own composition root.</summary>
internal static class BenchServices
{
    public static T Get<T>(ILeadStore store, string? workspace = null) where T : notnull
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.AddLeadScore(store, new LeadScoreHostSettings { WorkspaceDirectory = workspace });
        return builder.Services.BuildServiceProvider().GetRequiredService<T>();
    }
}

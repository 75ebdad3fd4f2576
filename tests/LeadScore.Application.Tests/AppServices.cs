using LeadScore.Hosting;
using LeadScore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LeadScore.Application.Tests;

/// <summary>The use cases over a test store, composed by the product's own composition root (nothing built by hand).</summary>
internal static class AppServices
{
    public static IServiceProvider For(ILeadStore store, string? workspace = null, TimeProvider? time = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) builder.Configuration[k] = v;
        if (time is not null) builder.Services.AddSingleton(time);
        builder.AddLeadScore(store, new LeadScoreHostSettings { WorkspaceDirectory = workspace });
        return builder.Services.BuildServiceProvider();
    }

    public static T Get<T>(this IServiceProvider services) where T : notnull => services.GetRequiredService<T>();
}

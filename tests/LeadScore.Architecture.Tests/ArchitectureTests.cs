using System.Reflection;
using NetArchTest.Rules;

namespace LeadScore.Cli.Tests;

/// <summary>Dependencies point one way: Cli -> Server -> Storage -> Engine -> Core.</summary>
public sealed class ArchitectureTests
{
    private static readonly Assembly Core = typeof(LeadScore.Core.Lead).Assembly;
    private static readonly Assembly Engine = typeof(LeadScore.Engine.Features.Encoding.FeatureEncoder).Assembly;
    private static readonly Assembly Storage = typeof(LeadScore.Storage.ILeadStore).Assembly;
    private static readonly Assembly Server = typeof(LeadScore.Server.ServerAssembly).Assembly;

    public static TheoryData<string, string[]> Layers => new()
    {
        { "LeadScore.Core", ["LeadScore.Engine", "LeadScore.Storage", "LeadScore.Server", "LeadScore.Cli"] },
        { "LeadScore.Engine", ["LeadScore.Storage", "LeadScore.Server", "LeadScore.Cli"] },
        { "LeadScore.Storage", ["LeadScore.Server", "LeadScore.Cli"] },
        { "LeadScore.Server", ["LeadScore.Cli"] },
    };

    private static Assembly Load(string name) => name switch
    {
        "LeadScore.Core" => Core,
        "LeadScore.Engine" => Engine,
        "LeadScore.Storage" => Storage,
        _ => Server,
    };

    [Theory, MemberData(nameof(Layers))]
    public void A_layer_does_not_reference_the_layers_above_it(string layer, string[] above)
    {
        var refs = Load(layer).GetReferencedAssemblies().Select(a => a.Name).ToList();
        refs.ShouldNotContain(r => above.Contains(r), $"{layer} references {string.Join(", ", refs.Where(r => above.Contains(r)))}");
        var result = Types.InAssembly(Load(layer)).ShouldNot().HaveDependencyOnAny(above).GetResult();
        result.IsSuccessful.ShouldBeTrue($"types in {layer} use {string.Join(", ", above)}: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }

    [Fact]
    public void Core_does_no_io_and_uses_no_ml_or_database_library()
    {
        var result = Types.InAssembly(Core).ShouldNot()
            .HaveDependencyOnAny("Microsoft.ML", "Microsoft.Data.Sqlite", "Npgsql", "Dapper", "Microsoft.AspNetCore", "System.Net.Http").GetResult();
        result.IsSuccessful.ShouldBeTrue(string.Join(", ", result.FailingTypeNames ?? []));
    }

    /// <summary>Inside the engine: ingestion and synthetic data stand alone; scoring never needs the trainers.</summary>
    [Theory]
    [InlineData("LeadScore.Engine.Ingestion", new[] { "LeadScore.Engine.Features", "LeadScore.Engine.Modeling", "LeadScore.Engine.Scoring", "LeadScore.Engine.Monitoring" })]
    [InlineData("LeadScore.Engine.Synthetic", new[] { "LeadScore.Engine.Features", "LeadScore.Engine.Modeling", "LeadScore.Engine.Scoring", "LeadScore.Engine.Monitoring" })]
    [InlineData("LeadScore.Engine.Features", new[] { "LeadScore.Engine.Modeling", "LeadScore.Engine.Scoring", "LeadScore.Engine.Monitoring" })]
    [InlineData("LeadScore.Engine.Scoring", new[] { "LeadScore.Engine.Modeling", "LeadScore.Engine.Monitoring" })]
    public void Engine_areas_depend_one_way(string area, string[] forbidden)
    {
        var result = Types.InAssembly(Engine).That().ResideInNamespace(area).ShouldNot().HaveDependencyOnAny(forbidden).GetResult();
        result.IsSuccessful.ShouldBeTrue($"{area} uses {string.Join(", ", forbidden)}: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }

    /// <summary>Guards the guard: the checker does see a dependency that exists.</summary>
    [Fact]
    public void The_checker_sees_real_dependencies()
    {
        Types.InAssembly(Storage).ShouldNot().HaveDependencyOn("LeadScore.Core").GetResult().IsSuccessful.ShouldBeFalse();
        Storage.GetReferencedAssemblies().Select(a => a.Name).ShouldContain("LeadScore.Core");
    }
}

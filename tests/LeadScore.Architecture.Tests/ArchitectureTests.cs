using System.Reflection;
using Mono.Cecil;
using Mono.Cecil.Cil;
using NetArchTest.Rules;

namespace LeadScore.Architecture.Tests;

/// <summary>
/// The house rules: dependencies point one way (Core ← Engine, Storage ← Application ← Hosting ← Server ← Cli), use cases
/// live in Application and every entry point goes through them, only Reporting draws plots. Each rule is checked on the
/// compiled assemblies, and <see cref="The_checkers_catch_a_broken_rule"/> proves the checkers can fail.
/// </summary>
public sealed class ArchitectureTests
{
    private static readonly Assembly Core = typeof(LeadScore.Core.Lead).Assembly;
    private static readonly Assembly Engine = typeof(LeadScore.Engine.Features.Encoding.FeatureEncoder).Assembly;
    private static readonly Assembly Storage = typeof(LeadScore.Storage.ILeadStore).Assembly;
    private static readonly Assembly Application = typeof(LeadScore.Application.Modeling.ModelLifecycle).Assembly;
    private static readonly Assembly Hosting = typeof(LeadScore.Hosting.LeadScoreHosting).Assembly;
    private static readonly Assembly Server = typeof(LeadScore.Server.LeadScoreServer).Assembly;
    private static readonly Assembly Cli = typeof(LeadScore.Cli.CliApp).Assembly;

    private static readonly Dictionary<string, Assembly> ByName = new()
    {
        ["LeadScore.Core"] = Core, ["LeadScore.Engine"] = Engine, ["LeadScore.Storage"] = Storage, ["LeadScore.Application"] = Application,
        ["LeadScore.Hosting"] = Hosting, ["LeadScore.Server"] = Server, ["LeadScore.Cli"] = Cli,
    };

    /// <summary>Each project and the projects it must never use.</summary>
    public static TheoryData<string, string[]> Layers => new()
    {
        { "LeadScore.Core", ["LeadScore.Engine", "LeadScore.Storage", "LeadScore.Application", "LeadScore.Hosting", "LeadScore.Server", "LeadScore.Cli"] },
        { "LeadScore.Engine", ["LeadScore.Storage", "LeadScore.Application", "LeadScore.Hosting", "LeadScore.Server", "LeadScore.Cli"] },
        // Persistence knows nothing of computation.
        { "LeadScore.Storage", ["LeadScore.Engine", "LeadScore.Application", "LeadScore.Hosting", "LeadScore.Server", "LeadScore.Cli"] },
        { "LeadScore.Application", ["LeadScore.Hosting", "LeadScore.Server", "LeadScore.Cli"] },
        { "LeadScore.Hosting", ["LeadScore.Server", "LeadScore.Cli"] },
        { "LeadScore.Server", ["LeadScore.Cli"] },
    };

    private static Assembly Load(string name) => ByName.TryGetValue(name, out var a) ? a : throw new ArgumentException($"no project named {name}", nameof(name));

    [Theory, MemberData(nameof(Layers))]
    public void A_project_does_not_use_the_projects_above_it(string layer, string[] above)
    {
        var refs = Load(layer).GetReferencedAssemblies().Select(a => a.Name).ToList();
        refs.ShouldNotContain(r => above.Contains(r), $"{layer} references {string.Join(", ", refs.Where(r => above.Contains(r)))}");
        var result = Types.InAssembly(Load(layer)).ShouldNot().HaveDependencyOnAny(above).GetResult();
        result.IsSuccessful.ShouldBeTrue($"types in {layer} use {string.Join(", ", above)}: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }

    [Fact]
    public void Core_does_no_io_and_uses_no_ml_database_or_web_library()
    {
        var result = Types.InAssembly(Core).ShouldNot()
            .HaveDependencyOnAny("Microsoft.ML", "Microsoft.Data.Sqlite", "Npgsql", "Dapper", "Microsoft.AspNetCore", "System.Net.Http", "System.IO.File",
                "System.IO.FileStream", "System.IO.Directory", "System.IO.StreamReader", "System.IO.StreamWriter").GetResult();
        result.IsSuccessful.ShouldBeTrue(string.Join(", ", result.FailingTypeNames ?? []));
    }

    /// <summary>Inside the engine: ingestion and synthetic data stand alone; scoring never needs the trainers; monitoring is used by nobody below it.</summary>
    [Theory]
    [InlineData("LeadScore.Engine.Ingestion", new[] { "LeadScore.Engine.Features", "LeadScore.Engine.Modeling", "LeadScore.Engine.Scoring", "LeadScore.Engine.Monitoring", "LeadScore.Engine.Reporting" })]
    [InlineData("LeadScore.Engine.Synthetic", new[] { "LeadScore.Engine.Features", "LeadScore.Engine.Modeling", "LeadScore.Engine.Scoring", "LeadScore.Engine.Monitoring", "LeadScore.Engine.Reporting" })]
    [InlineData("LeadScore.Engine.Features", new[] { "LeadScore.Engine.Modeling", "LeadScore.Engine.Scoring", "LeadScore.Engine.Monitoring", "LeadScore.Engine.Reporting" })]
    [InlineData("LeadScore.Engine.Scoring", new[] { "LeadScore.Engine.Modeling", "LeadScore.Engine.Monitoring", "LeadScore.Engine.Reporting" })]
    [InlineData("LeadScore.Engine.Metrics", new[] { "LeadScore.Engine.Modeling", "LeadScore.Engine.Scoring", "LeadScore.Engine.Features", "LeadScore.Engine.Monitoring", "LeadScore.Engine.Reporting" })]
    [InlineData("LeadScore.Engine.Modeling", new[] { "LeadScore.Engine.Reporting", "LeadScore.Engine.Monitoring" })]
    [InlineData("LeadScore.Engine.Fairness", new[] { "LeadScore.Engine.Modeling", "LeadScore.Engine.Features", "LeadScore.Engine.Reporting", "LeadScore.Engine.Monitoring", "Microsoft.ML" })]
    public void Engine_areas_depend_one_way(string area, string[] forbidden)
    {
        var result = Types.InAssembly(Engine).That().ResideInNamespace(area).ShouldNot().HaveDependencyOnAny(forbidden).GetResult();
        result.IsSuccessful.ShouldBeTrue($"{area} uses {string.Join(", ", forbidden)}: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }

    [Fact]
    public void Only_reporting_draws_plots()
    {
        foreach (var assembly in ByName.Values)
        {
            var result = Types.InAssembly(assembly).That().DoNotResideInNamespace("LeadScore.Engine.Reporting").ShouldNot().HaveDependencyOn("ScottPlot").GetResult();
            result.IsSuccessful.ShouldBeTrue($"outside Engine.Reporting, {string.Join(", ", result.FailingTypeNames ?? [])} use ScottPlot");
        }
    }

    /// <summary>The HTTP layer and the CLI never pick a storage backend's internals; they get the store from the composition root or the factory.</summary>
    [Fact]
    public void Entry_points_do_not_use_storage_backends()
    {
        foreach (var assembly in new[] { Server, Cli, Hosting, Application })
        {
            var result = Types.InAssembly(assembly).ShouldNot().HaveDependencyOnAny("LeadScore.Storage.Sqlite", "LeadScore.Storage.Postgres").GetResult();
            result.IsSuccessful.ShouldBeTrue($"{assembly.GetName().Name}: {string.Join(", ", result.FailingTypeNames ?? [])} use a storage backend directly");
        }
    }

    /// <summary>The CLI hosts the server (serve, quickstart) but uses nothing else of it: use cases come from Application.</summary>
    [Fact]
    public void The_cli_uses_only_the_servers_entry_point()
    {
        var allowed = new HashSet<string>(StringComparer.Ordinal) { typeof(LeadScore.Server.LeadScoreServer).FullName!, typeof(LeadScore.Server.ServerOptions).FullName! };
        var used = ReferencedTypes(Cli).Where(t => t.StartsWith("LeadScore.Server.", StringComparison.Ordinal) && !allowed.Contains(t)).Distinct().ToList();
        used.ShouldBeEmpty($"the CLI uses server internals: {string.Join(", ", used)}");
    }

    /// <summary>Every write goes through a use case: endpoints and commands may read the store, never change it themselves.</summary>
    [Fact]
    public void Endpoints_and_commands_do_not_write_through_the_store()
    {
        var offenders = StoreWrites(Server, "LeadScore.Server.Endpoints").Concat(StoreWrites(Server, "LeadScore.Server.Dashboard"))
            .Concat(StoreWrites(Cli, "LeadScore.Cli.Commands")).ToList();
        offenders.ShouldBeEmpty("write the store through an Application use case instead:\n" + string.Join("\n", offenders));
    }

    /// <summary>Guards the guards: each checker fails on a dependency or a write that exists.</summary>
    [Fact]
    public void The_checkers_catch_a_broken_rule()
    {
        // A real dependency is seen.
        Types.InAssembly(Application).ShouldNot().HaveDependencyOn("LeadScore.Storage").GetResult().IsSuccessful.ShouldBeFalse();
        Application.GetReferencedAssemblies().Select(a => a.Name).ShouldContain("LeadScore.Storage");
        // A write through the store is seen: Application's own use cases write (they are allowed to), and this test's fixture does.
        StoreWrites(Application, "LeadScore.Application.Modeling").ShouldNotBeEmpty();
        StoreWrites(typeof(ArchitectureTests).Assembly, "LeadScore.Architecture.Tests.Fixtures").ShouldContain(w => w.Contains("SetAliasAsync"));
        // A use of another project's types is seen (the CLI does use the server's entry point).
        ReferencedTypes(Cli).ShouldContain(typeof(LeadScore.Server.LeadScoreServer).FullName!);
        // A typo in a layer name is an error, not silently another project.
        Should.Throw<ArgumentException>(() => Load("LeadScore.Sever"));
    }

    private static readonly string[] WriteVerbs = ["Save", "Upsert", "Insert", "Set", "Erase", "Delete", "Revoke", "Enqueue", "Record", "Add", "Mark", "Purge", "Claim", "Complete", "Renew", "Requeue", "Update"];

    /// <summary>Calls from types in <paramref name="ns"/> to a LeadScore.Storage contract method whose name starts with a write verb.</summary>
    internal static IEnumerable<string> StoreWrites(Assembly assembly, string ns)
    {
        using var module = ModuleDefinition.ReadModule(assembly.Location);
        foreach (var type in AllTypes(module).Where(t => t.Namespace == ns || t.Namespace.StartsWith(ns + ".", StringComparison.Ordinal) || (t.DeclaringType is { } d && Outer(d).Namespace.StartsWith(ns, StringComparison.Ordinal))))
            foreach (var method in type.Methods.Where(m => m.HasBody))
                foreach (var ins in method.Body.Instructions)
                    if (ins.OpCode.Code is Code.Call or Code.Callvirt && ins.Operand is MethodReference callee
                        && callee.DeclaringType.Namespace == "LeadScore.Storage" && callee.DeclaringType.Name.StartsWith('I')
                        && WriteVerbs.Any(v => callee.Name.StartsWith(v, StringComparison.Ordinal)))
                        yield return $"{type.FullName}.{method.Name} calls {callee.DeclaringType.Name}.{callee.Name}";
    }

    private static TypeDefinition Outer(TypeDefinition t) => t.DeclaringType is null ? t : Outer(t.DeclaringType);

    private static IEnumerable<TypeDefinition> AllTypes(ModuleDefinition module)
    {
        foreach (var t in module.Types)
        {
            yield return t;
            foreach (var n in Nested(t)) yield return n;
        }
    }

    private static IEnumerable<TypeDefinition> Nested(TypeDefinition t)
    {
        foreach (var n in t.NestedTypes)
        {
            yield return n;
            foreach (var m in Nested(n)) yield return m;
        }
    }

    /// <summary>Every type the assembly's code refers to (members, locals, calls), by full name.</summary>
    private static IEnumerable<string> ReferencedTypes(Assembly assembly)
    {
        using var module = ModuleDefinition.ReadModule(assembly.Location);
        return module.GetTypeReferences().Select(t => t.FullName).ToList();
    }
}

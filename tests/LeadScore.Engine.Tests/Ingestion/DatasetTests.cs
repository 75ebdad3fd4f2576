using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.TestKit;

namespace LeadScore.Engine.Tests.Ingestion;

/// <summary>The shipped mapping files read the two public datasets whole.</summary>
public sealed class DatasetTests
{
    private static ImportMapping Example(string name) => ImportMapping.Load(Path.Combine(TestPaths.RepoRoot, "examples", name));

    [Fact]
    public void X_education_imports_every_row_with_converted_as_the_outcome()
    {
        var t = IngestTestKit.Run(ImportKind.Leads, TestPaths.XEducation, Example("x-education.mapping.json"), 5000);
        t.Read.ShouldBe(9240);
        t.Rejected.ShouldBeEmpty();
        t.Leads.Count.ShouldBe(9240);
        t.Derived.Count.ShouldBe(9240);
        t.Derived.Count(o => o.Kind == OutcomeKind.Converted).ShouldBe(3561);
        var first = t.Leads[0];
        first.Id.ShouldBe("7927b2df-8bba-4d29-b9a2-b6e0beafe620");
        first.Get("Specialization").ShouldBeNull();
        first.Get("specialization").ShouldBeNull(); // "Select" is missing
        first.Get(LeadFields.Source).ShouldBe("Olark Chat");
        first.Get("Do Not Email").ShouldBe("false");
        first.Attributes.ContainsKey("Converted").ShouldBeFalse();
    }

    [Fact]
    public void Bank_marketing_imports_every_row_with_y_as_the_outcome()
    {
        var t = IngestTestKit.Run(ImportKind.Leads, TestPaths.BankMarketing, Example("bank-marketing.mapping.json"), 5000);
        t.Read.ShouldBe(41188);
        t.Rejected.ShouldBeEmpty();
        t.Leads.Select(l => l.Id).Distinct().Count().ShouldBe(41188);
        t.Leads[0].Id.ShouldBe("bank-2");
        t.Derived.Count(o => o.Kind == OutcomeKind.Converted).ShouldBe(4640);
        t.Leads[0].Get("default").ShouldBe("false");
        t.Leads[1].Get("default").ShouldBeNull(); // "unknown" is missing
        t.Plan.Delimiter.ShouldBe(';');
    }

    [Fact]
    public void Flat_table_loader_takes_the_same_mapping_as_import()
    {
        var table = FlatTableLoader.Load(TestPaths.BankMarketing, new FlatTableOptions { Mapping = Example("bank-marketing.mapping.json") });
        table.Frame.Count.ShouldBe(41188);
        table.Frame.Labels.Count(l => l).ShouldBe(4640);
        table.Frame.Features.ShouldNotContain(f => f.Name == "y");
    }
}

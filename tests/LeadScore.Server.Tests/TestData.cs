using LeadScore.Core;
using LeadScore.Storage;
using LeadScore.Application.Scoring;

namespace LeadScore.Server.Tests;

/// <summary>Stored data for endpoint tests: leads, scores and model versions written through the real store.</summary>
public static class TestData
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    public static Lead Lead(string id, string company = "Acme") => new()
    {
        Id = id,
        CreatedAt = T0,
        Attributes = new Dictionary<string, string?> { [LeadFields.Company] = company, [LeadFields.Source] = "web" },
    };

    public static StoredScore Score(string leadId, int score, string grade, DateTimeOffset? at = null, ScoreCause cause = ScoreCause.NewData, string model = "m1") => new()
    {
        LeadId = leadId,
        Probability = score / 100.0,
        Score = score,
        Grade = grade,
        ModelVersion = model,
        ScoredAt = at ?? T0,
        Cause = cause,
        ReasonsJson = """[{"Feature":"pricing_visits_7d","Value":"3","Contribution":0.8,"Points":12.5,"Text":"Visited the pricing page 3 times in the last 7 days"},{"Feature":"source","Value":"web","Contribution":0.2,"Points":3.1,"Text":"Came from the website"}]""",
    };

    public static ScoreChange Change(string leadId, (int Score, string Grade)? before, (int Score, string Grade) after) =>
        new(before is { } b ? Score(leadId, b.Score, b.Grade) : null, Score(leadId, after.Score, after.Grade, T0.AddHours(1)));

    public static async Task SaveModelAsync(ILeadStore store, string version, double auc)
    {
        await store.SaveModelAsync(new ModelVersion
        {
            Version = version,
            CreatedAt = T0,
            Algorithm = "lightgbm",
            CardJson = $$"""{"version":"{{version}}","metrics":{"auc":{{auc}}},"features":["source","pricing_visits_7d"]}""",
            Auc = auc,
        }, [1, 2, 3]);
    }
}

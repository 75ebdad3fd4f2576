using System.Globalization;
using System.Text;
using LeadScore.Core;

namespace LeadScore.Engine.Synthetic;

public static partial class SyntheticGenerator
{
    /// <summary>Streams the generated rows into the canonical CSV files, one writer per file.</summary>
    private sealed class CsvSink : ISink, IDisposable
    {
        internal static readonly string[] LeadColumns =
        [
            "lead_id", LeadFields.Email, LeadFields.FirstName, LeadFields.LastName, LeadFields.Phone, LeadFields.Company,
            LeadFields.Domain, LeadFields.Industry, LeadFields.CompanySize, LeadFields.Country, LeadFields.JobTitle,
            LeadFields.Source, LeadFields.Stage, LeadFields.Owner, "created_at",
            "custom_budget_confirmed", "custom_product_interest", "custom_seats_requested",
        ];

        private readonly StreamWriter _leads, _web, _email, _social, _sales, _enrichment, _outcomes, _truth;
        private readonly char[] _buf = new char[64];

        public CsvSink(string dir)
        {
            _leads = Open(dir, "leads.csv", string.Join(',', LeadColumns));
            _web = Open(dir, "activities_web.csv", "event_id,lead_id,type,timestamp,url,value,session_id");
            _email = Open(dir, "activities_email.csv", "event_id,lead_id,type,timestamp,url,value,campaign");
            _social = Open(dir, "activities_social.csv", "event_id,lead_id,type,timestamp,url,value,network");
            _sales = Open(dir, "activities_sales.csv", "event_id,lead_id,type,timestamp,url,value");
            _enrichment = Open(dir, "enrichment.csv", "domain,as_of,employees,revenue_band,industry,technologies,intent_score");
            _outcomes = Open(dir, "outcomes.csv", "lead_id,outcome,date");
            _truth = Open(dir, "truth.csv", "lead_id,probability");
        }

        private static StreamWriter Open(string dir, string name, string header)
        {
            var w = new StreamWriter(Path.Combine(dir, name), false, new UTF8Encoding(false), 1 << 16) { NewLine = "\n" };
            w.WriteLine(header);
            return w;
        }

        public void Enrichment(Company company)
        {
            foreach (var e in company.Rows)
            {
                Field(_enrichment, e.Domain); _enrichment.Write(',');
                Date(_enrichment, e.AsOf); _enrichment.Write(',');
                Field(_enrichment, e.Attributes[EnrichmentFields.Employees]); _enrichment.Write(',');
                Field(_enrichment, e.Attributes[EnrichmentFields.RevenueBand]); _enrichment.Write(',');
                Field(_enrichment, e.Attributes[EnrichmentFields.Industry]); _enrichment.Write(',');
                Field(_enrichment, e.Attributes[EnrichmentFields.Technologies]); _enrichment.Write(',');
                Field(_enrichment, e.Attributes[EnrichmentFields.IntentScore]);
                _enrichment.WriteLine();
            }
        }

        public void Lead(Lead lead, List<RawActivity> activities, Outcome? outcome, double probability)
        {
            var w = _leads;
            Field(w, lead.Id);
            for (var i = 1; i < LeadColumns.Length; i++)
            {
                w.Write(',');
                if (LeadColumns[i] == "created_at") Timestamp(w, lead.CreatedAt);
                else Field(w, lead.Get(LeadColumns[i]));
            }
            w.WriteLine();

            for (var k = 0; k < activities.Count; k++)
            {
                var a = activities[k];
                var (f, prop) = a.Type switch
                {
                    ActivityTypes.PageView or ActivityTypes.Session or ActivityTypes.Download or ActivityTypes.FormSubmit => (_web, "session_id"),
                    ActivityTypes.Call or ActivityTypes.Meeting => (_sales, null),
                    ActivityTypes.SocialLike or ActivityTypes.SocialShare or ActivityTypes.SocialComment or ActivityTypes.SocialMention => (_social, "network"),
                    _ => (_email, "campaign"),
                };
                f.Write(lead.Id); f.Write('-');
                EventIndex(f, k + 1);
                f.Write(','); f.Write(lead.Id); f.Write(',');
                f.Write(a.Type); f.Write(',');
                Timestamp(f, new DateTimeOffset(a.Ticks, TimeSpan.Zero)); f.Write(',');
                Field(f, a.Url); f.Write(',');
                if (!double.IsNaN(a.Value)) Number(f, a.Value);
                if (prop is not null)
                {
                    f.Write(',');
                    Field(f, a.PropertyKey == prop ? a.PropertyValue : null);
                }
                f.WriteLine();
            }

            if (outcome is not null)
            {
                Field(_outcomes, outcome.LeadId);
                _outcomes.Write(outcome.Kind == OutcomeKind.Converted ? ",converted," : ",lost,");
                Date(_outcomes, outcome.At);
                _outcomes.WriteLine();
            }
            Field(_truth, lead.Id); _truth.Write(',');
            Number(_truth, Math.Round(probability, 6));
            _truth.WriteLine();
        }

        /// <summary>yyyy-MM-ddTHH:mm:ssZ written digit by digit (a custom format string is several times slower).</summary>
        private void Timestamp(StreamWriter w, DateTimeOffset t)
        {
            var d = t.UtcDateTime;
            var b = _buf;
            Digits(b, 0, d.Year, 4); b[4] = '-'; Digits(b, 5, d.Month, 2); b[7] = '-'; Digits(b, 8, d.Day, 2); b[10] = 'T';
            Digits(b, 11, d.Hour, 2); b[13] = ':'; Digits(b, 14, d.Minute, 2); b[16] = ':'; Digits(b, 17, d.Second, 2); b[19] = 'Z';
            w.Write(b, 0, 20);
        }

        private static void Digits(char[] b, int at, int value, int width)
        {
            for (var i = width - 1; i >= 0; i--) { b[at + i] = (char)('0' + value % 10); value /= 10; }
        }

        /// <summary>The event index, zero-padded to 5 digits like <see cref="SyntheticGenerator.EventId"/>.</summary>
        private void EventIndex(StreamWriter w, int index)
        {
            index.TryFormat(_buf, out var written, "D5", CultureInfo.InvariantCulture);
            w.Write(_buf, 0, written);
        }

        private void Date(StreamWriter w, DateTimeOffset t)
        {
            t.UtcDateTime.TryFormat(_buf, out var n, "yyyy-MM-dd", CultureInfo.InvariantCulture);
            w.Write(_buf, 0, n);
        }

        private void Number(StreamWriter w, double v)
        {
            v.TryFormat(_buf, out var n, "R", CultureInfo.InvariantCulture);
            w.Write(_buf, 0, n);
        }

        /// <summary>RFC 4180: quote only when needed.</summary>
        private static void Field(StreamWriter w, string? s)
        {
            if (string.IsNullOrEmpty(s)) return;
            if (s.AsSpan().IndexOfAny(",\"\r\n") < 0 && s[0] != ' ' && s[^1] != ' ') { w.Write(s); return; }
            w.Write('"');
            w.Write(s.Replace("\"", "\"\""));
            w.Write('"');
        }

        public void Dispose()
        {
            foreach (var w in new[] { _leads, _web, _email, _social, _sales, _enrichment, _outcomes, _truth }) w.Dispose();
        }
    }
}

namespace LeadScore.Engine.Synthetic;

/// <summary>The word lists the generator draws from. Kept apart so the process itself reads clearly.</summary>
internal static class SyntheticVocabulary
{
    public static readonly string[] Industries =
    [
        "Software", "Financial Services", "Healthcare", "Telecommunications", "Consulting", "Manufacturing",
        "Retail", "Media", "Logistics", "Energy", "Education", "Government",
    ];

    /// <summary>How well each industry fits the product (hidden; same order as <see cref="Industries"/>).</summary>
    public static readonly double[] IndustryFit = [1.0, 0.8, 0.6, 0.55, 0.5, 0.3, 0.25, 0.3, 0.2, 0.15, -0.2, -0.5];
    public static readonly double[] IndustryWeight = [18, 11, 10, 6, 8, 10, 9, 6, 6, 5, 6, 5];

    public static readonly string[] SizeBands = ["1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000", "5000+"];
    public static readonly int[] SizeMin = [1, 11, 51, 201, 501, 1001, 5001];
    public static readonly int[] SizeMax = [10, 50, 200, 500, 1000, 5000, 60000];
    public static readonly double[] SizeWeight = [14, 24, 24, 15, 9, 8, 6];
    /// <summary>Hidden: how well a company size fits, multiplied with seniority.</summary>
    public static readonly double[] SizeFit = [0.1, 0.4, 0.9, 1.0, 0.9, 0.6, 0.35];

    public static readonly string[] RevenueBands = ["<1M", "1M-10M", "10M-50M", "50M-250M", "250M-1B", "1B+"];

    public static readonly string[] Countries = ["US", "GB", "DE", "FR", "CA", "AU", "NL", "IN", "BR", "ES", "SE", "JP"];
    public static readonly double[] CountryWeight = [35, 12, 9, 6, 6, 4, 4, 9, 5, 4, 3, 3];
    public static readonly string[] CountryTld = [".com", ".co.uk", ".de", ".fr", ".ca", ".com.au", ".nl", ".in", ".com.br", ".es", ".se", ".jp"];

    public static readonly string[] Technologies =
    [
        "Salesforce", "HubSpot", "AWS", "Azure", "GCP", "Snowflake", "Slack", "Zendesk", "Shopify", "SAP",
        "Marketo", "Segment", "Stripe", "Jira", "Intercom", "Tableau",
    ];

    public static readonly string[] Sources =
    [
        "organic_search", "paid_search", "referral", "webinar", "trade_show", "content_download", "social",
        "partner", "cold_outbound", "direct",
    ];
    public static readonly double[] SourceWeight = [22, 16, 7, 9, 5, 14, 8, 5, 9, 5];
    /// <summary>The covariate-drift mix: 30 points moved from organic, paid search and content to referral and cold outbound,
    /// in the ratio that keeps the mean source effect (0.052).</summary>
    public static readonly double[] DriftedSourceWeight = [10, 6, 19.5, 9, 5, 6, 8, 5, 26.5, 5];
    public static readonly double[] SourceEffect = [0.1, 0.0, 0.7, 0.3, 0.2, -0.15, -0.25, 0.4, -0.5, 0.2];

    public static readonly string[] ProductInterests = ["Analytics", "Automation", "Integrations", "Reporting", "Enterprise Suite"];

    public static readonly string[] FirstNames =
    [
        "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth", "William",
        "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen", "Priya", "Rahul",
        "Wei", "Mei", "Hiroshi", "Yuki", "Lukas", "Anna", "Lucas", "Emma", "Mateo", "Sofia", "Olivia", "Noah", "Ahmed",
        "Fatima", "Carlos", "Ana", "Pierre", "Camille", "Sven", "Ingrid", "Daniel", "Laura", "Kevin", "Nina",
    ];

    public static readonly string[] LastNames =
    [
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Lee",
        "Walker", "Hall", "Allen", "Young", "King", "Wright", "Lopez", "Hill", "Scott", "Green", "Adams", "Baker",
        "Patel", "Sharma", "Chen", "Wang", "Tanaka", "Sato", "Muller", "Schmidt", "Dubois", "Martin", "Silva", "Santos",
        "Andersson", "Johansson", "Kowalski", "Nguyen", "Kim", "OBrien", "Murphy", "Rossi", "Jansen", "de Vries",
    ];

    public static readonly string[] FreeMailDomains = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "aol.com", "proton.me", "gmx.de"];

    public static readonly string[] CompanyStems =
    [
        "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Tyrell", "Soylent", "Cyberdyne",
        "Wonka", "Gringotts", "Oscorp", "Massive", "Aperture", "Black Mesa", "Blue Sun", "Monarch", "Nakatomi",
        "Pied Piper", "Dunder", "Sterling", "Prestige", "Vertex", "Nimbus", "Quantum", "Summit", "Pioneer", "Horizon",
        "Atlas", "Beacon", "Cobalt", "Delta", "Ember", "Falcon", "Granite", "Harbor", "Iris", "Juniper", "Keystone",
        "Lumen", "Meridian", "Northwind", "Orion", "Polar", "Quill", "Redwood", "Sierra", "Titan", "Upland", "Vector",
        "Willow", "Xenon", "Yellowstone", "Zephyr",
    ];

    public static readonly string[] CompanySuffixes = ["Inc", "Labs", "Systems", "Group", "Technologies", "Partners", "Holdings", "Solutions", "GmbH", "Ltd", "Co"];

    public static readonly string[] Owners =
    [
        "Alex Morgan", "Jamie Fox", "Riley Chen", "Sam Patel", "Taylor Brooks", "Jordan Kim", "Casey Novak", "Morgan Lee",
    ];

    // Seniority levels, in the order of the hidden seniority score.
    public const int CLevel = 0, Vp = 1, Director = 2, Manager = 3, Individual = 4, Student = 5, Intern = 6;
    public static readonly double[] SeniorityWeight = [5, 7, 13, 22, 41, 7, 5];
    public static readonly double[] SeniorityScore = [1.0, 0.9, 0.75, 0.5, 0.25, 0.0, 0.05];

    public static readonly string[] Departments = ["Engineering", "IT", "Sales", "Marketing", "Finance", "Operations", "HR", "Product"];
    public static readonly double[] DepartmentWeight = [20, 12, 16, 20, 8, 10, 6, 8];
    public static readonly double[] DepartmentEffect = [0.2, 0.25, 0.4, 0.45, 0.0, 0.1, -0.35, 0.15];
    public static readonly string[] DepartmentShort = ["Engineering", "IT", "Sales", "Marketing", "Finance", "Operations", "People", "Product"];
    public static readonly string[] CLevelTitles = ["CTO", "CIO", "CRO", "CMO", "CFO", "COO", "CHRO", "CPO"];
    public static readonly string[] CLevelLong =
    [
        "Chief Technology Officer", "Chief Information Officer", "Chief Revenue Officer", "Chief Marketing Officer",
        "Chief Financial Officer", "Chief Operating Officer", "Chief People Officer", "Chief Product Officer",
    ];
    public static readonly string[] IndividualTitles =
    [
        "Software Engineer", "Systems Administrator", "Account Executive", "Marketing Specialist", "Financial Analyst",
        "Operations Analyst", "HR Generalist", "Product Designer",
    ];
    public static readonly string[] IndividualTitlesSenior =
    [
        "Senior Software Engineer", "Sr. Network Engineer", "Senior Account Executive", "Content Marketing Specialist",
        "Senior Accountant", "Operations Coordinator", "Recruiter", "Product Analyst",
    ];

    /// <summary>A job title as people type them: abbreviations, odd casing, several spellings per level.</summary>
    public static string JobTitle(Random r, int seniority, int dept)
    {
        var d = Departments[dept];
        var t = seniority switch
        {
            CLevel => r.Next(10) switch
            {
                < 4 => CLevelTitles[dept],
                < 7 => CLevelLong[dept],
                < 9 => dept is 0 or 7 ? "Co-Founder & CTO" : "Founder & CEO",
                _ => "Chief Executive Officer",
            },
            Vp => r.Next(5) switch
            {
                0 => $"VP of {d}",
                1 => $"Vice President, {d}",
                2 => $"VP {DepartmentShort[dept]}",
                3 => $"SVP {d}",
                _ => $"Head of {d}",
            },
            Director => r.Next(4) switch
            {
                0 => $"Director of {d}",
                1 => $"{d} Director",
                2 => $"Sr. Director, {d}",
                _ => $"Dir. {DepartmentShort[dept]}",
            },
            Manager => r.Next(4) switch
            {
                0 => $"{d} Manager",
                1 => $"Manager, {d}",
                2 => dept == 0 ? "Engineering Team Lead" : $"{d} Team Lead",
                _ => $"Senior {d} Manager",
            },
            Individual => r.Next(2) == 0 ? IndividualTitles[dept] : IndividualTitlesSenior[dept],
            Student => r.Next(3) switch { 0 => "Student", 1 => "MBA Student", _ => "Graduate Student" },
            _ => r.Next(2) == 0 ? $"{d} Intern" : "Intern",
        };
        return r.Next(20) switch { 0 => t.ToLowerInvariant(), 1 => t.ToUpperInvariant(), 2 => " " + t + " ", _ => t };
    }

    public static readonly string[] BlogPosts =
    [
        "/blog/lead-scoring-101", "/blog/b2b-funnel-metrics", "/blog/marketing-automation-guide", "/blog/customer-stories",
        "/blog/product-update-q3", "/blog/sales-marketing-alignment", "/blog/data-driven-pipeline", "/blog/crm-hygiene",
    ];
    public static readonly string[] DocsPages = ["/docs/overview", "/docs/api", "/docs/integrations/salesforce", "/docs/security", "/docs/sso"];
    public static readonly string[] OnboardingPages = ["/docs/getting-started", "/app/onboarding", "/docs/api/authentication", "/app/settings/team", "/docs/import-data"];
    public static readonly string[] ProductPages = ["/product", "/product/analytics", "/product/automation", "/integrations", "/security"];
    public static readonly string[] CaseStudies = ["/case-studies/acme", "/case-studies/globex", "/case-studies/fintech-growth", "/case-studies/healthcare"];
    public static readonly string[] PricingPages = ["/pricing", "/pricing/enterprise", "/pricing/compare"];
    public static readonly string[] DemoPages = ["/demo", "/request-demo"];
    public static readonly string[] Downloads = ["/resources/roi-calculator.xlsx", "/resources/buyers-guide.pdf", "/resources/benchmark-report-2025.pdf", "/resources/security-whitepaper.pdf"];
    public static readonly string[] Campaigns = ["newsletter", "product_update", "webinar_invite", "case_study", "nurture_1", "nurture_2", "nurture_3", "event_invite"];
    public static readonly string[] Networks = ["linkedin", "x", "youtube", "facebook"];
}

using System.Xml.Linq;
using LeadScore.Application.Security;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.DependencyInjection;

namespace LeadScore.Server.Dashboard;

/// <summary>
/// ASP.NET Data Protection (the session cookie's and anti-forgery token's encryption) over the <see cref="SharedKeyRing"/>
/// in the database, under one application name, so every instance on the same database reads the others' cookies.
/// </summary>
internal static class DashboardKeyRing
{
    /// <summary>The same on every instance wherever it is installed (the default would be the content root path).</summary>
    public const string ApplicationName = "LeadScore";

    public static IServiceCollection AddSharedKeyRing(this IServiceCollection services)
    {
        services.AddSingleton<SharedKeyRing>();
        services.AddDataProtection().SetApplicationName(ApplicationName);
        services.AddOptions<KeyManagementOptions>().Configure<SharedKeyRing>((o, ring) => o.XmlRepository = new Repository(ring));
        return services;
    }

    /// <summary>
    /// Data Protection's repository contract is synchronous; it is called when the ring is loaded (at the first protect or
    /// unprotect, then about once a day, or when a cookie names an unknown key) and when a key is created (every 90 days).
    /// </summary>
    private sealed class Repository(SharedKeyRing ring) : IXmlRepository
    {
        public IReadOnlyCollection<XElement> GetAllElements() =>
            ring.ListAsync().GetAwaiter().GetResult().Select(x => XElement.Parse(x)).ToList();

        public void StoreElement(XElement element, string friendlyName) =>
            ring.AddAsync(element.ToString(SaveOptions.DisableFormatting)).GetAwaiter().GetResult();
    }
}

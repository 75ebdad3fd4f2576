using ScottPlot;

namespace LeadScore.Engine.Reporting;

/// <summary>
/// Registers the DejaVu fonts shipped beside the Engine (fonts/*.ttf) once per process, for every plot (evaluation
/// report and SHAP summary). Without a registered regular and bold face ScottPlot silently drops titles and labels.
/// One lock for all callers: ScottPlot's font registry is process-global and not safe to fill from two threads.
/// </summary>
internal static class PlotFonts
{
    public const string Name = "DejaVu Sans";
    private static readonly Lock Gate = new();
    private static bool _ready;

    public static void Ensure()
    {
        lock (Gate)
        {
            if (_ready) return;
            string[] dirs =
            [
                Path.Combine(AppContext.BaseDirectory, "fonts"),
                Path.Combine(Path.GetDirectoryName(typeof(PlotFonts).Assembly.Location) ?? ".", "fonts"),
                "/usr/share/fonts/truetype/dejavu",
            ];
            var dir = dirs.FirstOrDefault(d => File.Exists(Path.Combine(d, "DejaVuSans.ttf")) && File.Exists(Path.Combine(d, "DejaVuSans-Bold.ttf")))
                ?? throw new FileNotFoundException($"DejaVuSans.ttf and DejaVuSans-Bold.ttf not found in {string.Join(" or ", dirs)}: plots need them.");
            Fonts.AddFontFile(Name, Path.Combine(dir, "DejaVuSans.ttf"), bold: false, italic: false);
            Fonts.AddFontFile(Name, Path.Combine(dir, "DejaVuSans-Bold.ttf"), bold: true, italic: false);
            Fonts.Default = Name;
            Fonts.Sans = Name;
            _ready = true;
        }
    }
}

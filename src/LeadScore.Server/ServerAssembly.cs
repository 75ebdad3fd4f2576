namespace LeadScore.Server;

/// <summary>Marker for the server assembly.</summary>
public static class ServerAssembly;

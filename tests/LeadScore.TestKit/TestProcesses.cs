using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace LeadScore.TestKit;

/// <summary>Helpers for tests that run the real CLI in its own process: a free loopback port and POSIX signals.</summary>
public static class TestProcesses
{
    public const int SigTerm = 15;
    public const int SigKill = 9;

    /// <summary>A loopback port free right now (the OS picks it).</summary>
    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Sends a signal through libc kill(2), so no external kill binary is needed; 0 on success.</summary>
    public static int Signal(int pid, int signal) => Kill(pid, signal);

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}

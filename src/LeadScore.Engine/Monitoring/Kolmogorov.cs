using MathNet.Numerics;

namespace LeadScore.Engine.Monitoring;

/// <summary>
/// The survival function of the two-sided one-sample Kolmogorov-Smirnov statistic, scipy.stats.kstwo.sf(x, n)
/// (Simard and L'Ecuyer's choice of method, as scipy.stats._ksstats._kolmogn): ks_2samp's asymptotic p-value.
/// </summary>
internal static class Kolmogorov
{
    private const int E128 = 128;
    private static readonly double Ep128 = Math.ScaleB(1.0, E128), Em128 = Math.ScaleB(1.0, -E128);
    private static readonly double[] StirlingCoeffs =
        [-2.955065359477124183e-2, 6.4102564102564102564e-3, -1.9175269175269175269e-3, 8.4175084175084175084e-4,
         -5.952380952380952381e-4, 7.9365079365079365079e-4, -2.7777777777777777778e-3, 8.3333333333333333333e-2];

    public static double Sf(int n, double x)
    {
        if (n <= 0) return double.NaN;
        if (x >= 1.0) return 0.0;
        if (x <= 0.0) return 1.0;
        var t = n * x;
        if (t <= 1.0)
        {
            if (t <= 0.5) return 1.0;
            double prob;
            if (n <= 140) { prob = 1.0; for (var i = 1; i <= n; i++) prob *= i * (1.0 / n) * (2 * t - 1); }
            else prob = Math.Exp(LogNFactorialDivNPowN(n) + n * Math.Log(2 * t - 1));
            return Clip(1.0 - prob);
        }
        if (t >= n - 1) return Clip(2 * Math.Pow(1.0 - x, n));
        if (x >= 0.5) return Clip(2 * Smirnov(n, x));
        var nxSquared = t * x;
        if (n <= 140)
        {
            if (nxSquared <= 0.754693) return Clip(1.0 - Clip(Durbin(n, x)));
            if (nxSquared <= 4) return Clip(1.0 - Clip(Pomeranz(n, x)));
            return Clip(2 * Smirnov(n, x));
        }
        if (nxSquared >= 370.0) return 0.0;
        if (nxSquared >= 2.2) return Clip(2 * Smirnov(n, x));
        var cdf = n <= 100000 && n * Math.Pow(x, 1.5) <= 1.4 ? Clip(Durbin(n, x)) : Clip(PelzGood(n, x));
        return Clip(1.0 - cdf);
    }

    private static double Clip(double p) => Math.Clamp(p, 0.0, 1.0);

    private static double LogNFactorialDivNPowN(int n)
    {
        var rn = 1.0 / n;
        var poly = 0.0;
        foreach (var c in StirlingCoeffs) poly = poly * (rn / n) + c;
        return Math.Log(n) / 2 - n + Math.Log(2 * Math.PI) / 2 + rn * poly;
    }

    /// <summary>
    /// One-sided Smirnov survival P(D_n+ &gt;= x), Birnbaum and Tingey's exact sum, term by term in logs
    /// (every term is positive, so there is no cancellation).
    /// </summary>
    public static double Smirnov(int n, double x)
    {
        if (x >= 1) return 0;
        if (x <= 0) return 1;
        var jmax = (int)Math.Floor(n * (1 - x));
        double sum = 0;
        var lgn = SpecialFunctions.GammaLn(n + 1.0);
        for (var j = 0; j <= jmax; j++)
        {
            var a = 1 - x - (double)j / n;
            var b = x + (double)j / n;
            if (a <= 0) continue;
            var logTerm = lgn - SpecialFunctions.GammaLn(j + 1.0) - SpecialFunctions.GammaLn(n - j + 1.0)
                + (n - j == 0 ? 0 : (n - j) * Math.Log(a)) + (j - 1) * Math.Log(b);
            sum += Math.Exp(logTerm);
        }
        return x * sum;
    }

    // scipy.stats._ksstats._kolmogn_DMTW: Durbin's matrix, Marsaglia-Tsang-Wang; the CDF.
    private static double Durbin(int n, double d)
    {
        if (d >= 1.0) return 1.0;
        var nd = n * d;
        if (nd <= 0.5) return 0.0;
        var k = (int)Math.Ceiling(nd);
        var h = k - nd;
        var m = 2 * k - 1;
        var hm = new double[m, m];
        var v = new double[m];
        var w = new double[m];
        var fac = 1.0;
        for (var j = 1; j <= m; j++)
        {
            v[j - 1] = 1.0 - Math.Pow(h, j);
            w[j - 1] = fac;
            fac /= j;
            v[j - 1] *= fac;
        }
        var tt = Math.Pow(Math.Max(2 * h - 1.0, 0), m) - 2 * Math.Pow(h, m);
        v[m - 1] = (1.0 + tt) * fac;
        for (var i = 1; i < m; i++)
            for (var r = i - 1; r < m; r++) hm[r, i] = w[r - (i - 1)];
        for (var r = 0; r < m; r++) hm[r, 0] = v[r];
        for (var c = 0; c < m; c++) hm[m - 1, c] = v[m - 1 - c];

        var pwr = new double[m, m];
        for (var r = 0; r < m; r++) pwr[r, r] = 1;
        var nn = n;
        int expnt = 0, hExpnt = 0;
        while (nn > 0)
        {
            if (nn % 2 == 1) { pwr = MatMul(pwr, hm); expnt += hExpnt; }
            hm = MatMul(hm, hm);
            hExpnt *= 2;
            if (Math.Abs(hm[k - 1, k - 1]) > Ep128)
            {
                for (var r = 0; r < m; r++) for (var c = 0; c < m; c++) hm[r, c] /= Ep128;
                hExpnt += E128;
            }
            nn /= 2;
        }
        var p = pwr[k - 1, k - 1];
        for (var i = 1; i <= n; i++)
        {
            p = i * p / n;
            if (Math.Abs(p) < Em128) { p *= Ep128; expnt -= E128; }
        }
        if (expnt != 0) p = Math.ScaleB(p, expnt);
        return p;
    }

    private static double[,] MatMul(double[,] a, double[,] b)
    {
        var m = a.GetLength(0);
        var c = new double[m, m];
        for (var i = 0; i < m; i++)
            for (var k = 0; k < m; k++)
            {
                var aik = a[i, k];
                if (aik == 0) continue;
                for (var j = 0; j < m; j++) c[i, j] += aik * b[k, j];
            }
        return c;
    }

    private static (int, int) PomeranzJ1J2(int i, int n, int ll, int ceilf, int roundf)
    {
        int j1, j2;
        if (i == 0) { j1 = -ll - ceilf - 1; j2 = ll + ceilf - 1; }
        else
        {
            var ip1div2 = (i + 1) / 2; var ip1mod2 = (i + 1) % 2;
            if (ip1mod2 == 0)
            {
                if (ip1div2 == n + 1) { j1 = n - ll - ceilf - 1; j2 = n + ll + ceilf - 1; }
                else { j1 = ip1div2 - 1 - ll - roundf - 1; j2 = ip1div2 + ll - 1 + ceilf - 1; }
            }
            else { j1 = ip1div2 - 1 - ll - 1; j2 = ip1div2 + ll + roundf - 1; }
        }
        return (Math.Max(j1 + 2, 0), Math.Min(j2, n));
    }

    // scipy.stats._ksstats._kolmogn_Pomeranz: the CDF.
    private static double Pomeranz(int n, double x)
    {
        var t = n * x;
        var ll = (int)Math.Floor(t);
        var f = t - ll;
        var g = Math.Min(f, 1.0 - f);
        var ceilf = f > 0 ? 1 : 0;
        var roundf = f > 0.5 ? 1 : 0;
        var npwrs = 2 * (ll + 1);
        var gpower = new double[npwrs]; var twogpower = new double[npwrs]; var onem2gpower = new double[npwrs];
        gpower[0] = twogpower[0] = onem2gpower[0] = 1.0;
        var expnt = 0;
        double gOverN = g / n, twoGOverN = 2 * g / n, oneMinus2GOverN = (1 - 2 * g) / n;
        for (var m = 1; m < npwrs; m++)
        {
            gpower[m] = gpower[m - 1] * gOverN / m;
            twogpower[m] = twogpower[m - 1] * twoGOverN / m;
            onem2gpower[m] = onem2gpower[m - 1] * oneMinus2GOverN / m;
        }
        var v0 = new double[npwrs]; var v1 = new double[npwrs];
        v1[0] = 1;
        int v0s = 0, v1s = 0;
        var (j1, j2) = PomeranzJ1J2(0, n, ll, ceilf, roundf);
        var conv = new double[2 * npwrs];
        for (var i = 1; i < 2 * n + 2; i++)
        {
            var k1 = j1;
            (v0, v1) = (v1, v0);
            (v0s, v1s) = (v1s, v0s);
            Array.Clear(v1);
            (j1, j2) = PomeranzJ1J2(i, n, ll, ceilf, roundf);
            var pwrs = i == 1 || i == 2 * n + 1 ? gpower : i % 2 == 1 ? twogpower : onem2gpower;
            var ln2 = j2 - k1 + 1;
            if (ln2 > 0)
            {
                // np.convolve(V0[k1 - V0s : k1 - V0s + ln2], pwrs[:ln2]) (full mode)
                var off = k1 - v0s;
                var convLen = 2 * ln2 - 1;
                for (var c = 0; c < convLen; c++)
                {
                    double s = 0;
                    var lo = Math.Max(0, c - (ln2 - 1)); var hi = Math.Min(c, ln2 - 1);
                    for (var a = lo; a <= hi; a++)
                    {
                        var idx = off + a;
                        var va = idx >= 0 && idx < npwrs ? v0[idx] : 0;
                        s += va * pwrs[c - a];
                    }
                    conv[c] = s;
                }
                var convStart = j1 - k1;
                var useLen = j2 - j1 + 1;
                for (var c = 0; c < useLen; c++) v1[c] = conv[convStart + c];
                var max = v1.Max();
                if (max > 0 && max < Em128) { for (var c = 0; c < npwrs; c++) v1[c] *= Ep128; expnt -= E128; }
                v1s = v0s + j1 - k1;
            }
        }
        var ans = v1[n - v1s];
        for (var m = 1; m <= n; m++)
        {
            if (Math.Abs(ans) > Ep128) { ans *= Em128; expnt += E128; }
            ans *= m;
        }
        if (expnt != 0) ans = Math.ScaleB(ans, expnt);
        return ans;
    }

    // scipy.stats._ksstats._kolmogn_PelzGood: the CDF.
    private static double PelzGood(int n, double x)
    {
        if (x <= 0.0) return 0.0;
        if (x >= 1.0) return 1.0;
        const double pi2 = Math.PI * Math.PI, pi4 = pi2 * pi2, pi6 = pi4 * pi2;
        var sqrt2Pi = Math.Sqrt(2 * Math.PI);
        var z = Math.Sqrt(n) * x;
        double z2 = z * z, z3 = z * z * z, z4 = z2 * z2, z6 = z4 * z2;
        var qlog = -pi2 / 8 / z2;
        if (qlog < -708) return 0.0;
        var q = Math.Exp(qlog);
        var k1a = -z2; var k1b = pi2 / 4;
        var k2a = 6 * z6 + 2 * z4; var k2b = (2 * z4 - 5 * z2) * pi2 / 4; var k2c = pi4 * (1 - 2 * z2) / 16;
        var k3d = pi6 * (5 - 30 * z2) / 64; var k3c = pi4 * (-60 * z2 + 212 * z4) / 16;
        var k3b = pi2 * (135 * z4 - 96 * z6) / 4; var k3a = -30 * z6 - 90 * Math.Pow(z, 8);
        var kk = new double[4];
        var maxk = (int)Math.Ceiling(16 * z / Math.PI);
        for (var k = maxk; k > 0; k--)
        {
            double m = 2 * k - 1;
            double m2 = m * m, m4 = m2 * m2, m6 = m4 * m2;
            var qpower = Math.Pow(q, 8 * k);
            kk[0] = kk[0] * qpower + 1.0;
            kk[1] = kk[1] * qpower + (k1a + k1b * m2);
            kk[2] = kk[2] * qpower + (k2a + k2b * m2 + k2c * m4);
            kk[3] = kk[3] * qpower + (k3a + k3b * m2 + k3c * m4 + k3d * m6);
        }
        double[] div = [z, 6 * z4, 72 * Math.Pow(z, 7), 6480 * Math.Pow(z, 10)];
        for (var i = 0; i < 4; i++) kk[i] = kk[i] * q * sqrt2Pi / div[i];
        q = Math.Exp(-pi2 / 2 / z2);
        double k2extra = 0, k3extra = 0;
        var sqrt3z = Math.Sqrt(3) * z;
        for (var k = maxk; k > 0; k--)
        {
            double ks2 = (double)k * k;
            var qp = Math.Pow(q, ks2);
            k2extra += ks2 * qp;
            var kspi = Math.PI * k;
            k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ks2 * qp;
        }
        kk[2] += k2extra * pi2 * sqrt2Pi / (-36 * z3);
        kk[3] += k3extra * pi2 * sqrt2Pi / (216 * z6);
        double sum = 0;
        for (var i = 0; i < 4; i++) sum += kk[i] / Math.Pow(n * 1.0, i / 2.0);
        return sum;
    }
}

namespace LeadScore.Engine.Lifecycle;

/// <summary>The standard normal distribution's CDF and quantile, enough for z-tests (no statistics package needed).</summary>
public static class Normal
{
    /// <summary>P(Z &lt;= z), from the complementary error function (absolute error about 1e-13).</summary>
    public static double Cdf(double z) => 0.5 * Erfc(-z / Math.Sqrt(2));

    /// <summary>The z with P(Z &lt;= z) = p (P. J. Acklam's algorithm, refined by one Halley step: about 1e-15).</summary>
    public static double Quantile(double p)
    {
        if (p <= 0) return double.NegativeInfinity;
        if (p >= 1) return double.PositiveInfinity;
        double[] a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
        double[] b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
        double[] c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
        double[] d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
        const double low = 0.02425;
        double x;
        if (p < low)
        {
            var q = Math.Sqrt(-2 * Math.Log(p));
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        else if (p <= 1 - low)
        {
            var q = p - 0.5;
            var r = q * q;
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
        }
        else
        {
            var q = Math.Sqrt(-2 * Math.Log(1 - p));
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        var e = Cdf(x) - p;
        var u = e * Math.Sqrt(2 * Math.PI) * Math.Exp(x * x / 2);
        return x - u / (1 + x * u / 2);
    }

    /// <summary>erfc(x): erf's Taylor series below |x| = 3, Lentz's continued fraction above (tails keep their relative precision).</summary>
    private static double Erfc(double x)
    {
        // Series for |x| < 3 (erf by its Taylor series converges fast there), continued fraction beyond.
        var ax = Math.Abs(x);
        double r;
        if (ax < 3)
        {
            double sum = ax, term = ax, x2 = ax * ax;
            for (var n = 1; n < 200; n++)
            {
                term *= -x2 / n;
                var add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            r = 1 - 2 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            // Lentz's continued fraction: erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))).
            double f = ax, cc = ax, dd = 0;
            for (var n = 1; n < 300; n++)
            {
                var an = n / 2.0;
                dd = ax + an * dd; dd = 1 / dd;
                cc = ax + an / cc;
                var delta = cc * dd;
                f *= delta;
                if (Math.Abs(delta - 1) < 1e-16) break;
            }
            r = Math.Exp(-ax * ax) / Math.Sqrt(Math.PI) / f;
        }
        return x >= 0 ? r : 2 - r;
    }
}

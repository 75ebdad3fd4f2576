# Computes the expected values in DriftStatisticsTests.cs ONCE (the tests do not run Python).
# Run with Debian's scipy 1.10.1 / numpy 1.24.2:  /usr/bin/python3 scipy_oracle.py
# The samples come from the same integer LCG as Samples.Lcg in the C# tests, so both sides see identical doubles.
import numpy as np
from scipy import stats
from scipy.spatial import distance

def lcg(seed, count, modulo, scale, offset=0.0):
    x = seed; out = []
    for _ in range(count):
        x = (1103515245 * x + 12345) % 2147483648
        out.append((x % modulo) / scale + offset)
    return np.array(out)

def binned(ref, cur, numeric, feel_zeroes):
    # Evidently get_binned_data (legacy/calculations/stattests/utils.py), numpy only
    if numeric and len(np.unique(ref)) > 20:
        bins = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
        rp = np.histogram(ref, bins)[0] / len(ref)
        cp = np.histogram(cur, bins)[0] / len(cur)
    else:
        keys = sorted(set(ref) | set(cur))
        rp = np.array([np.sum(ref == k) / len(ref) for k in keys])
        cp = np.array([np.sum(cur == k) / len(cur) for k in keys])
    if feel_zeroes:
        for p in (rp, cp):
            m = min(p[p != 0])
            np.place(p, p == 0, m / 10**6 if m <= 0.0001 else 0.0001)
    return rp, cp

def psi(ref, cur, numeric=True):
    rp, cp = binned(ref, cur, numeric, True)
    return np.sum((rp - cp) * np.log(rp / cp))

def js(ref, cur, numeric=True):
    rp, cp = binned(ref, cur, numeric, False)
    return distance.jensenshannon(rp, cp)

def wnorm(ref, cur):
    return stats.wasserstein_distance(ref, cur) / max(float(np.std(ref)), 0.001)

def chi(ref, cur):
    keys = sorted(set(ref) | set(cur))
    k = len(cur) / len(ref)
    return stats.chisquare([np.sum(cur == x) for x in keys], [np.sum(ref == x) * k for x in keys])

def z(ref, cur):
    from scipy.stats import norm
    keys = sorted(set(ref) | set(cur))
    if len(set(ref)) == 1 and len(set(cur)) == 1 and ref[0] == cur[0]:
        return 0.0, 1.0
    r = np.where(ref == keys[0], 0, 1); c = np.where(cur == keys[0], 0, 1)
    n1, n2 = len(r), len(c); p1 = float(sum(r)) / n1; p2 = float(sum(c)) / n2
    P = float(p1 * n1 + p2 * n2) / (n1 + n2)
    zs = (p1 - p2) / np.sqrt(P * (1 - P) * (1.0 / n1 + 1.0 / n2))
    return zs, 2 * (1 - norm.cdf(np.abs(zs)))

cases = {
    # name: (ref, cur)
    "ks_small_ties": (np.array([1.2, 3.4, 3.4, 5.0, 2.2, 7.1, 0.5, 3.4, 9.9, 4.4]), np.array([3.4, 3.4, 6.0, 7.1, 8.8, 5.0, 5.5, 9.9, 9.9, 2.2, 6.1, 7.7, 3.4])),
    "ks_equal_sizes": (lcg(7, 60, 50, 10.0), lcg(8, 60, 50, 10.0, 0.8)),
    "ks_exact_medium": (lcg(1, 800, 1000, 100.0), lcg(2, 1200, 1000, 100.0, 0.4)),
    "ks_exact_nodrift": (lcg(3, 900, 997, 10.0), lcg(4, 2500, 997, 10.0)),
    "ks_asymp_pelzgood": (lcg(5, 900, 10007, 100.0), lcg(6, 12000, 10007, 100.0, 2.5)),
    "ks_asymp_smirnov": (lcg(9, 900, 10007, 100.0), lcg(10, 12000, 10007, 100.0, 6.0)),
    "ks_asymp_small_d": (lcg(11, 900, 10007, 100.0), lcg(12, 12000, 10007, 100.0)),
    "ks_asymp_n_le_140": (lcg(13, 120, 1009, 10.0), lcg(14, 15000, 1009, 10.0, 3.0)),
    "ks_asymp_n_le_140_nodrift": (lcg(15, 120, 1009, 10.0), lcg(16, 15000, 1009, 10.0)),
    "ks_single_valued": (np.full(50, 5.0), np.concatenate([np.full(40, 5.0), lcg(17, 10, 100, 10.0)])),
}
print("// ks_2samp(ref, cur) -> (statistic, pvalue)")
for name, (r, c) in cases.items():
    res = stats.ks_2samp(r, c)
    print(f'["{name}"] = ({res.statistic!r}, {res.pvalue!r}),')

print("// wasserstein_distance(ref, cur) / max(np.std(ref), 0.001)")
wcases = {
    "w_ties": (np.array([1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 7.5]), np.array([2.0, 2.0, 3.0, 3.0, 9.0])),
    "w_medium": (lcg(21, 1500, 1000, 100.0), lcg(22, 3000, 1000, 100.0, 0.9)),
    "w_single_valued_ref": (np.full(30, 4.0), np.array([4.0, 4.0, 4.5, 5.0])),
}
for name, (r, c) in wcases.items():
    print(f'["{name}"] = ({stats.wasserstein_distance(r, c)!r}, {wnorm(r, c)!r}),')

print("// Evidently psi / jensenshannon, numeric binning (sturges) or values")
bcases = {
    "b_numeric_empty_bins": (np.concatenate([lcg(31, 1200, 1000, 100.0), np.array([40.0, 41.5])]), lcg(32, 2000, 300, 100.0, 5.0)),
    "b_numeric_shift": (lcg(33, 1500, 1000, 100.0), lcg(34, 1500, 1000, 100.0, 2.0)),
    "b_few_values": (lcg(35, 1200, 4, 1.0), lcg(36, 1300, 5, 1.0)),
    "b_single_valued": (np.full(1500, 2.0), np.concatenate([np.full(1400, 2.0), np.full(100, 3.0)])),
}
for name, (r, c) in bcases.items():
    print(f'["{name}"] = ({psi(r, c)!r}, {js(r, c)!r}),')

print("// chisquare as Evidently (expected from reference proportions), z-test as Evidently")
ccases = {
    "c_three": (lcg(41, 700, 3, 1.0), lcg(42, 500, 3, 1.0)),
    "c_empty_in_current": (np.array([0.0] * 40 + [1.0] * 30 + [2.0] * 5 + [3.0] * 25), np.array([0.0] * 50 + [1.0] * 20 + [3.0] * 30)),
    "c_new_in_current": (np.array([0.0] * 40 + [1.0] * 60), np.array([0.0] * 30 + [1.0] * 60 + [2.0] * 10)),
}
for name, (r, c) in ccases.items():
    s = chi(r, c)
    print(f'["{name}"] = ({s.statistic!r}, {s.pvalue!r}),')
zcases = {
    "z_binary": (np.array([0.0] * 600 + [1.0] * 400), np.array([0.0] * 260 + [1.0] * 240)),
    "z_one_side_single": (np.array([1.0] * 300), np.array([0.0] * 10 + [1.0] * 290)),
    "z_same_single": (np.array([1.0] * 300), np.array([1.0] * 200)),
}
for name, (r, c) in zcases.items():
    zs, p = z(r, c)
    print(f'["{name}"] = ({float(zs)!r}, {float(p)!r}),')

print("// scipy.special / distributions spot checks: kstwo.sf(x, n)")
for n, x in [(837, 0.03), (837, 0.05), (837, 0.07), (837, 0.01), (119, 0.05), (119, 0.1), (119, 0.2), (119, 0.6), (500, 0.004), (50, 0.3)]:
    print(f'({n}, {x!r}, {stats.kstwo.sf(x, n)!r}),')

print("// NannyML estimate_roc_auc re-implemented in numpy (sklearn.metrics.auc = np.trapz over fpr)")
def nannyml_roc_auc(p):
    p = np.asarray(p)
    idx = np.argsort(p)[::-1]
    p = p[idx]
    tps = np.cumsum(p); fps = 1 + np.arange(len(p)) - tps
    tps = np.r_[0, tps]; fps = np.r_[0, fps]
    tps = np.round(tps, 5); fps = np.round(fps, 5)
    tpr = tps / tps[-1]; fpr = fps / fps[-1]
    return np.trapz(tpr, fpr)
for name, p in {"cbpe_small": [0.9, 0.8, 0.8, 0.35, 0.2, 0.05, 0.6, 0.01], "cbpe_lcg": lcg(51, 3000, 1000, 1000.0)}.items():
    print(f'["{name}"] = {nannyml_roc_auc(p)!r},')

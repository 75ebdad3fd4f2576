# Computes the expected boundaries in LifecycleStatisticsTests.Exact_boundaries_match_scipy ONCE (the tests do not run Python).
# Run with Debian's scipy 1.10.1:  /usr/bin/python3 group_sequential_oracle.py
# Each boundary solves P(Z_1 < b_1, ..., Z_k-1 < b_k-1, Z_k >= b_k) = alpha(t_k) - alpha(t_k-1) with corr(Z_i, Z_j) =
# sqrt(t_i / t_j), alpha(t) the Lan-DeMets O'Brien-Fleming spending function, by Genz's multivariate normal CDF.
import numpy as np
from scipy.stats import norm, multivariate_normal as MVN
from scipy.optimize import brentq
def spent(a,t):
    if t<=0: return 0.0
    if t>=1: return a
    return 2-2*norm.cdf(norm.ppf(1-a/2)/np.sqrt(t))
def cdf(x,cov):
    if len(x)==1: return norm.cdf(x[0])
    return MVN.cdf(np.array(x),mean=np.zeros(len(x)),cov=cov,maxpts=20000000,abseps=1e-10,releps=1e-10)
def bounds(a, ts):
    bs=[]
    for k,t in enumerate(ts):
        target=spent(a,t)-spent(a,ts[k-1] if k else 0)
        if k==0:
            bs.append(norm.ppf(1-target)); continue
        tt=np.array(ts[:k+1])
        cov=np.sqrt(np.minimum.outer(tt,tt)/np.maximum.outer(tt,tt))
        prev=cdf(bs,cov[:k,:k])
        f=lambda c: prev - cdf(bs+[c],cov) - target
        bs.append(brentq(f,-8,8,xtol=1e-8))
    return bs
for a,ts in [(0.025,[0.2,0.4,0.6,0.8,1.0]),(0.05,[0.27,0.54,0.82,1.0])]:
    print(a,ts,[round(b,5) for b in bounds(a,ts)])

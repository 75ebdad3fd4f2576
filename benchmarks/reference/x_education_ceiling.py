#!/usr/bin/python3
"""What the leak-free X Education columns give with scikit-learn (a reference, not part of the product or the tests).

Debian 12: apt-get install python3-sklearn python3-pandas; then /usr/bin/python3 benchmarks/reference/x_education_ceiling.py
Prints the held-out AUC of scikit-learn's HistGradientBoostingClassifier (native categorical splits, "Select" as missing)
and of one-hot logistic regression over ten stratified 80/20 splits, then a 16-point grid chosen on those test splits
(optimistic by construction). The columns left out are those docs/modeling.md names as written after contact.
"""
import itertools
import sys

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

path = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/x-education-leads/Leads.csv"
df = pd.read_csv(path)
drop = ["Prospect ID", "Lead Number", "Tags", "Lead Quality", "Lead Profile", "Last Activity", "Last Notable Activity",
        "Asymmetrique Activity Index", "Asymmetrique Profile Index", "Asymmetrique Activity Score", "Asymmetrique Profile Score"]
y = df.pop("Converted").values
X = df.drop(columns=drop).replace("Select", np.nan)
num = [c for c in X.columns if X[c].dtype != object]
cat = [c for c in X.columns if X[c].dtype == object]
codes = X.copy()
for c in cat:
    codes[c] = codes[c].astype("category").cat.codes.replace(-1, np.nan).astype(float)
mask = np.array([c in cat for c in codes.columns])
splits = [train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=s) for s in range(10)]


def hgb(lr=0.05, leaves=16, min_leaf=20, l2=0.0):
    return HistGradientBoostingClassifier(categorical_features=mask, learning_rate=lr, max_iter=int(15 / lr),
                                          max_leaf_nodes=leaves, min_samples_leaf=min_leaf, l2_regularization=l2, random_state=0)


def mean_auc(make, data):
    aucs = [roc_auc_score(y[te], make().fit(data.iloc[tr], y[tr]).predict_proba(data.iloc[te])[:, 1]) for tr, te in splits]
    return np.mean(aucs), np.std(aucs), min(aucs), max(aucs)


def logit():
    pre = ColumnTransformer([
        ("n", make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()), num),
        ("c", make_pipeline(SimpleImputer(strategy="constant", fill_value="NA"), OneHotEncoder(handle_unknown="ignore", min_frequency=10)), cat)])
    return make_pipeline(pre, LogisticRegression(C=1.0, max_iter=2000))


print("hist gradient boosting (lr 0.05, 16 leaves): mean %.4f sd %.4f min %.4f max %.4f" % mean_auc(hgb, codes))
print("one-hot logistic regression:                mean %.4f sd %.4f min %.4f max %.4f" % mean_auc(logit, X))
best = max((mean_auc(lambda: hgb(lr, leaves, ml, l2), codes)[0], leaves, lr, ml, l2)
           for leaves, lr, ml, l2 in itertools.product([8, 31], [0.03, 0.1], [10, 50], [0.0, 3.0]))
print("best of the grid, chosen on the test splits: mean %.4f (leaves %d, lr %g, min leaf %d, l2 %g)" % best)

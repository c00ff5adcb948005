#!/usr/bin/python3
"""Reference values for drift by column type (compareDistributions with featureTypes), from scipy.
Run with /usr/bin/python3 (Debian's python3-scipy):

    /usr/bin/python3 packages/drift/scripts/typed_reference.py > packages/drift/src/testing/typed-reference.json

Each case gives category counts (categorical and boolean columns) or missing / present counts
(numeric columns); the TypeScript test builds rows with exactly these counts (missing = NaN,
unseen = negative codes), runs compareDistributions and compares its chi-square results with these.
"""
import json
import sys

import numpy as np
import scipy
from scipy import stats
from scipy.spatial import distance

MIN_EXPECTED = 5
PSI_EPSILON = 1e-4

# (name, type, labels, reference counts, current counts). Labels: codes, 'unseen', 'missing'.
CATEGORY_CASES = [
    ("shares moved", "categorical", ["0", "1", "2", "3"], [400, 300, 200, 100], [130, 120, 130, 120]),
    ("stable with missing", "categorical", ["0", "1", "2", "missing"], [500, 250, 150, 100], [240, 130, 80, 50]),
    ("unseen codes appear", "categorical", ["0", "1", "2", "unseen"], [600, 300, 100, 0], [220, 120, 40, 120]),
    ("missing rises", "categorical", ["0", "1", "missing"], [900, 80, 20], [300, 100, 100]),
    ("rare categories pooled", "categorical", ["0", "1", "2", "3", "4", "5", "missing"],
     [700, 280, 6, 5, 3, 2, 4], [330, 150, 6, 1, 2, 7, 4]),
    ("boolean, 1 dof (Yates)", "boolean", ["false", "true"], [700, 300], [320, 180]),
    ("boolean with missing", "boolean", ["false", "true", "missing"], [650, 300, 50], [300, 120, 80]),
]

# (name, reference missing, reference rows, current missing, current rows)
MISSING_CASES = [
    ("missing share rises", 20, 1000, 155, 500),
    ("missing share stable", 200, 1000, 95, 500),
    ("none missing in the reference", 0, 1000, 12, 500),
    ("all missing in the current window", 50, 1000, 300, 300),
]


def pool_rare(ref, cur):
    """Pools categories whose expected count on the smaller side is below 5, when there are 2 or more."""
    ref = np.asarray(ref, dtype=float)
    cur = np.asarray(cur, dtype=float)
    smaller = min(ref.sum(), cur.sum())
    expected = smaller * (ref + cur) / (ref.sum() + cur.sum())
    rare = expected < MIN_EXPECTED
    if rare.sum() < 2:
        return ref, cur, []
    keep = ~rare
    return (np.append(ref[keep], ref[rare].sum()), np.append(cur[keep], cur[rare].sum()),
            [int(i) for i in np.flatnonzero(rare)])


def psi(ref, cur):
    pr = np.maximum(np.asarray(ref) / np.sum(ref), PSI_EPSILON)
    pc = np.maximum(np.asarray(cur) / np.sum(cur), PSI_EPSILON)
    return float(np.sum((pc - pr) * np.log(pc / pr)))


def category_case(name, kind, labels, ref, cur):
    pooled_ref, pooled_cur, pooled = pool_rare(ref, cur)
    keep = (pooled_ref + pooled_cur) > 0
    chi2, p, dof, _ = stats.chi2_contingency(np.array([pooled_ref[keep], pooled_cur[keep]]))
    return {"name": name, "type": kind, "labels": labels, "reference": ref, "current": cur,
            "pooled": [labels[i] for i in pooled],
            "chi2": float(chi2), "pvalue": float(p), "dof": int(dof),
            "psi": psi(pooled_ref, pooled_cur),
            "jensenshannon_base_2": float(distance.jensenshannon(pooled_ref, pooled_cur, base=2))}


def missing_case(name, rm, rn, cm, cn):
    table = np.array([[rm, rn - rm], [cm, cn - cm]])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        chi2, p = 0.0, 1.0
    else:
        chi2, p, _, _ = stats.chi2_contingency(table)
    return {"name": name, "reference_missing": rm, "reference_rows": rn, "current_missing": cm,
            "current_rows": cn, "chi2": float(chi2), "pvalue": float(p)}


def main():
    json.dump({
        "generated_by": "packages/drift/scripts/typed_reference.py",
        "versions": {"scipy": scipy.__version__, "numpy": np.__version__},
        "conventions": {
            "categories": "scipy.stats.chi2_contingency([reference; current]) (Yates for 1 dof) after pooling the categories whose expected count on the smaller side is below 5 (when 2 or more are) into one column; missing and unseen are categories",
            "psi": "sum (pc - pr) ln(pc / pr) over the shares of the chi-square's cells (rare categories pooled as above), each floored at 1e-4",
            "jensenshannon_base_2": "scipy.spatial.distance.jensenshannon(reference, current, base=2) over the chi-square's cells (rare categories pooled)",
            "missing": "scipy.stats.chi2_contingency([[missing, present] reference; [missing, present] current]) with Yates; empty columns dropped, a single column gives statistic 0 and p 1",
        },
        "categories": [category_case(*c) for c in CATEGORY_CASES],
        "missing": [missing_case(*c) for c in MISSING_CASES],
    }, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Reference values for the statistics of the retraining policy (packages/drift), from scipy and
scikit-learn. Run with /usr/bin/python3 (Debian's python3-scipy and python3-sklearn):

    /usr/bin/python3 packages/drift/scripts/policy_reference.py > packages/drift/src/testing/policy-reference.json

Every input is generated here from a fixed numpy seed and written out beside its expected value,
so the TypeScript tests read the exact inputs and never re-derive the formulas.
"""
import json
import sys

import numpy as np
import scipy
import sklearn
from scipy import special, stats
from sklearn.metrics import balanced_accuracy_score, recall_score


def normal_quantiles():
    ps = [1e-12, 1e-7, 1e-4, 0.001, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.975,
          0.99, 0.999, 1 - 1e-7]
    return [{"p": p, "z": float(special.ndtri(p))} for p in ps]


def beta_quantiles():
    cases = [(0.05, 1, 19), (0.1, 3, 18), (0.9, 3, 18), (0.5, 2.5, 7.5), (0.025, 40, 61),
             (0.975, 40, 61), (0.001, 0.5, 0.5), (0.999, 200, 3), (0.2, 1, 1), (1e-6, 5, 100)]
    return [{"p": p, "a": a, "b": b, "x": float(stats.beta.ppf(p, a, b))} for p, a, b in cases]


def binomial_tails():
    cases = [(0, 10, 0.5), (3, 10, 0.5), (5, 10, 0.5), (10, 10, 0.5), (2, 40, 0.1), (17, 40, 0.3),
             (120, 1000, 0.1), (95, 1000, 0.1), (1, 1, 0.5), (30, 60, 0.5), (7, 200, 0.01)]
    return [{"k": k, "n": n, "p": p, "cdf": float(stats.binom.cdf(k, n, p)),
             "sf_at_least": float(stats.binom.sf(k - 1, n, p))} for k, n, p in cases]


def proportion_intervals():
    cases = [(0, 20), (1, 20), (3, 20), (10, 20), (20, 20), (12, 150), (75, 150), (400, 4000),
             (1, 1000), (999, 1000), (5, 7)]
    out = []
    for k, n in cases:
        for conf in (0.9, 0.95, 0.99):
            for alt in ("two-sided", "less", "greater"):
                test = stats.binomtest(k, n, alternative=alt)
                w = test.proportion_ci(confidence_level=conf, method="wilson")
                e = test.proportion_ci(confidence_level=conf, method="exact")
                out.append({"k": k, "n": n, "confidence": conf, "alternative": alt,
                            "wilson": [float(w.low), float(w.high)],
                            "clopper_pearson": [float(e.low), float(e.high)]})
    return out


def mcnemar_cases():
    """Paired correctness of a challenger and a champion on one hold-out; the exact McNemar test is
    the binomial test of the challenger-only wins among the discordant pairs."""
    rng = np.random.default_rng(20240617)
    shapes = [(150, 0.90, 0.92, 0.6), (150, 0.80, 0.92, 0.5), (400, 0.93, 0.93, 0.7), (40, 0.7, 0.6, 0.3),
              (1000, 0.95, 0.94, 0.8), (30, 1.0, 1.0, 1.0), (200, 0.5, 0.9, 0.0)]
    out = []
    for n, acc_a, acc_b, corr in shapes:
        a = rng.random(n) < acc_a
        shared = rng.random(n) < corr
        b = np.where(shared, a, rng.random(n) < acc_b)
        only_a = int(np.sum(a & ~b))
        only_b = int(np.sum(~a & b))
        d = only_a + only_b
        case = {"challenger": a.astype(int).tolist(), "champion": b.astype(int).tolist(),
                "challenger_only": only_a, "champion_only": only_b}
        if d > 0:
            for alt in ("greater", "less", "two-sided"):
                case[f"p_{alt}"] = float(stats.binomtest(only_a, d, 0.5, alternative=alt).pvalue)
            for conf in (0.8, 0.9, 0.95):
                ci = stats.binomtest(only_a, d, alternative="greater").proportion_ci(conf, "exact")
                case[f"share_lower_{conf}"] = float(ci.low)
        out.append(case)
    return out


def balanced_accuracy_cases():
    rng = np.random.default_rng(7)
    out = []
    for n, k, weights, acc in [(200, 2, [0.98, 0.02], 0.9), (500, 3, [0.6, 0.3, 0.1], 0.7),
                               (50, 2, [0.5, 0.5], 0.5), (300, 4, [0.4, 0.3, 0.2, 0.1], 0.8)]:
        y = rng.choice(k, size=n, p=weights)
        pred = np.where(rng.random(n) < acc, y, rng.integers(0, k, size=n))
        labels = sorted(set(y.tolist()))
        out.append({"y_true": y.tolist(), "y_pred": pred.tolist(),
                    "balanced_accuracy": float(balanced_accuracy_score(y, pred)),
                    "recall": {str(c): float(r) for c, r in
                               zip(labels, recall_score(y, pred, labels=labels, average=None, zero_division=0))}})
    # A majority-only predictor on 2 % positives.
    y = (rng.random(1000) < 0.02).astype(int)
    out.append({"y_true": y.tolist(), "y_pred": [0] * 1000,
                "balanced_accuracy": float(balanced_accuracy_score(y, np.zeros(1000, dtype=int))),
                "recall": {"0": 1.0, "1": 0.0}})
    return out


def categorical_cases():
    """Chi-square of homogeneity on the categories of the reference plus one 'unseen' bucket for
    current values the reference never had (scipy.stats.chi2_contingency, Yates at 1 dof)."""
    rng = np.random.default_rng(11)
    out = []
    for ref_p, cur_p, extra, n_ref, n_cur in [([0.5, 0.3, 0.2], [0.5, 0.3, 0.2], 0.0, 1000, 300),
                                              ([0.5, 0.3, 0.2], [0.3, 0.3, 0.4], 0.0, 1000, 300),
                                              ([0.7, 0.3], [0.7, 0.3], 0.05, 2000, 500),
                                              ([0.9, 0.1], [0.85, 0.15], 0.0, 500, 200)]:
        ref = rng.choice(len(ref_p), size=n_ref, p=ref_p).astype(float)
        cur = rng.choice(len(cur_p), size=n_cur, p=cur_p).astype(float)
        unseen = rng.random(n_cur) < extra
        cur = np.where(unseen, 7.0, cur)
        cats = sorted(set(ref.tolist()))
        ref_counts = [int(np.sum(ref == c)) for c in cats] + [0]
        cur_counts = [int(np.sum(cur == c)) for c in cats] + [int(np.sum(~np.isin(cur, cats)))]
        table = np.array([ref_counts, cur_counts])
        table = table[:, table.sum(axis=0) > 0]
        if table.shape[1] < 2:
            p = 1.0
        else:
            p = float(stats.chi2_contingency(table)[1])
        out.append({"reference": ref.tolist(), "current": cur.tolist(), "p_value": p})
    return out


def missing_rate_cases():
    out = []
    for ref_missing, ref_n, cur_missing, cur_n in [(0, 1000, 0, 500), (0, 1000, 5, 500), (50, 1000, 25, 500),
                                                   (50, 1000, 60, 500), (3, 400, 0, 200)]:
        table = [[ref_missing, ref_n - ref_missing], [cur_missing, cur_n - cur_missing]]
        out.append({"reference_missing": ref_missing, "reference_rows": ref_n, "current_missing": cur_missing,
                    "current_rows": cur_n, "p_value": float(stats.fisher_exact(table)[1])})
    return out


def main():
    json.dump({
        "generated_by": "packages/drift/scripts/policy_reference.py",
        "versions": {"scipy": scipy.__version__, "numpy": np.__version__, "sklearn": sklearn.__version__},
        "conventions": {
            "normal_quantile": "scipy.special.ndtri(p)",
            "beta_quantile": "scipy.stats.beta.ppf(p, a, b)",
            "binomial": "cdf = binom.cdf(k, n, p); sf_at_least = binom.sf(k - 1, n, p) = P(X >= k)",
            "intervals": "scipy.stats.binomtest(k, n, alternative).proportion_ci(confidence_level, method)",
            "mcnemar": "exact: binomtest(challenger_only, challenger_only + champion_only, 0.5, alternative).pvalue; share_lower_c: binomtest(..., alternative='greater').proportion_ci(c, 'exact').low",
            "balanced_accuracy": "sklearn.metrics.balanced_accuracy_score; recall_score(average=None) over the classes of y_true",
            "categorical": "chi2_contingency on [reference counts; current counts] over the reference's categories plus an unseen bucket, empty columns dropped",
            "missing_rate": "scipy.stats.fisher_exact on [[missing, present] reference; [missing, present] current], two-sided",
        },
        "normal_quantile": normal_quantiles(),
        "beta_quantile": beta_quantiles(),
        "binomial": binomial_tails(),
        "intervals": proportion_intervals(),
        "mcnemar": mcnemar_cases(),
        "balanced_accuracy": balanced_accuracy_cases(),
        "categorical": categorical_cases(),
        "missing_rate": missing_rate_cases(),
    }, sys.stdout)


if __name__ == "__main__":
    main()

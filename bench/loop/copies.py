"""How much of the every-N baselines' lead on the platform's covariate-shift streams is copies.

`bench/loop/platform.ts` makes its 30,000-row streams from small tables by resampling *with
replacement* (each copy with a little Gaussian noise) and, for the covariate shifts, ordering the
rows by a feature. Ordered that way, the copies of one original row sit close together: the rows a
baseline has just trained on are, in large part, noisy copies of the originals it is about to
score. A schedule that retrains often on the newest rows is paid for that, not for following the
shift.

This script rebuilds the three streams by the same recipe (its own seeded generator, so not the
identical rows) and scores scikit-learn's forest (30 trees, depth 10, as the loop benchmark's)
prequentially with three schedules: every 1,000 rows on the newest 1,000, every 5,000 on the
newest 5,000, every 1,000 on the newest 20,000. Each is scored twice: as is, and with the training
rows that are copies of an original in the scored block left out (what a stream of distinct rows
would give). The gap is what the copies are worth.

    /usr/bin/python3 bench/loop/copies.py        (about 5 minutes on one core)

A reference for reading the platform benchmark's figures, never used at run time.
"""

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.ensemble import RandomForestClassifier

ROWS = 30_000
SCHEDULES = [(1000, 1000), (5000, 5000), (1000, 20_000)]


def stream(table, seed, noise, key):
    """`ROWS` rows drawn with replacement, noise × each feature's spread, ordered by `key`."""
    X, y = table.data, table.target
    rng = np.random.default_rng(seed)
    original = rng.integers(0, len(y), ROWS)
    spread = X.max(0) - X.min(0)
    spread[spread == 0] = 1
    rows = X[original] + rng.normal(size=(ROWS, X.shape[1])) * noise * spread
    order = np.argsort(key(rows), kind="stable")
    return rows[order], y[original][order], original[order]


def prequential(X, y, original, every, window, distinct):
    correct = total = 0
    for start in range(every, len(y), every):
        train = np.arange(max(0, start - window), start)
        test = np.arange(start, min(len(y), start + every))
        if distinct:
            train = train[~np.isin(original[train], original[test])]
        if len(np.unique(y[train])) < 2:
            continue
        forest = RandomForestClassifier(n_estimators=30, max_depth=10, random_state=42, n_jobs=1)
        forest.fit(X[train], y[train])
        correct += int((forest.predict(X[test]) == y[test]).sum())
        total += len(test)
    return correct / total


def main():
    digits, cancer = load_digits(), load_breast_cancer()
    radius = list(cancer.feature_names).index("mean radius")
    streams = [
        ("digits-ink", digits, 1, 1 / 16, lambda r: r.sum(1)),
        ("digits-pixel", digits, 1, 1 / 16, lambda r: 100 * r[:, 36] + r[:, 27]),
        ("cancer-radius", cancer, 3, 0.02, lambda r: r[:, radius]),
    ]
    print("stream         schedule                     as streamed  distinct rows  copies worth")
    for name, table, seed, noise, key in streams:
        X, y, original = stream(table, seed, noise, key)
        for every, window in SCHEDULES:
            kept = prequential(X, y, original, every, window, False)
            distinct = prequential(X, y, original, every, window, True)
            label = f"every {every:,} on newest {window:,}"
            print(f"{name:14s} {label:28s} {kept:11.3f}  {distinct:13.3f}  {kept - distinct:+12.3f}", flush=True)


if __name__ == "__main__":
    main()

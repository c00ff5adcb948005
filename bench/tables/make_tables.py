#!/usr/bin/python3
"""Tables "as people have them" from scikit-learn's bundled data (no download), for
bench/tables/platform.ts, and a careful scikit-learn pipeline's accuracy on each.

Run with /usr/bin/python3 (Debian's python3-sklearn). Writes <out>/<table>.train.csv,
<out>/<table>.test.csv and <out>/reference.json. Every transformation is seeded (SEED below):

  medical   breast_cancer: classes "malignant"/"benign"; 15 % of the cells of 10 seeded columns
            written "NA" (missing completely at random)
  survey    wine: every column answered "y"/"n" (above/below its median), 10 % of the answers
            left empty; classes "class_0".."class_2"
  letters   digits: classes "a".."j"; 8 seeded columns turned into words ("none", "low",
            "mid", "high" by value), 5 % of all cells "?"
  flowers   iris: classes "setosa", "versicolor", "virginica", as bundled

Split: stratified, 70 % train (the rows the platform ingests, in a seeded shuffled order) and
30 % test. The reference ("careful" pipeline): median imputation with a missing indicator for
numeric columns, most-frequent imputation + one-hot for text columns, RandomForestClassifier
(100 trees) with max_depth in {None, 10, 20} and max_features in {"sqrt", 0.5} chosen by 3-fold
cross-validation on the training rows (GridSearchCV), then scored once on the test rows.
"""
import csv
import json
import sys
import time

import numpy as np
from sklearn import datasets
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

SEED = 20261204


def medical(rng):
    d = datasets.load_breast_cancer()
    x = d.data.astype(object)
    cols = rng.choice(x.shape[1], 10, replace=False)
    for c in cols:
        x[rng.random(x.shape[0]) < 0.15, c] = "NA"
    return [n.replace(" ", "_") for n in d.feature_names], x, d.target_names[d.target]


def survey(rng):
    d = datasets.load_wine()
    med = np.median(d.data, axis=0)
    x = np.where(d.data > med, "y", "n").astype(object)
    x[rng.random(x.shape) < 0.10] = ""
    return [n.replace("/", "_") for n in d.feature_names], x, np.array([f"class_{k}" for k in d.target])


def letters(rng):
    d = datasets.load_digits()
    x = d.data.astype(object)
    for c in rng.choice(x.shape[1], 8, replace=False):
        v = d.data[:, c]
        x[:, c] = np.select([v == 0, v < 6, v < 12], ["none", "low", "mid"], "high")
    x[rng.random(x.shape) < 0.05] = "?"
    return [f"pixel_{i}" for i in range(x.shape[1])], x, np.array(list("abcdefghij"))[d.target]


def flowers(rng):
    d = datasets.load_iris()
    return [n.replace(" (cm)", "").replace(" ", "_") for n in d.feature_names], d.data.astype(object), d.target_names[d.target]


def reference(names, x_train, y_train, x_test, y_test):
    missing = {"NA", "", "?"}
    frame = lambda x: [[None if (isinstance(v, str) and v in missing) else v for v in row] for row in x]
    xtr, xte = np.array(frame(x_train), dtype=object), np.array(frame(x_test), dtype=object)
    text = [j for j in range(xtr.shape[1]) if any(isinstance(v, str) for v in xtr[:, j])]
    numeric = [j for j in range(xtr.shape[1]) if j not in text]
    prep = ColumnTransformer(
        [
            ("num", SimpleImputer(strategy="median", add_indicator=True), numeric),
            ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")), text),
        ]
    )
    to_float = lambda x: np.array([[np.nan if v is None else v for v in row] for row in x], dtype=object)
    pipe = make_pipeline(prep, RandomForestClassifier(n_estimators=100, random_state=0))
    grid = GridSearchCV(pipe, {"randomforestclassifier__max_depth": [None, 10, 20], "randomforestclassifier__max_features": ["sqrt", 0.5]}, cv=3, n_jobs=2)
    started = time.time()
    xtr_f, xte_f = to_float(xtr), to_float(xte)
    for j in numeric:
        xtr_f[:, j] = xtr_f[:, j].astype(float)
        xte_f[:, j] = xte_f[:, j].astype(float)
    grid.fit(xtr_f, y_train)
    return {"accuracy": float((grid.predict(xte_f) == y_test).mean()), "params": {k.split("__")[1]: v for k, v in grid.best_params_.items()}, "seconds": time.time() - started}


def main(out):
    result = {}
    for name, make in [("medical", medical), ("survey", survey), ("letters", letters), ("flowers", flowers)]:
        rng = np.random.default_rng(SEED)
        names, x, y = make(rng)
        idx = np.arange(len(y))
        train, test = train_test_split(idx, test_size=0.3, stratify=y, random_state=SEED % 2**31)
        train = rng.permutation(train)
        for part, rows in [("train", train), ("test", test)]:
            with open(f"{out}/{name}.{part}.csv", "w", newline="") as f:
                w = csv.writer(f)
                w.writerow([*names, "class"])
                for i in rows:
                    w.writerow([*x[i], y[i]])
        result[name] = {"rows": len(y), "train": len(train), "test": len(test), "classes": len(set(y)), **reference(names, x[train], y[train], x[test], y[test])}
        print(f"{name}: reference accuracy {result[name]['accuracy']:.3f} {result[name]['params']}", file=sys.stderr)
    with open(f"{out}/reference.json", "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])

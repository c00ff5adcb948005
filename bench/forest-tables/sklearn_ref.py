#!/usr/bin/python3
"""scikit-learn side of bench/tables/run.ts (run with /usr/bin/python3, which has apt's
python3-sklearn). Two modes:

  export OUT   builds every benchmark table from scikit-learn's bundled files (no download),
               applies the seeded transformations below, draws the train/test splits and writes
               them (matrices with NaN as null, categorical masks, splits) as one JSON file, from
               which run.ts trains ours, so both sides use exactly the same rows
  score OUT    reads that file, fits the two references on every split and prints their
               accuracies as one JSON line (run.ts runs it while it trains ours)

Tables: iris, wine, breast_cancer, digits (classification as bundled) and diabetes (a regression
table; the label is "target above its median").

Scenarios (each seeded by table and scenario; the transformed table is the same for every split):
  clean       the table as bundled
  mcar10      every cell missing (NaN) independently with probability 0.10
  mcar30      ... with probability 0.30
  cat         half the columns (a seeded choice, ceil(F/2)) turned categorical: quantile-binned
              into at most 8 bins, each bin given a seeded shuffled code, so the code order
              carries no information
  cat+mcar10  cat, then mcar10
  mnar        missing not at random: on a seeded half of the columns a cell of a row of class y
              is missing with probability 0.05 + 0.35 * y / (K - 1), so missingness tells the class

References, on the same splits (stratified 70 / 30, --splits of them per table, the same for
every scenario of the table):
  rf   RandomForestClassifier(n_estimators=100, random_state=split) after SimpleImputer(median)
       on the numeric columns and SimpleImputer(most_frequent) + OneHotEncoder(handle_unknown=
       'ignore') on the categorical ones
  hgb  HistGradientBoostingClassifier(random_state=split): native NaN handling, and
       categorical_features = the categorical columns
"""
import argparse
import json
import time

import numpy as np
import sklearn
from sklearn import datasets
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

TABLES = ["iris", "wine", "breast_cancer", "digits", "diabetes"]
SCENARIOS = ["clean", "mcar10", "mcar30", "cat", "cat+mcar10", "mnar"]


def load(name):
    if name == "diabetes":
        x, y = datasets.load_diabetes(return_X_y=True)
        return x.astype(float), (y > np.median(y)).astype(int)
    x, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    return x.astype(float), y.astype(int)


def half_of_columns(n_features, rng):
    return np.sort(rng.choice(n_features, size=(n_features + 1) // 2, replace=False))


def to_categorical(x, rng, bins=8):
    x = x.copy()
    categorical = np.zeros(x.shape[1], dtype=bool)
    for f in half_of_columns(x.shape[1], rng):
        edges = np.unique(np.quantile(x[:, f], np.linspace(0, 1, bins + 1)[1:-1]))
        codes = rng.permutation(len(edges) + 1)
        x[:, f] = codes[np.searchsorted(edges, x[:, f], side="right")]
        categorical[f] = True
    return x, categorical


def mcar(x, rng, rate):
    x = x.copy()
    x[rng.random(x.shape) < rate] = np.nan
    return x


def mnar(x, y, rng):
    x = x.copy()
    columns = half_of_columns(x.shape[1], rng)
    rate = 0.05 + 0.35 * y / (y.max())
    for f in columns:
        x[rng.random(len(y)) < rate, f] = np.nan
    return x


def transform(x, y, scenario, rng):
    """The scenario's table and its categorical-column mask."""
    categorical = np.zeros(x.shape[1], dtype=bool)
    if scenario.startswith("cat"):
        x, categorical = to_categorical(x, rng)
    if scenario == "mcar10" or scenario == "cat+mcar10":
        x = mcar(x, rng, 0.10)
    if scenario == "mcar30":
        x = mcar(x, rng, 0.30)
    if scenario == "mnar":
        x = mnar(x, y, rng)
    return x, categorical


def random_forest(categorical, seed, jobs):
    numeric = np.flatnonzero(~categorical)
    steps = [("numeric", SimpleImputer(strategy="median"), numeric)]
    if categorical.any():
        encode = make_pipeline(
            SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
        )
        steps.append(("categorical", encode, np.flatnonzero(categorical)))
    return make_pipeline(
        ColumnTransformer(steps),
        RandomForestClassifier(n_estimators=100, n_jobs=jobs, random_state=seed),
    )


def gradient_boosting(categorical, seed):
    features = categorical if categorical.any() else None
    return HistGradientBoostingClassifier(categorical_features=features, random_state=seed)


def score(model, x, y, train, test):
    model.fit(x[train], y[train])
    return float((model.predict(x[test]) == y[test]).mean())


def export_table(t, name, n_splits):
    x0, y = load(name)
    splitter = StratifiedShuffleSplit(n_splits=n_splits, test_size=0.3, random_state=1000 + t)
    splits = [{"train": a.tolist(), "test": b.tolist()} for a, b in splitter.split(x0, y)]
    scenarios = []
    for s, scenario in enumerate(SCENARIOS):
        x, categorical = transform(x0, y, scenario, np.random.default_rng(100 * t + s))
        rows = [[None if np.isnan(v) else float(v) for v in row] for row in x]
        scenarios.append({"name": scenario, "categorical": categorical.tolist(), "x": rows})
    return {
        "name": name,
        "nRows": len(y),
        "nFeatures": x0.shape[1],
        "nClasses": int(y.max() + 1),
        "y": y.tolist(),
        "splits": splits,
        "scenarios": scenarios,
    }


def score_table(table, jobs, timing):
    y = np.array(table["y"])
    result = []
    for scenario in table["scenarios"]:
        x = np.array([[np.nan if v is None else v for v in row] for row in scenario["x"]], dtype=float)
        categorical = np.array(scenario["categorical"], dtype=bool)
        scores = {"rf": [], "hgb": []}
        for i, split in enumerate(table["splits"]):
            train, test = np.array(split["train"]), np.array(split["test"])
            for name, model in (
                ("rf", random_forest(categorical, i, jobs)),
                ("hgb", gradient_boosting(categorical, i)),
            ):
                start = time.perf_counter()
                scores[name].append(score(model, x, y, train, test))
                timing[name] += time.perf_counter() - start
        result.append(scores)
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["export", "score"])
    parser.add_argument("path")
    parser.add_argument("--splits", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    if args.mode == "export":
        tables = [export_table(t, name, args.splits) for t, name in enumerate(TABLES)]
        with open(args.path, "w") as f:
            json.dump({"sklearn": sklearn.__version__, "scenarios": SCENARIOS, "tables": tables}, f)
        return
    with open(args.path) as f:
        tables = json.load(f)["tables"]
    timing = {"rf": 0.0, "hgb": 0.0}
    scores = [score_table(table, args.jobs, timing) for table in tables]
    print(json.dumps({"sklearn": sklearn.__version__, "scores": scores, "seconds": timing}))


if __name__ == "__main__":
    main()

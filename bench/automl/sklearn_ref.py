#!/usr/bin/python3
"""scikit-learn side of bench/automl/run.ts (run with /usr/bin/python3, which has apt's
python3-sklearn). Two modes:

  export OUT   writes every benchmark table as one JSON file (rows in serve order, NaN as null,
               categorical masks, the number of training rows, the change point if any); run.ts
               reads it, so both sides use exactly the same rows
  score OUT    reads that file and, for every table, tunes a RandomForestClassifier on the
               training rows by 3-fold GridSearchCV and scores it on the held-out rows; prints
               one JSON line

Every table is split in serve order: the first 70 % of the rows are the training rows, the last
30 % the held-out rows (for the drift tables: the newest rows, all after the change).

Bundled tables (scikit-learn's files, no download): iris, wine, breast_cancer, digits. Each is
served in --reps seeded orders (numpy default_rng(1000 * table + rep).permutation), as separate
runs; the benchmark averages them.

Generated tables (seeded, see covtype_like): 8,000 rows, 10 numeric and 2 categorical columns
(4 and 40 codes), 7 imbalanced classes, 8 % of 4 numeric columns missing (MCAR), 8 % label noise:
  covtype-like          stationary, rows in random order                 seed 7
  covtype-like+shift    from row 4,400 elevation is drawn from a higher  seed 8
                        distribution (covariate shift, same rule)
  covtype-like+concept  from row 4,400 the soil types' effect on the     seed 9
                        class is drawn anew (the rule changes)

Reference: make_pipeline(ColumnTransformer(SimpleImputer(median) on numeric columns;
SimpleImputer(most_frequent) + OneHotEncoder(handle_unknown='ignore') on categorical ones),
RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=--jobs)), with max_depth in
{5, 10, 20, None} and max_features in {'sqrt', 'log2', 0.5, 1.0} chosen by GridSearchCV(cv=3)
(stratified folds, accuracy) on the training rows, then refit on all of them. Prints the held-out
accuracy and balanced accuracy.
"""
import argparse
import json
import time

import numpy as np
import sklearn
from sklearn import datasets
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

BUNDLED = ["iris", "wine", "breast_cancer", "digits"]
TRAIN_SHARE = 0.7
GRID = {
    "randomforestclassifier__max_depth": [5, 10, 20, None],
    "randomforestclassifier__max_features": ["sqrt", "log2", 0.5, 1.0],
}
CLASS_SHARES = [0.30, 0.40, 0.10, 0.04, 0.05, 0.05, 0.06]


def covtype_like(n, seed, drift=None, change_at=None):
    """A table shaped like forest cover type: the class is a band of an "effective elevation"
    that mixes elevation, the soil type's and the wilderness area's effects, slope and distance to
    water; bands cut at quantiles so the classes have CLASS_SHARES."""
    rng = np.random.default_rng(seed)
    elevation = rng.normal(2900, 280, n)
    if drift == "shift":
        elevation[change_at:] = rng.normal(3050, 220, n - change_at)
    aspect = rng.uniform(0, 360, n)
    slope = rng.gamma(2.0, 7.0, n)
    h_hydro = rng.gamma(2.0, 130, n)
    v_hydro = rng.normal(45, 55, n)
    h_road = rng.gamma(2.0, 1200, n)
    hill9 = rng.normal(212, 27, n)
    hill12 = rng.normal(223, 20, n)
    hill3 = rng.normal(142, 38, n)
    h_fire = rng.gamma(2.0, 1000, n)
    wilderness = rng.choice(4, n, p=[0.45, 0.05, 0.44, 0.06])
    soil_p = 1.0 / np.arange(1, 41) ** 0.9
    soil = rng.choice(40, n, p=soil_p / soil_p.sum())
    soil_effect = rng.normal(0, 150, 40)
    wild_effect = np.array([0.0, -220.0, 90.0, -160.0])
    effect = soil_effect[soil]
    if drift == "concept":
        effect[change_at:] = rng.normal(0, 150, 40)[soil[change_at:]]
    score = (
        elevation
        + effect
        + wild_effect[wilderness]
        - 4.0 * slope
        - 0.25 * h_hydro
        + 40 * np.sin(np.radians(aspect))
        + 0.02 * h_road
    )
    reference = score[:change_at] if change_at else score
    cuts = np.quantile(reference, np.cumsum(CLASS_SHARES)[:-1])
    band = np.searchsorted(cuts, score)
    # The bands ordered by elevation are not the class ids (as in covtype).
    y = np.array([2, 5, 0, 1, 6, 4, 3])[band]
    noisy = rng.random(n) < 0.08
    y[noisy] = rng.integers(0, 7, noisy.sum())
    x = np.column_stack(
        [elevation, aspect, slope, h_hydro, v_hydro, h_road, hill9, hill12, hill3, h_fire, wilderness, soil]
    ).astype(float)
    for f in (6, 7, 8, 9):
        x[rng.random(n) < 0.08, f] = np.nan
    categorical = np.array([False] * 10 + [True, True])
    return x, y.astype(int), categorical


def generated_tables():
    n, change = 8000, 4400
    specs = [
        ("covtype-like", 7, None, "stationary, random order"),
        ("covtype-like+shift", 8, "shift", f"covariate shift at row {change} (elevation moves, same rule)"),
        ("covtype-like+concept", 9, "concept", f"concept change at row {change} (soil effects redrawn)"),
    ]
    tables = []
    for name, seed, drift, description in specs:
        x, y, categorical = covtype_like(n, seed, drift, change if drift else None)
        tables.append(table_json(name, seed, 0, x, y, categorical, change if drift else None, description))
    return tables


def table_json(name, seed, rep, x, y, categorical, change_at, description):
    return {
        "name": name,
        "seed": seed,
        "rep": rep,
        "description": description,
        "nFeatures": x.shape[1],
        "categorical": categorical.tolist(),
        "x": [[None if np.isnan(v) else float(v) for v in row] for row in x],
        "y": y.tolist(),
        "nTrain": int(round(TRAIN_SHARE * len(y))),
        "changeAt": change_at,
    }


def bundled_tables(reps):
    tables = []
    for t, name in enumerate(BUNDLED):
        x, y = getattr(datasets, f"load_{name}")(return_X_y=True)
        for rep in range(reps):
            seed = 1000 * t + rep
            order = np.random.default_rng(seed).permutation(len(y))
            categorical = np.zeros(x.shape[1], dtype=bool)
            description = f"bundled, served in a seeded random order"
            tables.append(table_json(name, seed, rep, x[order].astype(float), y[order], categorical, None, description))
    return tables


def reference_model(categorical, jobs):
    numeric = np.flatnonzero(~categorical)
    steps = [("numeric", SimpleImputer(strategy="median"), numeric)]
    if categorical.any():
        encode = make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore"))
        steps.append(("categorical", encode, np.flatnonzero(categorical)))
    forest = RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=jobs)
    return GridSearchCV(make_pipeline(ColumnTransformer(steps), forest), GRID, cv=3)


def score_table(table, jobs):
    x = np.array([[np.nan if v is None else v for v in row] for row in table["x"]], dtype=float)
    y = np.array(table["y"])
    n_train = table["nTrain"]
    model = reference_model(np.array(table["categorical"], dtype=bool), jobs)
    start = time.perf_counter()
    model.fit(x[:n_train], y[:n_train])
    seconds = time.perf_counter() - start
    best = {k.split("__")[1]: v for k, v in model.best_params_.items()}
    predicted = model.predict(x[n_train:])
    accuracy = float((predicted == y[n_train:]).mean())
    balanced = float(balanced_accuracy_score(y[n_train:], predicted))
    return {"accuracy": accuracy, "balancedAccuracy": balanced, "best": best, "seconds": seconds}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["export", "score"])
    parser.add_argument("path")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    if args.mode == "export":
        tables = bundled_tables(args.reps) + generated_tables()
        if args.only:
            tables = [t for t in tables if t["name"] in args.only.split(",")]
        with open(args.path, "w") as f:
            json.dump({"sklearn": sklearn.__version__, "tables": tables}, f)
        return
    with open(args.path) as f:
        tables = json.load(f)["tables"]
    results = [score_table(table, args.jobs) for table in tables]
    print(json.dumps({"sklearn": sklearn.__version__, "results": results}))


if __name__ == "__main__":
    main()

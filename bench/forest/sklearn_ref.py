#!/usr/bin/python3
"""scikit-learn reference for bench/forest/run.ts (run with /usr/bin/python3, which has apt's
python3-sklearn). Reads the CSV the TypeScript side wrote and prints JSON lines of timings.

  serve:   fit RandomForestClassifier on the rows with holdout == 0 and print one JSON line (fit
           time, hold-out accuracy, single-row predict_proba latency, importances); then, for each
           line "predict" on stdin, time one predict_proba on the whole hold-out and print
           {"predictProbaSeconds": ...}; stop at "quit" or end of input. run.ts alternates these
           calls with its own timings, so both sides are measured under the same background load.
  scaling: fit on the first N rows of the CSV for each N in --rows; print one JSON line.
"""
import argparse
import json
import sys
import time

import numpy as np
import sklearn
from sklearn.ensemble import RandomForestClassifier


def load(path):
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    return data


def forest(args, seed):
    return RandomForestClassifier(
        n_estimators=args.trees, max_depth=args.depth, n_jobs=args.jobs, random_state=seed
    )


def emit(value):
    print(json.dumps(value), flush=True)


def serve_mode(args):
    data = load(args.csv)
    n_features = data.shape[1] - 2
    train = data[data[:, -1] == 0]
    holdout = data[data[:, -1] == 1]
    x_train, y_train = train[:, :n_features], train[:, n_features].astype(int)
    x_hold, y_hold = holdout[:, :n_features], holdout[:, n_features].astype(int)

    model = forest(args, args.seed)
    start = time.perf_counter()
    model.fit(x_train, y_train)
    fit_seconds = time.perf_counter() - start
    accuracy = float((model.predict_proba(x_hold).argmax(axis=1) == y_hold).mean())

    single = []
    for i in range(args.single_rows):
        row = x_hold[i : i + 1]
        start = time.perf_counter()
        model.predict_proba(row)
        single.append(time.perf_counter() - start)
    single.sort()
    emit(
        {
            "sklearn": sklearn.__version__,
            "trainRows": int(len(y_train)),
            "holdoutRows": int(len(y_hold)),
            "fitSeconds": fit_seconds,
            "singleRowP50Seconds": single[len(single) // 2],
            "singleRowP99Seconds": single[min(len(single) - 1, int(len(single) * 0.99))],
            "accuracy": accuracy,
            "nodes": int(sum(e.tree_.node_count for e in model.estimators_)),
            "featureImportances": [float(v) for v in model.feature_importances_],
        }
    )
    for line in sys.stdin:
        command = line.strip()
        if command == "quit":
            break
        if command == "predict":
            start = time.perf_counter()
            model.predict_proba(x_hold)
            emit({"predictProbaSeconds": time.perf_counter() - start})


def scaling_mode(args):
    data = load(args.csv)
    n_features = data.shape[1] - 2
    result = {}
    for n in args.rows:
        x, y = data[:n, :n_features], data[:n, n_features].astype(int)
        model = forest(args, args.seed)
        start = time.perf_counter()
        model.fit(x, y)
        result[str(n)] = time.perf_counter() - start
    emit({"sklearn": sklearn.__version__, "fitSeconds": result})


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("csv")
    parser.add_argument("--mode", choices=["serve", "scaling"], default="serve")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--trees", type=int, default=100)
    parser.add_argument("--depth", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--single-rows", type=int, default=200)
    parser.add_argument("--rows", type=int, nargs="*", default=[])
    args = parser.parse_args()
    if args.mode == "serve":
        serve_mode(args)
    else:
        scaling_mode(args)

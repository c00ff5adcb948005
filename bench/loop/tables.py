#!/usr/bin/python3
"""Exports scikit-learn's bundled tables (no download) for the loop benchmark, once, to the
gitignored cache bench/loop/out/tables/<name>.json. Run with /usr/bin/python3 (Debian's
python3-sklearn); `pnpm bench:loop` runs it when a file is missing.

The export is the table as shipped, in its original row order; every stream built from it
(ordered by a feature, classes permuted at a point, recurring, gradual) is a seeded recipe in
bench/loop/streams.ts (createRng(seed, 50)), so the rows of every run are reproducible.
"""
import json
import os
import sys

from sklearn import datasets

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out", "tables")


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, load in [("iris", datasets.load_iris), ("wine", datasets.load_wine),
                       ("breast_cancer", datasets.load_breast_cancer), ("digits", datasets.load_digits)]:
        data = load()
        path = os.path.join(OUT, name + ".json")
        with open(path, "w") as f:
            json.dump({"name": name, "feature_names": [str(n) for n in data.feature_names],
                       "features": data.data.tolist(), "labels": data.target.tolist()}, f)
        sys.stderr.write(f"{path}: {data.data.shape[0]} rows, {data.data.shape[1]} features\n")


if __name__ == "__main__":
    main()

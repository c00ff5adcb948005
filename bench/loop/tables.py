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
    seattle_weather()


def seattle_weather():
    """Seattle's daily weather 2012-2015 (1,461 days, the Vega data sets as Debian ships them in
    python3-vega-datasets), in date order: precipitation, temp_max, temp_min, wind -> weather
    (drizzle, rain, sun, snow, fog, indexed in order of first appearance). A real stream in its
    real order: seasons move the features, and the labelling moves: wet days are "rain" in 2012
    and mostly "fog" from mid-2013 on. Skipped (with a note) when the package is not installed."""
    try:
        import vega_datasets
    except ImportError:
        sys.stderr.write("python3-vega-datasets is not installed: no seattle_weather table\n")
        return
    import csv
    src = os.path.join(os.path.dirname(vega_datasets.__file__), "_data", "seattle-weather.csv")
    with open(src) as f:
        rows = sorted(csv.DictReader(f), key=lambda r: r["date"])
    names = ["precipitation", "temp_max", "temp_min", "wind"]
    classes = []
    for r in rows:
        if r["weather"] not in classes:
            classes.append(r["weather"])
    path = os.path.join(OUT, "seattle_weather.json")
    with open(path, "w") as f:
        json.dump({"name": "seattle_weather", "feature_names": names, "class_names": classes,
                   "features": [[float(r[n]) for n in names] for r in rows],
                   "labels": [classes.index(r["weather"]) for r in rows]}, f)
    sys.stderr.write(f"{path}: {len(rows)} rows, {len(names)} features\n")


if __name__ == "__main__":
    main()

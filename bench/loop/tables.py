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
    for city in ("seattle", "sf"):
        hourly_temps(city)
    fashion_pooled()


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


def hourly_temps(city):
    """A city's hourly temperatures of 2010 (Seattle, San Francisco; python3-vega-datasets), in
    time order, as a stream built the way the electricity-price stream of the literature is: the
    label says whether the temperature at hour t is above the mean of the 24 hours before it
    ("up" = 1), the features are what is known at t: hour of day, day of week, the temperature,
    its change over the last hour and over the last 24 hours. The hidden level (the season, the
    weather of the week) moves the concept all year: a real gradual drift with recurring days.
    The first 24 hours (no full day before them) are dropped: 8,735 rows."""
    try:
        import vega_datasets
    except ImportError:
        sys.stderr.write(f"python3-vega-datasets is not installed: no {city}_temps table\n")
        return
    import csv
    import datetime
    src = os.path.join(os.path.dirname(vega_datasets.__file__), "_data", f"{city}-temps.csv")
    with open(src) as f:
        series = sorted((datetime.datetime.strptime(r["date"][:16], "%Y/%m/%d %H:%M"), float(r["temp"]))
                        for r in csv.DictReader(f))
    temps = [t for _, t in series]
    features, labels = [], []
    for i in range(24, len(series)):
        when, temp = series[i]
        features.append([when.hour, when.weekday(), temp, temp - temps[i - 1], temp - temps[i - 24]])
        labels.append(int(temp > sum(temps[i - 24:i]) / 24))
    names = ["hour", "weekday", "temp", "change_1h", "change_24h"]
    path = os.path.join(OUT, f"{city}_temps.json")
    with open(path, "w") as f:
        json.dump({"name": f"{city}_temps", "feature_names": names, "class_names": ["down", "up"],
                   "features": features, "labels": labels}, f)
    sys.stderr.write(f"{path}: {len(labels)} rows, {len(names)} features\n")


def fashion_pooled():
    """Fashion-MNIST's test set (10,000 images of 28 x 28 pixels, 10 classes of clothing; Debian's
    dataset-fashion-mnist), each image mean-pooled over 4 x 4 blocks to 7 x 7 = 49 features on
    the 0-255 scale, in the file's order. Real rows that were not used while the retraining
    policy was built: a held-out table for its streams. Skipped (with a note) without the package."""
    import gzip
    base = "/usr/share/datasets/fashion-mnist/t10k-"
    if not os.path.exists(base + "images-idx3-ubyte.gz"):
        sys.stderr.write("dataset-fashion-mnist is not installed: no fashion table\n")
        return
    with gzip.open(base + "images-idx3-ubyte.gz") as f:
        raw = f.read()
    with gzip.open(base + "labels-idx1-ubyte.gz") as f:
        labels = list(f.read()[8:])
    n = len(labels)
    features = []
    for k in range(n):
        img = raw[16 + k * 784:16 + (k + 1) * 784]
        features.append([sum(img[(4 * by + y) * 28 + 4 * bx + x] for y in range(4) for x in range(4)) / 16
                         for by in range(7) for bx in range(7)])
    names = [f"block_{by}_{bx}" for by in range(7) for bx in range(7)]
    classes = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag",
               "ankle boot"]
    path = os.path.join(OUT, "fashion.json")
    with open(path, "w") as f:
        json.dump({"name": "fashion", "feature_names": names, "class_names": classes,
                   "features": features, "labels": labels}, f)
    sys.stderr.write(f"{path}: {n} rows, {len(names)} features\n")


if __name__ == "__main__":
    main()

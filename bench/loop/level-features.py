"""Why the retrain leaves a moved feature out (bench/loop/README, "What changed (93 -> 95 pass)"):
scikit-learn's forest trained on the first 500 hours of each hourly table (tables.py), scored
on the rest in order, with every feature and without the temperature.

    /usr/bin/python3 bench/loop/level-features.py
"""
import json
import os

import numpy as np
from sklearn.ensemble import RandomForestClassifier

TABLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out", "tables")

for city in ("seattle", "sf"):
    with open(os.path.join(TABLES, f"{city}_temps.json")) as f:
        data = json.load(f)
    X, y = np.array(data["features"]), np.array(data["labels"])
    temp = data["feature_names"].index("temp")
    for label, cols in (("every feature", list(range(X.shape[1]))),
                        ("without temp", [j for j in range(X.shape[1]) if j != temp])):
        model = RandomForestClassifier(50, random_state=0).fit(X[:500][:, cols], y[:500])
        accuracy = (model.predict(X[500:][:, cols]) == y[500:]).mean()
        print(f"{city}_temps  {label:14s} never retrained: {accuracy:.4f}")

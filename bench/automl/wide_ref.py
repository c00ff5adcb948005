"""A wide real table for the model search: Fashion-MNIST (28 x 28 grey pixels, 784 columns, 10
classes of clothing), as Debian's dataset-fashion-mnist installs it under
/usr/share/datasets/fashion-mnist (`apt install dataset-fashion-mnist`).

    /usr/bin/python3 bench/automl/wide_ref.py [n_train] [n_test] OUT.json

Writes the first n_train rows of the training file in their order (default 10,000) and the first
n_test rows of the test file (default 2,000), with scikit-learn's RandomForestClassifier (100
trees; max_features sqrt, its default, and log2) trained on the same rows and scored on the same
test rows, mean of 3 seeds. Exits 3 when the data set is not installed.
"""
import gzip
import json
import os
import sys

import numpy as np
from sklearn.ensemble import RandomForestClassifier

ROOT = '/usr/share/datasets/fashion-mnist/'


def images(name):
    with gzip.open(ROOT + name) as f:
        return np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)


def labels(name):
    with gzip.open(ROOT + name) as f:
        return np.frombuffer(f.read(), np.uint8, offset=8)


def main():
    n_train = int(sys.argv[1]) if len(sys.argv) > 2 else 10_000
    n_test = int(sys.argv[2]) if len(sys.argv) > 3 else 2_000
    out = sys.argv[-1]
    if not os.path.exists(ROOT + 'train-images-idx3-ubyte.gz'):
        print(f'{ROOT} not found: apt install dataset-fashion-mnist', file=sys.stderr)
        sys.exit(3)
    x, y = images('train-images-idx3-ubyte.gz')[:n_train], labels('train-labels-idx1-ubyte.gz')[:n_train]
    xt, yt = images('t10k-images-idx3-ubyte.gz')[:n_test], labels('t10k-labels-idx1-ubyte.gz')[:n_test]
    reference = {}
    for features in ('sqrt', 'log2'):
        scores = []
        for seed in range(3):
            forest = RandomForestClassifier(n_estimators=100, max_features=features, random_state=seed, n_jobs=2)
            scores.append(float((forest.fit(x, y).predict(xt) == yt).mean()))
        reference[features] = sum(scores) / len(scores)
    with open(out, 'w') as f:
        json.dump({'x': x.tolist(), 'y': y.tolist(), 'xTest': xt.tolist(), 'yTest': yt.tolist(),
                   'sklearn': reference}, f)


main()

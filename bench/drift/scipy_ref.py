"""Reference timing for bench/drift/run.ts: the same drift check done with scipy and numpy.

Reads the arrays run.ts wrote (bench/drift/out/*.f64, row-major float64) and, for each KS method,
times a full check of every feature: scipy.stats.ks_2samp + scipy.stats.wasserstein_distance +
a numpy PSI on the reference's decile bins. Prints one JSON object on stdout.

Run with the system interpreter that has scipy: /usr/bin/python3 bench/drift/scipy_ref.py OUT_DIR REPS

With REPS = serve, it prints the values (one JSON line) and then, for each line "METHOD" on stdin,
times one full check with that KS method and prints {"ms": ...}; run.ts alternates these timings
with its own, so both sides are measured under the same background load. "quit" ends it.
"""

import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import scipy
from scipy import stats


def psi_numpy(ref, cur, bins=10, eps=1e-4):
    """PSI as usually written with numpy: decile edges of the reference, open outer bins, 1e-4 floor."""
    edges = np.unique(np.quantile(ref, np.arange(1, bins) / bins))
    ref_counts = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=len(edges) + 1)
    cur_counts = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=len(edges) + 1)
    p_ref = np.maximum(ref_counts / len(ref), eps)
    p_cur = np.maximum(cur_counts / len(cur), eps)
    return float(np.sum((p_cur - p_ref) * np.log(p_cur / p_ref)))


def check(ref_columns, cur_columns, method):
    out = []
    for a, b in zip(ref_columns, cur_columns):
        ks = stats.ks_2samp(a, b, method=method)
        w = stats.wasserstein_distance(a, b)
        p = psi_numpy(a, b)
        out.append({"statistic": float(ks.statistic), "pvalue": float(ks.pvalue), "wasserstein": float(w), "psi": p})
    return out


def serve(ref_columns, cur_columns, methods):
    values = {method: check(ref_columns, cur_columns, method) for method in methods}  # also warms up
    print(json.dumps({"scipy": scipy.__version__, "numpy": np.__version__, "values": values}), flush=True)
    for line in sys.stdin:
        method = line.strip()
        if method == "quit":
            break
        start = time.perf_counter()
        check(ref_columns, cur_columns, method)
        print(json.dumps({"ms": (time.perf_counter() - start) * 1000}), flush=True)


def main():
    out_dir = Path(sys.argv[1])
    meta = json.loads((out_dir / "meta.json").read_text())
    n_features = meta["features"]
    ref = np.fromfile(out_dir / "reference.f64", dtype="<f8").reshape(meta["reference_rows"], n_features)
    cur = np.fromfile(out_dir / "current.f64", dtype="<f8").reshape(meta["current_rows"], n_features)
    # Contiguous columns prepared outside the timed region (generous to scipy).
    ref_columns = [np.ascontiguousarray(ref[:, f]) for f in range(n_features)]
    cur_columns = [np.ascontiguousarray(cur[:, f]) for f in range(n_features)]
    if sys.argv[2] == "serve":
        serve(ref_columns, cur_columns, meta["methods"])
        return
    reps = int(sys.argv[2])

    result = {"scipy": scipy.__version__, "numpy": np.__version__, "variants": {}}
    for method in meta["methods"]:
        values = check(ref_columns, cur_columns, method)  # warm-up, and the values to compare with
        times = []
        for _ in range(reps):
            start = time.perf_counter()
            check(ref_columns, cur_columns, method)
            times.append((time.perf_counter() - start) * 1000)
        result["variants"][method] = {"median_ms": statistics.median(times), "times_ms": times, "values": values}
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()

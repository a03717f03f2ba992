#!/usr/bin/env python3
"""Run scikit-learn's Lloyd k-means on data exported by mlcluster's tests.

Usage: sklearn_kmeans.py DATA INIT ROWS COLS K MAX_ITER

DATA and INIT are raw little-endian float64 files (ROWS x COLS and K x COLS,
row-major), written by the Go side (sklearnFit in sklearn_test.go). The
script loads them once, then reads one thread count per line on stdin and
answers each with one JSON line on stdout: the wall-clock and CPU seconds of
KMeans(algorithm="lloyd", n_init=1, init=INIT, tol=0).fit(DATA) run with
that many threads (threadpoolctl limits OpenMP and BLAS), its iterations,
inertia and centroids. The Go side interleaves these fits with its own runs,
so both are measured under the same load. It exits at the end of stdin.
"""

import json
import sys
import time

import numpy as np
import sklearn
from sklearn.cluster import KMeans
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads
from threadpoolctl import threadpool_limits


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    data_path, init_path = sys.argv[1], sys.argv[2]
    rows, cols, k, max_iter = (int(a) for a in sys.argv[3:7])
    x = np.fromfile(data_path, dtype="<f8").reshape(rows, cols)
    init = np.fromfile(init_path, dtype="<f8").reshape(k, cols)
    print(json.dumps({"ready": True, "sklearn": sklearn.__version__}), flush=True)
    for line in sys.stdin:
        threads = int(line)
        with threadpool_limits(limits=threads):
            effective = _openmp_effective_n_threads()
            km = KMeans(n_clusters=k, init=init, n_init=1, max_iter=max_iter,
                        tol=0, algorithm="lloyd")
            cpu, wall = time.process_time(), time.perf_counter()
            km.fit(x)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(json.dumps({
            "threads": effective,
            "seconds": wall,
            "cpu_seconds": cpu,
            "iterations": int(km.n_iter_),
            "inertia": float(km.inertia_),
            "centroids": km.cluster_centers_.ravel().tolist(),
        }), flush=True)


if __name__ == "__main__":
    main()

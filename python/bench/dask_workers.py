"""pairkernel.dask on one worker process against two, side by side: the kernel matrix's blocks
(reduced on the workers, so that the figure is the kernels', not the transfer of the result),
the matrix-free product, and an interpolant evaluated at a dask array of points.

    python bench/dask_workers.py                       # 1 and 2 workers, one thread each
    python bench/dask_workers.py --workers 1 2 4 --n 12000
"""

import argparse
import os
import statistics
import time

import numpy as np

import dask.array as da
import distributed

import pairkernel
import pairkernel.dask

from bench import cpu_name  # noqa: E402


def timed(call, reps):
    call()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--chunks", type=int, default=2_500)
    parser.add_argument("--fit-n", type=int, default=2_000)
    parser.add_argument("--eval-points", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()

    rng = np.random.default_rng(10)
    points = rng.random((args.n, 3))
    x = rng.normal(size=args.n)
    y = rng.random((args.fit_n, 3))
    rbf = pairkernel.RBFInterpolator(y, np.sin(4 * y).sum(axis=1))
    at = da.from_array(rng.random((args.eval_points, 3)), chunks=(args.eval_points // 8, 3))

    jobs = {
        f"kernel matrix N = {args.n}, blocks of {args.chunks} (summed on the workers)": lambda: pairkernel.dask.kernel_matrix(points, args.chunks).sum().compute(),
        f"apply N = {args.n}, row blocks of {args.chunks}": lambda: pairkernel.dask.apply(points, x, args.chunks).compute(),
        f"RBFInterpolator (N = {args.fit_n}) at {args.eval_points} dask points, 8 blocks": lambda: rbf(at).compute(),
    }
    results = {}
    for workers in args.workers:
        with distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster, distributed.Client(cluster):
            for name, job in jobs.items():
                results.setdefault(name, {})[workers] = timed(job, args.reps)

    print(f"{cpu_name()}, {os.cpu_count()} CPUs; LocalCluster(threads_per_worker=1, processes=True); medians of {args.reps}")
    print()
    print("| job | " + " | ".join(f"{w} worker{'s' if w > 1 else ''}" for w in args.workers) + f" | speed-up {args.workers[0]} -> {args.workers[-1]} |")
    print("|---|" + "---|" * len(args.workers) + "---|")
    for name, by_workers in results.items():
        cells = " | ".join(f"{by_workers[w]:.2f} s" for w in args.workers)
        first, last = by_workers[args.workers[0]], by_workers[args.workers[-1]]
        print(f"| {name} | {cells} | {first / last:.2f}x |")


if __name__ == "__main__":
    main()

"""pairkernel against what a Python user would write instead, side by side in one run.

- the matrix at N = 3000: the article's numpy (one process) and multiprocessing versions,
  scipy's cdist + the cubic, and pairkernel into `out=` and into a new array;
- RBFInterpolator: the fit at N = 2000 and the evaluation at 10^5 points, scipy's against
  pairkernel's (3-D; scipy's default thin-plate spline, whose logarithm dominates, and the
  cubic).

Repetitions are interleaved round-robin so that the machine's noise hits every entry alike;
medians. Prints a markdown table of times and ratios (and --json writes them).

    python bench/bench.py
    python bench/bench.py --n 3000 --fit-n 2000 --eval-points 100000 --reps 5 --json out.json
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

import numpy as np

import pairkernel

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))
from article import article_multiprocessing, article_single  # noqa: E402


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def interleaved(entries, reps):
    """Median seconds of each entry, repetitions interleaved round-robin after a warm-up."""
    for call in entries.values():
        call()
    times = {name: [] for name in entries}
    for _ in range(reps):
        for name, call in entries.items():
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--fit-n", type=int, default=2000)
    parser.add_argument("--eval-points", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument(
        "--kernels", nargs="+", default=["thin_plate_spline", "cubic"],
        help="RBFInterpolator kernels (scipy's default first)",
    )
    parser.add_argument("--json", default=None)
    args = parser.parse_args()

    from scipy.interpolate import RBFInterpolator as ScipyRBF
    from scipy.spatial.distance import cdist

    processes = os.cpu_count()
    rng = np.random.default_rng(3000)
    nodes = rng.random((args.n, 3))
    out = np.empty((args.n, args.n))
    aligned = pairkernel.zeros((args.n, args.n))

    def scipy_cdist():
        r = cdist(nodes, nodes)
        return r * r * (r / 12 + 1 / 6)

    matrix = interleaved(
        {
            "numpy, the article's one process": lambda: article_single(nodes),
            f"numpy, the article's multiprocessing ({processes} processes)": lambda: article_multiprocessing(nodes, processes),
            "scipy cdist + cubic": scipy_cdist,
            "pairkernel.kernel_matrix, new array": lambda: pairkernel.kernel_matrix(nodes),
            "pairkernel.kernel_matrix, out= a numpy array": lambda: pairkernel.kernel_matrix(nodes, out=out),
            "pairkernel.kernel_matrix, out= pairkernel.zeros": lambda: pairkernel.kernel_matrix(nodes, out=aligned),
            "pairkernel.kernel_matrix accuracy='fast', new array": lambda: pairkernel.kernel_matrix(nodes, accuracy="fast"),
            "pairkernel.kernel_matrix accuracy='fast', out= a numpy array": lambda: pairkernel.kernel_matrix(nodes, out=out, accuracy="fast"),
            "pairkernel.kernel_matrix accuracy='fast', out= pairkernel.zeros": lambda: pairkernel.kernel_matrix(nodes, out=aligned, accuracy="fast"),
        },
        args.reps,
    )

    y = rng.random((args.fit_n, 3))
    d = np.sin(4 * y).sum(axis=1)
    x = rng.random((args.eval_points, 3))
    rbf = {}
    difference = {}
    for kernel in args.kernels:
        fitted = {
            "scipy": ScipyRBF(y, d, kernel=kernel),
            "pairkernel": pairkernel.RBFInterpolator(y, d, kernel=kernel),
        }
        difference[kernel] = float(
            np.abs(fitted["scipy"](x[:1000]) - fitted["pairkernel"](x[:1000])).max()
        )
        fits = interleaved(
            {
                "scipy": lambda: ScipyRBF(y, d, kernel=kernel),
                "pairkernel": lambda: pairkernel.RBFInterpolator(y, d, kernel=kernel),
            },
            args.reps,
        )
        evaluations = interleaved(
            {"scipy": lambda: fitted["scipy"](x), "pairkernel": lambda: fitted["pairkernel"](x)},
            max(1, args.reps // 2),
        )
        rbf[kernel] = {"fit": fits, "evaluation": evaluations}

    print(f"{cpu_name()}, {os.cpu_count()} CPUs, pairkernel's {pairkernel.simd_path()} path")
    print()
    base = matrix["numpy, the article's one process"]
    print(f"| N = {args.n} kernel matrix | median | vs the article's one process |")
    print("|---|---|---|")
    for name, t in matrix.items():
        print(f"| {name} | {t * 1e3:.1f} ms | {base / t:.1f}x |")
    print()
    print(f"| RBFInterpolator, 3-D | scipy | pairkernel | pairkernel's speed-up | largest difference |")
    print("|---|---|---|---|---|")
    for kernel, stages in rbf.items():
        for stage, label in [("fit", f"fit, N = {args.fit_n}"), ("evaluation", f"evaluation at {args.eval_points} points")]:
            s_t, p_t = stages[stage]["scipy"], stages[stage]["pairkernel"]
            print(f"| {kernel}: {label} | {s_t * 1e3:.1f} ms | {p_t * 1e3:.1f} ms | {s_t / p_t:.1f}x | {difference[kernel]:.1e} |")

    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {"cpu": cpu_name(), "cpus": os.cpu_count(), "simd": pairkernel.simd_path(),
                 "n": args.n, "fit_n": args.fit_n, "eval_points": args.eval_points,
                 "matrix_s": matrix, "rbf_s": rbf, "max_difference": difference},
                f, indent=1,
            )


if __name__ == "__main__":
    main()

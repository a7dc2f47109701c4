"""The seed article's comparison, with pairkernel added.

The article computed D[i][j] = r^3/12 + r^2/6 for N random points in the unit cube with numpy
in one process, then with `multiprocessing` and a shared `RawArray` (one worker process per
core) for about 2x on two cores. This runs both, as the article wrote them (ported to Python 3),
and pairkernel (into a new array, and into a reused one with `out=`), prints the times, the
speed-ups and the largest difference from the article's single-process result, and, with
matplotlib installed, draws the article's two figures with pairkernel added:
time against N, and speed-up over the single process against N.

    python examples/article.py                      # N = 500, 1000, 2000, 3000
    python examples/article.py --sizes 1000 4000 --figures /tmp/figs
"""

import argparse
import ctypes
import multiprocessing as mp
import os
import statistics
import time

import numpy as np

import pairkernel


def article_single(nodes):
    """The article's single-process numpy code."""
    p = nodes
    q = nodes.T
    Rx = p[:, 0:1] - q[0:1]
    Ry = p[:, 1:2] - q[1:2]
    Rz = p[:, 2:3] - q[2:3]
    L = np.sqrt(Rx * Rx + Ry * Ry + Rz * Rz)
    return L * L * L / 12 + L * L / 6


def _worker(shared, n, nodes, queue):
    D = np.frombuffer(shared, dtype=np.float64).reshape(n, n)
    q = nodes.T
    while True:
        job = queue.get()
        if job is None:
            queue.task_done()
            break
        i0, i1 = job
        p = nodes[i0:i1]
        Rx = p[:, 0:1] - q[0:1]
        Ry = p[:, 1:2] - q[1:2]
        Rz = p[:, 2:3] - q[2:3]
        L = np.sqrt(Rx * Rx + Ry * Ry + Rz * Rz)
        D[i0:i1] = L * L * L / 12 + L * L / 6
        queue.task_done()


def article_multiprocessing(nodes, processes):
    """The article's multiprocessing version: row blocks from a queue, one process per core,
    writing a shared RawArray."""
    n = nodes.shape[0]
    ctx = mp.get_context("fork")
    shared = ctx.RawArray(ctypes.c_double, n * n)
    queue = ctx.JoinableQueue()
    jobs = processes * 36
    bounds = np.linspace(0, n, jobs + 1).astype(int)
    for k in range(jobs):
        if bounds[k + 1] > bounds[k]:
            queue.put((int(bounds[k]), int(bounds[k + 1])))
    for _ in range(processes):
        queue.put(None)
    workers = [ctx.Process(target=_worker, args=(shared, n, nodes, queue)) for _ in range(processes)]
    for w in workers:
        w.start()
    queue.join()
    for w in workers:
        w.join()
    return np.frombuffer(shared, dtype=np.float64).reshape(n, n)


def median_time(call, reps):
    times = []
    result = None
    for _ in range(reps):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000, 3000])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--processes", type=int, default=os.cpu_count())
    parser.add_argument("--figures", default=None, help="directory for the two figures (PNG)")
    args = parser.parse_args()

    print(f"pairkernel {pairkernel.simd_path()} path, {os.cpu_count()} CPUs, "
          f"{args.processes} processes for the article's multiprocessing version")
    header = f"{'N':>6} {'numpy 1 proc':>13} {'numpy mp':>10} {'pairkernel':>11} {'pk out=':>9}"
    print(header + f" {'mp x':>6} {'pk x':>7} {'pk out= x':>10} {'max |diff|':>11}")
    rows = []
    for n in args.sizes:
        nodes = np.random.default_rng(12345 + n).random((n, 3))
        out = pairkernel.zeros((n, n))  # pairkernel's aligned memory: the fastest out=
        pairkernel.kernel_matrix(nodes, out=out)  # warm: threads started, pages faulted
        t_single, reference = median_time(lambda: article_single(nodes), args.reps)
        t_mp, d_mp = median_time(lambda: article_multiprocessing(nodes, args.processes), args.reps)
        t_pk, d_pk = median_time(lambda: pairkernel.kernel_matrix(nodes), args.reps)
        t_out, _ = median_time(lambda: pairkernel.kernel_matrix(nodes, out=out), args.reps)
        diff = max(np.abs(d_pk - reference).max(), np.abs(out - reference).max())
        assert np.array_equal(d_mp, reference)
        rows.append((n, t_single, t_mp, t_pk, t_out))
        print(f"{n:>6} {t_single * 1e3:>10.1f} ms {t_mp * 1e3:>7.1f} ms {t_pk * 1e3:>8.2f} ms "
              f"{t_out * 1e3:>6.2f} ms {t_single / t_mp:>6.1f} {t_single / t_pk:>7.1f} "
              f"{t_single / t_out:>10.1f} {diff:>11.2e}")

    if args.figures:
        draw(rows, args.figures, args.processes)


def cpu():
    """The CPU's model name and count, for the figures."""
    name = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            name = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{name}, {os.cpu_count()} CPUs, pairkernel's {pairkernel.simd_path()} path"


def draw(rows, directory, processes):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no figures")
        return
    os.makedirs(directory, exist_ok=True)
    n = [r[0] for r in rows]
    series = [
        ("numpy, one process", [r[1] for r in rows]),
        (f"numpy, multiprocessing ({processes} processes)", [r[2] for r in rows]),
        ("pairkernel, new array", [r[3] for r in rows]),
        ("pairkernel, out=", [r[4] for r in rows]),
    ]
    single = series[0][1]
    figures = [
        ("article_time.png", "time to build D (s)", "The article's kernel matrix, r³/12 + r²/6",
         "loglog", series),
        ("article_speedup.png", "speed-up over one numpy process",
         "Speed-up over the article's single process", "semilogy",
         [(label, [s / x for s, x in zip(single, t)]) for label, t in series[1:]]),
    ]
    for name, ylabel, title, scale, lines in figures:
        fig, ax = plt.subplots(figsize=(6, 4))
        for label, values in lines:
            getattr(ax, scale)(n, values, "o-", label=label)
        ax.set_xlabel("N (points)")
        ax.set_ylabel(ylabel)
        ax.set_title(f"{title}\n{cpu()}", fontsize=10)
        ax.legend()
        ax.grid(True, which="both", alpha=0.3)
        fig.tight_layout()
        fig.savefig(os.path.join(directory, name), dpi=120)
    print(f"figures: {directory}/article_time.png, {directory}/article_speedup.png")


if __name__ == "__main__":
    main()

"""pairkernel on a Dask cluster: kernel matrices as dask arrays whose blocks the Rust kernel
computes on the workers, matrix-free products row block by row block, and (through
:class:`pairkernel.RBFInterpolator`) interpolants evaluated at dask arrays of points.

Every result is bitwise equal to the single-process call: a block of the kernel matrix is
the cross matrix of its row and column points, which the crate computes with the same bits
as the whole matrix; a row block of a product sums every column in the order the
single-process product does.

>>> import numpy as np
>>> import pairkernel, pairkernel.dask
>>> points = np.random.default_rng(0).random((1000, 3))
>>> D = pairkernel.dask.kernel_matrix(points, chunks=400)
>>> D.chunks
((400, 400, 200), (400, 400, 200))
>>> bool((D.compute() == pairkernel.kernel_matrix(points)).all())
True

With ``distributed``, point a ``Client`` at the cluster first (``Client("tcp://host:8786")``)
and every ``compute()`` runs there; the workers need ``pairkernel`` installed.
"""

import numpy as np

import dask
import dask.array as da

from . import _core, _epsilon, _points, _threads, _weights

__all__ = ["apply", "kernel_matrix"]


def _bounds(chunks, n):
    """Block boundaries along an axis of length ``n``, by dask's rules for ``chunks``."""
    (sizes,) = da.core.normalize_chunks((chunks,), shape=(n,), dtype=np.float64)
    edges = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]


def _block(points, rows, cols, kernel, epsilon, threads):
    """One block of the kernel matrix: rows ``rows`` against columns ``cols``."""
    (r0, r1), (c0, c1) = rows, cols
    if rows == cols:
        # A diagonal block is the kernel matrix of its points: half the work, the same bits.
        return _core.kernel_matrix(points[r0:r1], kernel, epsilon, threads=threads)
    return _core.cross_matrix(points[r0:r1], points[c0:c1], kernel, epsilon, threads=threads)


def kernel_matrix(points, chunks, kernel="phi", epsilon=1.0, *, threads=1):
    """The n x n kernel matrix of ``points`` (see :func:`pairkernel.kernel_matrix`) as a
    lazy dask array with square blocks of ``chunks`` rows and columns (an int, a tuple of
    sizes, or ``"auto"``).

    Each block above the diagonal is computed once and serves its mirror image below it as
    a transposed view; the diagonal blocks are kernel matrices of their points (half the
    work again). The points are one object in the graph, sent once to each worker.

    ``threads`` is the crate's threads per task (default 1: Dask's workers are the
    parallelism; ``None`` uses every core of the worker's machine in each task).
    """
    points = _points(points, "points")
    n = points.shape[0]
    kernel, epsilon, threads = str(kernel), _epsilon(epsilon), _threads(threads)
    # Check the kernel and epsilon now, not on a worker at compute time.
    _core.kernel_matrix(points[:1], kernel, epsilon, threads=1)
    shared = dask.delayed(points, pure=True)
    bounds = _bounds(chunks, n)
    blocks = [[None] * len(bounds) for _ in bounds]
    for i, rows in enumerate(bounds):
        for j in range(i, len(bounds)):
            cols = bounds[j]
            task = dask.delayed(_block, pure=True)(shared, rows, cols, kernel, epsilon, threads)
            block = da.from_delayed(
                task, shape=(rows[1] - rows[0], cols[1] - cols[0]), dtype=np.float64
            )
            blocks[i][j] = block
            if j != i:
                blocks[j][i] = block.T
    if not blocks:
        return da.zeros((0, 0), dtype=np.float64)
    return da.block(blocks)


def _apply_rows(points, x, rows, kernel, epsilon, threads):
    """Rows ``rows`` of ``D @ x``: those points against all points."""
    r0, r1 = rows
    return _core.cross_apply(points[r0:r1], points, x, kernel, epsilon, threads=threads)


def apply(points, x, chunks, kernel="phi", epsilon=1.0, *, threads=1):
    """``D @ x`` for the kernel matrix D of ``points`` (see :func:`pairkernel.apply`), as a
    lazy dask array computed in row blocks of ``chunks`` rows on the workers: matrix-free,
    O(n) memory per worker, bitwise equal to ``pairkernel.apply(points, x)``.

    ``x`` has shape (n,) or (n, k); the points and ``x`` are sent once to each worker.
    """
    points = _points(points, "points")
    n = points.shape[0]
    weights, flat = _weights(x, n)
    kernel, epsilon, threads = str(kernel), _epsilon(epsilon), _threads(threads)
    _core.kernel_matrix(points[:1], kernel, epsilon, threads=1)
    k = weights.shape[1]
    shared_points = dask.delayed(points, pure=True)
    shared_x = dask.delayed(weights, pure=True)
    parts = []
    for rows in _bounds(chunks, n):
        task = dask.delayed(_apply_rows, pure=True)(
            shared_points, shared_x, rows, kernel, epsilon, threads
        )
        parts.append(da.from_delayed(task, shape=(rows[1] - rows[0], k), dtype=np.float64))
    y = da.concatenate(parts, axis=0) if parts else da.zeros((0, k), dtype=np.float64)
    return y[:, 0] if flat else y

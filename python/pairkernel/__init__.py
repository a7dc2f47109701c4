"""Pairwise radial-kernel matrices, their products with vectors, and RBF interpolation, at the
speed of the Rust crate ``pairkernel``: numpy arrays in, numpy arrays out.

>>> import numpy as np
>>> import pairkernel
>>> points = np.random.default_rng(0).random((1000, 3))
>>> D = pairkernel.kernel_matrix(points)           # the article's phi(r) = r^3/12 + r^2/6
>>> bool((D == D.T).all()) and bool((np.diag(D) == 0).all())
True
>>> G = pairkernel.kernel_matrix(points, kernel="gaussian", epsilon=2.0)
>>> y = pairkernel.apply(points, np.ones(1000))    # D @ x without storing D
>>> bool(np.allclose(y, D @ np.ones(1000)))
True

``pairkernel.RBFInterpolator`` is a drop-in for ``scipy.interpolate.RBFInterpolator``;
``pairkernel.dask`` spreads the same work over a Dask cluster.

Every call releases the GIL while it computes, uses all cores unless ``threads`` says
otherwise, and gives the same bits for any thread count. Ctrl-C stops a long call.
"""

import numpy as np

from . import _core
from ._rbf import RBFInterpolator

__all__ = [
    "KERNELS",
    "RBFInterpolator",
    "apply",
    "cross_apply",
    "cross_matrix",
    "kernel_matrix",
    "simd_path",
    "zeros",
]

#: The kernel names every function takes: the article's ``phi`` (the default, no epsilon),
#: scipy's eight, and ``polyharmonic<k>`` (``polyharmonic1`` ... ``polyharmonic31``).
KERNELS = tuple(_core.KERNELS)


def simd_path():
    """The instruction set the kernels use on this CPU: ``"avx512"``, ``"avx2"`` or
    ``"portable"`` (chosen at run time; every path gives the same bits)."""
    return _core.simd_path()


def zeros(shape):
    """A float64 array of zeros for reuse as ``out=``, in pairkernel's own memory: from 2 MiB
    on it is 2 MiB aligned and advised for huge pages, so (for a column count that is a
    multiple of 8) every row starts on a cache line, which the fastest schedule needs. An
    ordinary numpy array (16-byte aligned) works as ``out=`` too, at up to half the speed.

    >>> import numpy as np, pairkernel
    >>> points = np.random.default_rng(0).random((3000, 3))
    >>> out = pairkernel.zeros((3000, 3000))
    >>> pairkernel.kernel_matrix(points, out=out) is out
    True
    """
    rows, cols = (int(v) for v in shape)
    if rows < 0 or cols < 0:
        raise ValueError(f"negative dimensions are not allowed: {shape}")
    return _core.zeros(rows, cols)


def _points(points, name):
    """``points`` as an (n, d) float64 array, copied only if its dtype demands it."""
    if np.iscomplexobj(points):
        raise TypeError(f"`{name}` must be real, got a complex array.")
    array = np.asarray(points, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(
            f"`{name}` must be a 2-dimensional array of shape (n, d), got shape {array.shape}."
        )
    return array


def _point_pair(a, b):
    """Both point sets, checked, of one dimension."""
    a = _points(a, "a")
    b = _points(b, "b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"`a` and `b` must have the same number of columns (dimensions), "
            f"got {a.shape[1]} and {b.shape[1]}."
        )
    return a, b


def _threads(threads):
    if threads is None:
        return None
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)):
        raise TypeError(f"`threads` must be an int or None, got {type(threads).__name__}.")
    if threads < 0:
        raise ValueError(f"`threads` must be 0 (the current pool), 1, or more, got {threads}.")
    return int(threads)


def _epsilon(epsilon):
    return None if epsilon is None else float(epsilon)


def _check_out(out, shape):
    """scipy's ``cdist(out=)`` checks, in its words."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"`out` must be a numpy.ndarray, got {type(out).__name__}.")
    if out.shape != shape:
        raise ValueError(f"Output array has incorrect shape: expected {shape}, got {out.shape}.")
    if not out.flags.c_contiguous:
        raise ValueError("Output array must be C-contiguous.")
    if out.dtype != np.float64:
        raise ValueError("Output array must be double type.")
    if not out.flags.writeable:
        raise ValueError("Output array must be writeable.")


def kernel_matrix(points, kernel="phi", epsilon=1.0, *, out=None, threads=None, accuracy="compensated"):
    """The n x n matrix ``D[i, j] = phi(epsilon * |p_i - p_j|)`` of the rows of ``points``.

    Parameters
    ----------
    points : (n, d) array_like of floats, any memory layout.
    kernel : str, one of :data:`KERNELS` (default: the article's cubic ``phi``, which has no
        epsilon).
    epsilon : float, the shape parameter (positive and finite).
    out : (n, n) C-contiguous float64 ndarray, optional: written in place and returned.
    threads : int, optional: 1 for the calling thread, n for n threads (default: all cores).
    accuracy : ``"compensated"`` (the default: every entry within 2 ulp of the exact value) or
        ``"fast"`` (within 11 ulp, up to 2x faster; numpy's own formula is up to 14.5 ulp off).

    Returns
    -------
    (n, n) float64 ndarray, exactly symmetric, within a few ulp of the exact values. A new
    result of 2 MiB or more lives in huge pages owned by the array (no copy is made).
    """
    points = _points(points, "points")
    n = points.shape[0]
    if out is not None:
        _check_out(out, (n, n))
    result = _core.kernel_matrix(
        points, kernel, _epsilon(epsilon), out=out, threads=_threads(threads), accuracy=accuracy
    )
    return out if out is not None else result


def cross_matrix(a, b, kernel="phi", epsilon=1.0, *, out=None, threads=None, accuracy="compensated"):
    """The p x q matrix ``C[i, j] = phi(epsilon * |a_i - b_j|)`` between the rows of ``a``
    (p, d) and ``b`` (q, d): what evaluating an RBF at new points needs. Arguments as
    :func:`kernel_matrix`; ``out`` has shape (p, q)."""
    a, b = _point_pair(a, b)
    if out is not None:
        _check_out(out, (a.shape[0], b.shape[0]))
    result = _core.cross_matrix(
        a, b, kernel, _epsilon(epsilon), out=out, threads=_threads(threads), accuracy=accuracy
    )
    return out if out is not None else result


def _weights(x, q):
    x = np.asarray(x)
    if np.iscomplexobj(x):
        raise TypeError("`x` must be real, got a complex array.")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim not in (1, 2):
        raise ValueError(f"`x` must have shape (q,) or (q, k), got shape {x.shape}.")
    if x.shape[0] != q:
        raise ValueError(f"`x` must have {q} rows (one per point), got {x.shape[0]}.")
    k = 1 if x.ndim == 1 else x.shape[1]
    return np.ascontiguousarray(x.reshape(q, k)), x.ndim == 1


def apply(points, x, kernel="phi", epsilon=1.0, *, threads=None, accuracy="compensated"):
    """``D @ x`` for the kernel matrix D of ``points`` (see :func:`kernel_matrix`), without
    storing D: O(n) memory, each pair computed once, the same bits for any thread count.

    ``x`` has shape (n,) or (n, k); the result has the same shape."""
    points = _points(points, "points")
    weights, flat = _weights(x, points.shape[0])
    y = _core.cross_apply(
        points, None, weights, kernel, _epsilon(epsilon), threads=_threads(threads), accuracy=accuracy
    )
    return y[:, 0] if flat else y


def cross_apply(a, b, x, kernel="phi", epsilon=1.0, *, threads=None, accuracy="compensated"):
    """``C @ x`` for the cross matrix C of ``a`` and ``b`` (see :func:`cross_matrix`), without
    storing C. ``x`` has shape (q,) or (q, k); the result (p,) or (p, k)."""
    a, b = _point_pair(a, b)
    weights, flat = _weights(x, b.shape[0])
    y = _core.cross_apply(
        a, b, weights, kernel, _epsilon(epsilon), threads=_threads(threads), accuracy=accuracy
    )
    return y[:, 0] if flat else y

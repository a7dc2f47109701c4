"""``RBFInterpolator``: scipy's ``scipy.interpolate.RBFInterpolator``, computed by pairkernel.

The arguments are checked here in scipy's order and words (the same exception types and
messages), then the Rust crate fits and evaluates: the kernel matrix with its symmetric
schedule, the solve with faer's LU (LAPACK's ``dgesv`` in scipy), the evaluation matrix-free.
"""

import math
import uuid
import warnings
from itertools import combinations_with_replacement

import numpy as np

from . import _core

# scipy's kernels.
_AVAILABLE = {
    "linear",
    "thin_plate_spline",
    "cubic",
    "quintic",
    "multiquadric",
    "inverse_multiquadric",
    "inverse_quadratic",
    "gaussian",
}

# scipy's kernels whose epsilon may be left out (the crate's phi and polyharmonic too).
_SCALE_INVARIANT = {"linear", "thin_plate_spline", "cubic", "quintic"}

# scipy's minimum degrees (Fasshauer, chapter 8); the crate's phi is a cubic.
_NAME_TO_MIN_DEGREE = {
    "multiquadric": 0,
    "linear": 0,
    "thin_plate_spline": 1,
    "cubic": 1,
    "quintic": 2,
    "phi": 1,
}


def _polyharmonic_degree(kernel):
    """k for ``polyharmonic<k>``, else None."""
    if kernel.startswith("polyharmonic") and kernel[len("polyharmonic") :].isdigit():
        return int(kernel[len("polyharmonic") :])
    return None


def _monomial_powers(ndim, degree):
    """The powers of the monomials of degree up to ``degree`` in ``ndim`` variables, in
    scipy's order."""
    count = math.comb(degree + ndim, ndim) if degree >= 0 else 0
    out = np.zeros((count, ndim), dtype=np.int64)
    row = 0
    for deg in range(degree + 1):
        for mono in combinations_with_replacement(range(ndim), deg):
            for var in mono:
                out[row, var] += 1
            row += 1
    return out


def _is_dask_array(x):
    return type(x).__module__.startswith("dask.") and hasattr(x, "map_blocks")


class RBFInterpolator:
    """Radial basis function interpolation in N dimensions: a drop-in for
    ``scipy.interpolate.RBFInterpolator`` (same signature, defaults, attributes, errors and
    warnings), fitted and evaluated by pairkernel.

    Parameters
    ----------
    y : (npoints, ndims) array_like
        Data point coordinates.
    d : (npoints, ...) array_like
        Data values at ``y`` (real or complex, any trailing shape).
    neighbors : int, optional
        Evaluate each point with the interpolant of its ``neighbors`` nearest data points.
        Default: all data points (the global interpolant).
    smoothing : float or (npoints,) array_like, optional
        Smoothing parameter; 0 (the default) interpolates.
    kernel : str, optional
        ``'linear'``, ``'thin_plate_spline'`` (default), ``'cubic'``, ``'quintic'``,
        ``'multiquadric'``, ``'inverse_multiquadric'``, ``'inverse_quadratic'``,
        ``'gaussian'``, and pairkernel's ``'phi'`` and ``'polyharmonic<k>'``.
    epsilon : float, optional
        Shape parameter; required unless the kernel is scale invariant (then 1).
    degree : int, optional
        Degree of the added polynomial; default the kernel's minimum (or 0).

    Evaluation (``__call__``) takes an (npoints, ndims) array, or a dask array, which is
    evaluated blockwise on the cluster (the fitted interpolant shipped once per worker).
    Instances pickle (with their coefficients, to the bit) and may be called from several
    threads at once.

    Examples
    --------
    >>> import numpy as np
    >>> from pairkernel import RBFInterpolator
    >>> rng = np.random.default_rng(1)
    >>> y = rng.random((200, 2))
    >>> d = np.sin(3 * y[:, 0]) * y[:, 1]
    >>> rbf = RBFInterpolator(y, d)
    >>> bool(np.allclose(rbf(y), d))
    True
    """

    def __init__(
        self,
        y,
        d,
        neighbors=None,
        smoothing=0.0,
        kernel="thin_plate_spline",
        epsilon=None,
        degree=None,
    ):
        y = np.asarray(y, dtype=np.float64, order="C")
        if y.ndim != 2:
            raise ValueError("`y` must be a 2-dimensional array.")

        ny, ndim = y.shape

        d = np.asarray(d)
        d_dtype = np.complex128 if np.iscomplexobj(d) else np.float64
        d = np.asarray(d, dtype=d_dtype, order="C")

        if d.ndim == 0 or d.shape[0] != ny:
            raise ValueError(f"Expected the first axis of `d` to have length {ny}.")

        d_shape = d.shape[1:]
        d = d.reshape((ny, -1))
        # Complex values as twice as many real columns (real and imaginary parts), as scipy.
        d = d.view(float)

        if isinstance(smoothing, (int, float)) or np.shape(smoothing) == ():
            smoothing = np.full(ny, smoothing, dtype=np.float64)
        else:
            smoothing = np.asarray(smoothing, dtype=float, order="C")
            if smoothing.shape != (ny,):
                raise ValueError(
                    f"Expected `smoothing` to be a scalar or have shape ({ny},)."
                )

        kernel = kernel.lower()
        polyharmonic = _polyharmonic_degree(kernel)
        if kernel not in _AVAILABLE and kernel != "phi" and polyharmonic is None:
            raise ValueError(
                f"`kernel` must be one of {_AVAILABLE} "
                f"(or pairkernel's 'phi' or 'polyharmonic<k>')."
            )

        scale_invariant = kernel in _SCALE_INVARIANT or kernel == "phi" or polyharmonic
        if epsilon is None:
            if scale_invariant:
                epsilon = 1.0
            else:
                raise ValueError(
                    "`epsilon` must be specified if `kernel` is not one of "
                    f"{_SCALE_INVARIANT}."
                )
        else:
            epsilon = float(epsilon)

        if polyharmonic is not None:
            min_degree = polyharmonic // 2
        else:
            min_degree = _NAME_TO_MIN_DEGREE.get(kernel, -1)
        if degree is None:
            degree = max(min_degree, 0)
        else:
            degree = int(degree)
            if degree < -1:
                raise ValueError("`degree` must be at least -1.")
            elif -1 < degree < min_degree:
                warnings.warn(
                    f"`degree` should not be below {min_degree} except -1 "
                    f"when `kernel` is '{kernel}'."
                    f"The interpolant may not be uniquely "
                    f"solvable, and the smoothing parameter may have an "
                    f"unintuitive effect.",
                    UserWarning,
                    stacklevel=2,
                )

        if neighbors is None:
            nobs = ny
        else:
            # The nearest neighbours used may not exceed the observations.
            neighbors = int(min(neighbors, ny))
            nobs = neighbors

        powers = _monomial_powers(ndim, degree)
        # The polynomial matrix must have full column rank, which fewer observations than
        # monomials cannot give.
        if powers.shape[0] > nobs:
            raise ValueError(
                f"At least {powers.shape[0]} data points are required when "
                f"`degree` is {degree} and the number of dimensions is {ndim}."
            )

        self._rbf = _core.Rbf(y, d, smoothing, kernel, epsilon, degree, neighbors)

        self.y = y
        self.d = d
        self.d_shape = d_shape
        self.d_dtype = d_dtype
        self.neighbors = neighbors
        self.smoothing = smoothing
        self.kernel = kernel
        self.epsilon = epsilon
        self.powers = powers
        self._token = uuid.uuid4().hex

    def __call__(self, x):
        """Evaluate the interpolant at ``x``, an (npts, ndim) array_like or dask array.

        Returns
        -------
        ndarray (or dask array), shape (npts,) + the data's trailing shape.
        """
        if _is_dask_array(x):
            return self._call_dask(x)
        x = np.asarray(x, dtype=np.float64, order="C")
        if x.ndim != 2:
            raise ValueError("`x` must be a 2-dimensional array.")

        nx, ndim = x.shape
        if ndim != self.y.shape[1]:
            raise ValueError(
                "Expected the second axis of `x` to have length "
                f"{self.y.shape[1]}."
            )
        return self._evaluate(x).reshape((nx,) + self.d_shape)

    def _evaluate(self, x, threads=None):
        """(nx, m) values at the rows of a checked float64 array, in the data's dtype."""
        out = self._rbf.evaluate(x, threads=threads)
        return out.view(self.d_dtype)

    def _call_dask(self, x):
        import dask
        import dask.array as da

        if x.ndim != 2:
            raise ValueError("`x` must be a 2-dimensional array.")
        if x.shape[1] != self.y.shape[1]:
            raise ValueError(
                "Expected the second axis of `x` to have length "
                f"{self.y.shape[1]}."
            )
        x = x.astype(np.float64).rechunk({1: -1})
        # One task in the graph holds the interpolant: each worker receives it once.
        fitted = dask.delayed(self, pure=True)
        m = self.d.shape[1] // (2 if self.d_dtype == np.complex128 else 1)
        flat = x.map_blocks(
            _evaluate_block,
            fitted,
            dtype=self.d_dtype,
            chunks=(x.chunks[0], (m,)),
        )
        return flat.reshape((x.shape[0],) + self.d_shape)

    def __dask_tokenize__(self):
        return ("pairkernel.RBFInterpolator", self._token)

    def __getstate__(self):
        state = {k: v for k, v in self.__dict__.items() if k != "_rbf"}
        state["_rbf"] = self._rbf.to_bytes()
        return state

    def __setstate__(self, state):
        state = dict(state)
        self._rbf = _core.Rbf.from_bytes(state.pop("_rbf"))
        self.__dict__.update(state)

    def __repr__(self):
        return (
            f"pairkernel.RBFInterpolator(kernel={self.kernel!r}, epsilon={self.epsilon}, "
            f"degree={self._degree()}, "
            f"neighbors={self.neighbors}, points={self.y.shape[0]}, dims={self.y.shape[1]})"
        )

    def _degree(self):
        return int(self.powers.sum(axis=1).max()) if len(self.powers) else -1


def _evaluate_block(x, fitted):
    """One block of a dask evaluation: the rows ``x`` of the evaluation points, on one thread
    (Dask's workers are the parallelism, as in :mod:`pairkernel.dask`)."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    return fitted._evaluate(x, threads=1)

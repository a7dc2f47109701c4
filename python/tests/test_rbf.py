"""pairkernel.RBFInterpolator against scipy.interpolate.RBFInterpolator: values, shapes,
errors, warnings, pickling, threads."""

import pickle
import re
import threading
import warnings

import numpy as np
import pytest
import scipy.interpolate
from numpy.linalg import LinAlgError

import pairkernel
from pairkernel import RBFInterpolator

SCIPY_KERNELS = [
    "linear",
    "thin_plate_spline",
    "cubic",
    "quintic",
    "multiquadric",
    "inverse_multiquadric",
    "inverse_quadratic",
    "gaussian",
]


def data(n, dim, seed):
    rng = np.random.default_rng(seed)
    y = rng.random((n, dim))
    d = np.sin(2.0 * y).sum(axis=1) + y[:, 0] ** 2
    x = rng.random((97, dim))
    return y, d, x


def assert_matches_scipy(kwargs, y, d, x, atol=1e-8):
    ours = RBFInterpolator(y, d, **kwargs)(x)
    theirs = scipy.interpolate.RBFInterpolator(y, d, **kwargs)(x)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    scale = max(1.0, np.abs(theirs).max())
    assert np.max(np.abs(ours - theirs)) <= atol * scale, np.max(np.abs(ours - theirs))


# Data sizes and shape parameters that keep every system well conditioned (scipy's matrix has
# a condition number of at most ~1e7 for each of these: the two solvers then agree far below
# 1e-8; an ill-conditioned one, e.g. 70 Gaussian nodes on a line, differs by its κ·ε).
POINTS_PER_DIM = {1: 10, 2: 40, 3: 70, 4: 100, 5: 120}


@pytest.mark.parametrize("kernel", SCIPY_KERNELS)
@pytest.mark.parametrize("dim", [1, 2, 3, 4, 5])
def test_every_kernel_in_one_to_five_dimensions_matches_scipy(kernel, dim):
    y, d, x = data(POINTS_PER_DIM[dim], dim, seed=dim)
    kwargs = {"kernel": kernel}
    if kernel not in {"linear", "thin_plate_spline", "cubic", "quintic"}:
        kwargs["epsilon"] = 8.0 if dim > 1 else 5.0
    assert_matches_scipy(kwargs, y, d, x)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"smoothing": 0.1},
        {"smoothing": np.linspace(0.0, 0.5, 80)},
        {"degree": 3},
        {"degree": -1, "kernel": "gaussian", "epsilon": 8.0},
        {"degree": 0, "kernel": "multiquadric", "epsilon": 8.0, "smoothing": 0.01},
        {"neighbors": 20},
        {"neighbors": 30, "kernel": "cubic", "smoothing": 0.05, "degree": 2},
        {"neighbors": 1000},
        {"epsilon": 2.5, "kernel": "quintic"},
    ],
)
def test_options_match_scipy(kwargs):
    y, d, x = data(80, 2, seed=7)
    assert_matches_scipy(kwargs, y, d, x)


def test_vector_valued_and_complex_data_keep_their_shape_and_dtype():
    y, d, x = data(70, 3, seed=3)
    vector = np.stack([d, d**2, np.cos(d)], axis=1).reshape(70, 3, 1)
    assert_matches_scipy({}, y, vector, x)
    complex_d = d + 1j * np.cos(d)
    assert_matches_scipy({"kernel": "cubic"}, y, complex_d, x)
    out = RBFInterpolator(y, complex_d)(x)
    assert out.dtype == np.complex128 and out.shape == (97,)


def test_it_interpolates_its_data():
    y, d, _ = data(150, 3, seed=11)
    rbf = RBFInterpolator(y, d)
    assert np.allclose(rbf(y), d, atol=1e-9)


def test_attributes_are_scipys():
    y, d, _ = data(50, 2, seed=1)
    ours = RBFInterpolator(y, d, smoothing=0.5, degree=2, neighbors=60)
    theirs = scipy.interpolate.RBFInterpolator(y, d, smoothing=0.5, degree=2, neighbors=60)
    for name in ["y", "d", "d_shape", "d_dtype", "neighbors", "smoothing", "kernel", "epsilon", "powers"]:
        assert np.array_equal(getattr(ours, name), getattr(theirs, name)), name


def _sets_sorted(message):
    """The message with each `{...}` set's items sorted: scipy prints sets, whose order
    depends on how the set was built (and the bytecode cache), not on their meaning."""
    return re.sub(
        r"\{([^{}]*)\}",
        lambda m: "{" + ", ".join(sorted(m.group(1).split(", "))) + "}",
        message,
    )


def _scipy_error(kwargs, y, d):
    with pytest.raises(Exception) as theirs:
        scipy.interpolate.RBFInterpolator(y, d, **kwargs)
    return theirs.value


@pytest.mark.parametrize(
    "kwargs, y, d",
    [
        ({}, np.zeros(5), np.zeros(5)),
        ({}, np.random.default_rng(0).random((5, 2)), np.zeros(4)),
        ({"smoothing": np.zeros(3)}, np.random.default_rng(0).random((5, 2)), np.zeros(5)),
        ({"kernel": "nope"}, np.random.default_rng(0).random((5, 2)), np.zeros(5)),
        ({"kernel": "gaussian"}, np.random.default_rng(0).random((5, 2)), np.zeros(5)),
        ({"degree": -2}, np.random.default_rng(0).random((5, 2)), np.zeros(5)),
        ({"degree": 3}, np.random.default_rng(0).random((5, 2)), np.zeros(5)),
        ({"neighbors": 2}, np.random.default_rng(0).random((5, 2)), np.zeros(5)),
    ],
)
def test_errors_have_scipys_type_and_message(kwargs, y, d):
    theirs = _scipy_error(kwargs, y, d)
    with pytest.raises(type(theirs)) as ours:
        RBFInterpolator(y, d, **kwargs)
    if kwargs.get("kernel") == "nope":
        assert _sets_sorted(str(ours.value)).startswith(_sets_sorted(str(theirs))[:-1])
    else:
        assert _sets_sorted(str(ours.value)) == _sets_sorted(str(theirs))


def test_evaluation_errors_have_scipys_type_and_message():
    y, d, x = data(30, 2, seed=2)
    for bad in [x[:, 0], x[:, :1]]:
        with pytest.raises(ValueError) as theirs:
            scipy.interpolate.RBFInterpolator(y, d)(bad)
        with pytest.raises(ValueError) as ours:
            RBFInterpolator(y, d)(bad)
        assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("second_axis", [lambda t: t, lambda t: 0 * t, lambda t: 2 * t])
def test_a_rank_deficient_polynomial_matrix_is_a_linalg_error(second_axis):
    # Collinear points in the plane: the degree-1 polynomial's columns are dependent.
    t = np.linspace(0.0, 1.0, 20)
    y = np.stack([t, second_axis(t)], axis=1)
    with pytest.raises(LinAlgError, match=r"full column rank \(2/3\)"):
        RBFInterpolator(y, t)


def test_a_degree_below_the_kernels_minimum_warns_as_scipy():
    y, d, _ = data(30, 2, seed=4)
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        scipy.interpolate.RBFInterpolator(y, d, kernel="cubic", degree=0)
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        RBFInterpolator(y, d, kernel="cubic", degree=0)
    assert [w.category for w in ours] == [UserWarning]
    assert str(ours[0].message) == str(theirs[0].message)


def test_non_finite_data_is_a_value_error():
    y, d, _ = data(30, 2, seed=5)
    d[3] = np.nan
    with pytest.raises(ValueError, match="3"):
        RBFInterpolator(y, d)


@pytest.mark.parametrize("neighbors", [None, 15])
def test_pickling_keeps_every_bit(neighbors):
    y, d, x = data(100, 3, seed=6)
    rbf = RBFInterpolator(y, np.stack([d, 2 * d], axis=1), neighbors=neighbors, kernel="quintic")
    again = pickle.loads(pickle.dumps(rbf))
    assert np.array_equal(again(x), rbf(x))
    assert again.kernel == "quintic" and again.neighbors == rbf.neighbors


def test_calls_from_several_threads_at_once_agree_with_one():
    y, d, _ = data(400, 3, seed=8)
    rbf = RBFInterpolator(y, d)
    points = [np.random.default_rng(s).random((5000, 3)) for s in range(6)]
    expected = [rbf(p) for p in points]
    results = [None] * len(points)

    def evaluate(i):
        results[i] = rbf(points[i])

    threads = [threading.Thread(target=evaluate, args=(i,)) for i in range(len(points))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got, want in zip(results, expected):
        assert np.array_equal(got, want)


def test_the_crates_own_kernels_are_accepted():
    y, d, x = data(60, 3, seed=9)
    phi = RBFInterpolator(y, d, kernel="phi")
    # The article's phi is r^3/12 + r^2/6: a cubic plus a (conditionally negative definite)
    # r^2 term; with degree 1 it interpolates.
    assert np.allclose(phi(y), d, atol=1e-9)
    ph = RBFInterpolator(y, d, kernel="polyharmonic3")
    cubic = RBFInterpolator(y, d, kernel="cubic")
    assert np.allclose(ph(x), cubic(x), atol=1e-9)


def test_the_module_exports_a_drop_in():
    assert pairkernel.RBFInterpolator is RBFInterpolator

"""kernel_matrix, cross_matrix, apply and cross_apply against numpy's formulas and scipy's
cdist; layouts, out=, threads, errors, the GIL and Ctrl-C."""

import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from scipy.spatial.distance import cdist

import pairkernel

RNG = np.random.default_rng(20261127)


def article_phi(r):
    """The article's cubic, as its numpy version computes it."""
    return r**3 / 12 + r**2 / 6


# scipy's kernels at eps*r (scipy.interpolate._rbfinterp_pythran's formulas).
def _log_or_zero(r):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(r == 0, 0.0, np.log(np.where(r == 0, 1.0, r)))


SCIPY_FORMULAS = {
    "linear": lambda r: -r,
    "thin_plate_spline": lambda r: r**2 * _log_or_zero(r),
    "cubic": lambda r: r**3,
    "quintic": lambda r: -(r**5),
    "multiquadric": lambda r: -np.sqrt(r**2 + 1),
    "inverse_multiquadric": lambda r: 1 / np.sqrt(r**2 + 1),
    "inverse_quadratic": lambda r: 1 / (r**2 + 1),
    "gaussian": lambda r: np.exp(-(r**2)),
}


def close(a, b, rtol):
    """|a - b| <= rtol * (|b| + the matrix's scale): relative, with an absolute floor for
    entries that cancel to near zero."""
    scale = np.abs(b).max()
    return np.all(np.abs(a - b) <= rtol * (np.abs(b) + 1e-3 * scale))


def test_the_article_matrix_matches_numpy_formula_and_is_exactly_symmetric():
    points = RNG.random((500, 3))
    d = pairkernel.kernel_matrix(points)
    expected = article_phi(cdist(points, points))
    assert d.shape == (500, 500) and d.dtype == np.float64
    # Both within a few ulp of exact (numpy's formula up to 14.5 ulp): far below 1e-13.
    assert close(d, expected, 1e-13)
    assert np.array_equal(d, d.T)
    assert np.all(np.diag(d) == 0.0)


@pytest.mark.parametrize("kernel", sorted(SCIPY_FORMULAS))
@pytest.mark.parametrize("dim", [1, 2, 3, 5])
def test_every_scipy_kernel_matches_cdist_and_its_formula(kernel, dim):
    a = RNG.normal(size=(120, dim))
    b = RNG.normal(size=(77, dim))
    epsilon = 1.7
    expected = SCIPY_FORMULAS[kernel](epsilon * cdist(a, b))
    got = pairkernel.cross_matrix(a, b, kernel=kernel, epsilon=epsilon)
    assert got.shape == (120, 77)
    assert close(got, expected, 1e-12)


def test_polyharmonic_kernels_are_r_to_the_k_with_a_log_for_even_k():
    a = RNG.random((50, 2)) + 0.1
    r = cdist(a, a) * 2.0
    assert close(
        pairkernel.kernel_matrix(a, "polyharmonic3", 2.0), r**3, 1e-13
    )
    assert close(
        pairkernel.kernel_matrix(a, "polyharmonic4", 2.0), r**4 * _log_or_zero(r), 1e-12
    )


def test_the_kernel_matrix_is_the_cross_matrix_of_the_points_with_themselves_bitwise():
    points = RNG.random((300, 4))
    for kernel in ["phi", "gaussian", "thin_plate_spline"]:
        assert np.array_equal(
            pairkernel.kernel_matrix(points, kernel, 0.8),
            pairkernel.cross_matrix(points, points, kernel, 0.8),
        )


def test_any_layout_gives_the_same_bits():
    points = RNG.random((400, 3))
    d = pairkernel.kernel_matrix(points)
    fortran = np.asfortranarray(points)
    strided = np.zeros((800, 6))
    strided[::2, ::2] = points
    as_list = points.tolist()
    float32_exact = points.astype(np.float32).astype(np.float64)
    for layout in [fortran, strided[::2, ::2], as_list]:
        assert np.array_equal(pairkernel.kernel_matrix(layout), d)
    assert np.array_equal(
        pairkernel.kernel_matrix(points.astype(np.float32)),
        pairkernel.kernel_matrix(float32_exact),
    )


def test_out_is_written_in_place_and_returned():
    points = RNG.random((300, 3))
    out = np.full((300, 300), np.nan)
    result = pairkernel.kernel_matrix(points, out=out)
    assert result is out
    assert np.array_equal(out, pairkernel.kernel_matrix(points))
    cross = np.empty((300, 20))
    assert pairkernel.cross_matrix(points, points[:20], out=cross) is cross
    assert np.array_equal(cross, out[:, :20])


@pytest.mark.parametrize(
    "out, error, message",
    [
        (np.empty((10, 11)), ValueError, "incorrect shape"),
        (np.empty((10, 10)).T, ValueError, "C-contiguous"),
        (np.empty((10, 10), dtype=np.float32), ValueError, "double"),
        ([[0.0] * 10] * 10, TypeError, "numpy.ndarray"),
    ],
)
def test_out_is_checked_like_cdist(out, error, message):
    with pytest.raises(error, match=message):
        pairkernel.kernel_matrix(RNG.random((10, 3)), out=out)


def test_a_read_only_out_is_refused():
    out = np.empty((10, 10))
    out.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        pairkernel.kernel_matrix(RNG.random((10, 3)), out=out)


def test_a_large_fresh_result_is_the_crates_memory_without_a_copy():
    points = RNG.random((1000, 3))
    d = pairkernel.kernel_matrix(points)
    assert not d.flags.owndata
    assert type(d.base).__name__ == "MatrixMemory"
    assert d.flags.c_contiguous and d.flags.writeable
    # The memory outlives every reference but the array's.
    view = d[10:20]
    del d
    assert np.all(np.isfinite(view))


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_the_same_bits_for_any_thread_count(threads):
    points = RNG.random((700, 3))
    x = RNG.normal(size=(700, 3))
    assert np.array_equal(
        pairkernel.kernel_matrix(points, threads=threads), pairkernel.kernel_matrix(points)
    )
    assert np.array_equal(
        pairkernel.apply(points, x, threads=threads), pairkernel.apply(points, x)
    )


def test_apply_is_the_matrix_times_the_vectors():
    points = RNG.random((600, 3))
    d = pairkernel.kernel_matrix(points, "gaussian", 3.0)
    x = RNG.normal(size=600)
    y = pairkernel.apply(points, x, "gaussian", 3.0)
    assert y.shape == (600,)
    assert np.allclose(y, d @ x, rtol=1e-12, atol=1e-12 * np.abs(d).sum())
    many = RNG.normal(size=(600, 5))
    ys = pairkernel.apply(points, many, "gaussian", 3.0)
    assert ys.shape == (600, 5)
    assert np.allclose(ys, d @ many, rtol=1e-12, atol=1e-11 * np.abs(d).sum())
    # Each column is the product with that column alone.
    assert np.array_equal(ys[:, 2], pairkernel.apply(points, many[:, 2], "gaussian", 3.0))


def test_cross_apply_is_the_cross_matrix_times_the_vectors():
    a = RNG.random((300, 2))
    b = RNG.random((450, 2))
    x = RNG.normal(size=450)
    c = pairkernel.cross_matrix(a, b)
    y = pairkernel.cross_apply(a, b, x)
    assert y.shape == (300,)
    assert np.allclose(y, c @ x, rtol=1e-12, atol=1e-13 * np.abs(c).sum())


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: pairkernel.kernel_matrix([[0.0, np.nan, 1.0]]), ValueError, "node 0"),
        (lambda: pairkernel.kernel_matrix(np.zeros(5)), ValueError, "2-dimensional"),
        (lambda: pairkernel.kernel_matrix(np.zeros((3, 2)), "nope"), ValueError, "nope"),
        (lambda: pairkernel.kernel_matrix(np.zeros((3, 2)), "gaussian", -1.0), ValueError, "epsilon|ε"),
        (lambda: pairkernel.kernel_matrix(np.zeros((3, 2)), threads=-1), ValueError, "threads"),
        (lambda: pairkernel.kernel_matrix(np.zeros((3, 2)), threads=1.5), TypeError, "threads"),
        (lambda: pairkernel.kernel_matrix(np.zeros((3, 2)) + 1j), TypeError, "real"),
        (lambda: pairkernel.cross_matrix(np.zeros((3, 2)), np.zeros((3, 3))), ValueError, "columns"),
        (lambda: pairkernel.apply(np.zeros((3, 2)), np.ones(4)), ValueError, "3 rows"),
        (lambda: pairkernel.apply(np.zeros((3, 2)), np.ones((3, 2, 2))), ValueError, "shape"),
        (lambda: pairkernel.apply(np.zeros((3, 2)), [1.0, np.inf, 0.0]), ValueError, "finite|∞|inf"),
    ],
)
def test_bad_input_raises_with_the_crates_message(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_empty_inputs_give_empty_results():
    assert pairkernel.kernel_matrix(np.zeros((0, 3))).shape == (0, 0)
    assert pairkernel.cross_matrix(np.zeros((0, 2)), np.zeros((4, 2))).shape == (0, 4)
    assert pairkernel.apply(np.zeros((0, 3)), np.zeros(0)).shape == (0,)


def test_the_gil_is_released_while_the_kernel_runs():
    points = RNG.random((9000, 3))
    started = threading.Event()

    def long_call():
        started.set()
        pairkernel.kernel_matrix(points, threads=1)

    worker = threading.Thread(target=long_call)
    worker.start()
    started.wait()
    time.sleep(0.05)
    # Python work on this thread runs while the call is still going: it holds no GIL.
    sum(range(100_000))
    still_running = worker.is_alive()
    worker.join()
    assert still_running


def test_ctrl_c_interrupts_a_long_call_within_a_second():
    # A child started from a background job inherits SIGINT as ignored, and Python then
    # installs no KeyboardInterrupt handler: restore it, as an interactive shell would have.
    script = (
        "import signal\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "import numpy as np, pairkernel\n"
        "p = np.random.default_rng(0).random((300_000, 3))\n"
        "print('started', flush=True)\n"
        "pairkernel.apply(p, np.ones(len(p)), threads=1)\n"
        "print('finished', flush=True)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout.readline().strip() == "started"
    time.sleep(0.5)
    child.send_signal(signal.SIGINT)
    sent = time.monotonic()
    try:
        _, stderr = child.communicate(timeout=10)
    finally:
        child.kill()
    waited = time.monotonic() - sent
    assert "KeyboardInterrupt" in stderr
    assert child.returncode != 0
    assert waited < 1.0, f"the call stopped {waited:.2f} s after Ctrl-C"


def test_simd_path_names_the_path_taken():
    assert pairkernel.simd_path() in {"avx512", "avx2", "portable"}


def test_fast_accuracy_is_within_its_bound_and_named_values_are_checked():
    points = RNG.random((400, 3))
    exact = article_phi(cdist(points, points))
    fast = pairkernel.kernel_matrix(points, accuracy="fast")
    # 11 ulp for the crate's fast order; numpy's formula itself is up to 14.5 ulp off.
    assert close(fast, exact, 30 * np.finfo(float).eps)
    assert np.array_equal(fast, fast.T)
    with pytest.raises(ValueError, match="accuracy"):
        pairkernel.kernel_matrix(points, accuracy="sloppy")


def test_zeros_is_an_aligned_reusable_out():
    out = pairkernel.zeros((1024, 1024))
    assert out.shape == (1024, 1024) and out.dtype == np.float64
    assert not out.any()
    assert out.ctypes.data % (2 << 20) == 0  # 8 MiB: the crate's mapping, 2 MiB aligned
    points = RNG.random((1024, 3))
    assert pairkernel.kernel_matrix(points, out=out) is out
    assert np.array_equal(out, pairkernel.kernel_matrix(points))
    with pytest.raises(ValueError):
        pairkernel.zeros((-1, 3))

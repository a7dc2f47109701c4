"""pairkernel.dask and RBFInterpolator on dask arrays, on a real two-process cluster:
bitwise equal to the single-process calls."""

import numpy as np
import pytest

import pairkernel

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

import pairkernel.dask  # noqa: E402  (after the skip: it imports dask)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


RNG = np.random.default_rng(5)


@pytest.mark.parametrize("chunks", [250, (300, 300, 100), 1000])
def test_the_kernel_matrix_on_the_cluster_is_bitwise_the_local_one(client, chunks):
    points = RNG.random((700, 3))
    lazy = pairkernel.dask.kernel_matrix(points, chunks, kernel="gaussian", epsilon=2.0)
    assert lazy.shape == (700, 700)
    got = lazy.compute()
    assert np.array_equal(got, pairkernel.kernel_matrix(points, "gaussian", 2.0))


def test_each_block_pair_is_computed_once():
    points = RNG.random((400, 2))
    lazy = pairkernel.dask.kernel_matrix(points, 100)
    graph = dict(lazy.__dask_graph__())
    kernel_tasks = [key for key in graph if isinstance(key, str) and key.startswith("_block")]
    kernel_tasks += [key for key in graph if isinstance(key, tuple) and str(key[0]).startswith("_block")]
    # 4 x 4 blocks: 4 diagonal + 6 above it.
    assert len(set(kernel_tasks)) == 10, sorted(map(str, kernel_tasks))


@pytest.mark.parametrize("k", [None, 3])
def test_the_distributed_product_is_bitwise_the_local_one(client, k):
    points = RNG.random((900, 3))
    x = RNG.normal(size=900 if k is None else (900, k))
    lazy = pairkernel.dask.apply(points, x, 200, kernel="thin_plate_spline")
    got = lazy.compute()
    assert np.array_equal(got, pairkernel.apply(points, x, "thin_plate_spline"))


def test_an_interpolant_evaluates_a_dask_array_blockwise_and_bitwise(client):
    y = RNG.random((300, 2))
    d = np.stack([np.sin(3 * y[:, 0]), y[:, 1] ** 2], axis=1)
    rbf = pairkernel.RBFInterpolator(y, d, smoothing=1e-6)
    x = RNG.random((5000, 2))
    lazy = rbf(da.from_array(x, chunks=(1200, 1)))
    assert lazy.shape == (5000, 2)
    assert np.array_equal(lazy.compute(), rbf(x))
    complex_rbf = pairkernel.RBFInterpolator(y, d[:, 0] + 1j * d[:, 1])
    got = complex_rbf(da.from_array(x, chunks=1000)).compute()
    assert got.dtype == np.complex128 and np.array_equal(got, complex_rbf(x))


def test_bad_arguments_fail_before_anything_is_computed():
    with pytest.raises(ValueError):
        pairkernel.dask.kernel_matrix(np.zeros((4, 2)), 2, kernel="nope")
    with pytest.raises(ValueError):
        pairkernel.dask.apply(np.zeros((4, 2)), np.ones(5), 2)

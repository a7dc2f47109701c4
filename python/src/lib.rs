//! `pairkernel._core`: the Rust side of the Python package. numpy arrays in, numpy arrays out;
//! the Python module (`pairkernel/__init__.py`) checks and converts its arguments the way numpy
//! and scipy users expect and calls these functions, which check again (they are reachable
//! from Python too) and never panic on input.
//!
//! Every call releases the GIL while the kernel runs. A long call runs on a scoped worker
//! thread while the calling thread waits with the GIL released and looks for signals every
//! [`SIGNAL_POLL`]: Ctrl-C sets the plan's cancel flag, the crate's schedules stop at their
//! next band, and the call raises `KeyboardInterrupt`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use numpy::ndarray::{Array2, ArrayView2};
use numpy::{IntoPyArray, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyReadwriteArray2};
use pyo3::exceptions::{PyMemoryError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use pairkernel::interpolate::RbfInterpolator;
use pairkernel::{Accuracy, Error, Kernel, KernelMatrix, Nodes, Plan};

pyo3::import_exception!(numpy.linalg, LinAlgError);

/// How often a waiting call looks for Ctrl-C.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// Calls with fewer entries (or pair evaluations) than this run on the calling thread: a
/// worker thread would cost more than they take, and they finish well within a second.
const INTERRUPTIBLE_ABOVE: usize = 1 << 22;

/// The Python exception for a crate error: `MemoryError` for what could not be allocated,
/// `numpy.linalg.LinAlgError` for a singular fit (as scipy), `RuntimeError` for the machine's
/// refusals (threads, SIMD path), `ValueError` for everything about the input.
fn to_py(error: Error) -> PyErr {
    let message = error.to_string();
    match error {
        Error::AllocationFailed { .. }
        | Error::NodesAllocationFailed { .. }
        | Error::WorkspaceAllocationFailed { .. }
        | Error::SizeOverflow { .. } => PyMemoryError::new_err(message),
        Error::PolynomialRankDeficient { .. } | Error::SingularSystem { .. } => {
            LinAlgError::new_err(message)
        }
        Error::ThreadPool { .. } | Error::SimdUnavailable { .. } => {
            PyRuntimeError::new_err(message)
        }
        _ => PyValueError::new_err(message),
    }
}

/// Nodes from an `(n, d)` array of any layout: C-ordered rows and F-ordered columns are read
/// in place, anything else is copied once into rows.
fn nodes(points: &PyReadonlyArray2<'_, f64>) -> Result<Nodes, Error> {
    let view = points.as_array();
    let (n, d) = view.dim();
    if let Some(rows) = view.as_slice() {
        return Nodes::from_flat(rows, d);
    }
    if let (Some(columns), true) = (view.t().as_slice(), n > 0) {
        let axes: Vec<&[f64]> = columns.chunks_exact(n).collect();
        return Nodes::from_axis_columns(&axes);
    }
    let rows = view.as_standard_layout();
    Nodes::from_flat(rows.as_slice().unwrap_or(&[]), d)
}

/// The plan of a call: the kernel by name and ε, the thread count (`None`: all), and the
/// flag that Ctrl-C sets.
fn plan(
    kernel: &str,
    epsilon: Option<f64>,
    accuracy: &str,
    threads: Option<usize>,
    cancel: &Arc<AtomicBool>,
) -> PyResult<Plan<Kernel>> {
    let kernel = Kernel::from_name(kernel, epsilon).map_err(to_py)?;
    let accuracy = match accuracy {
        "compensated" => Accuracy::Compensated,
        "fast" => Accuracy::Fast,
        other => {
            return Err(PyValueError::new_err(format!(
                "`accuracy` must be 'compensated' (within 2 ulp of exact, the default) or \
                 'fast' (within 11 ulp, up to 2x faster), got {other:?}."
            )));
        }
    };
    let plan = Plan::new()
        .kernel(kernel)
        .accuracy(accuracy)
        .cancel_on(Arc::clone(cancel));
    Ok(match threads {
        Some(threads) => plan.threads(threads),
        None => plan,
    })
}

/// Sets a flag and wakes the waiting thread when dropped: the worker's end, however it ends.
struct Finished<'a>(&'a (Mutex<bool>, Condvar));

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        let (done, wake) = self.0;
        *done.lock().unwrap_or_else(PoisonError::into_inner) = true;
        wake.notify_all();
    }
}

/// Runs `work` with the GIL released. Work of `size` at least [`INTERRUPTIBLE_ABOVE`] runs on
/// a worker thread while this thread looks for signals; a pending one (Ctrl-C) sets `cancel`,
/// waits for the work to stop at its next band, and is raised.
fn run<T: Send>(
    py: Python<'_>,
    size: usize,
    cancel: &AtomicBool,
    work: impl FnOnce() -> Result<T, Error> + Send,
) -> PyResult<T> {
    if size < INTERRUPTIBLE_ABOVE {
        return py.detach(work).map_err(to_py);
    }
    let finished = (Mutex::new(false), Condvar::new());
    std::thread::scope(|scope| {
        let worker = scope.spawn(|| {
            let _finished = Finished(&finished);
            work()
        });
        let mut interrupted = None;
        loop {
            let done = py.detach(|| {
                let (done, wake) = &finished;
                let done = done.lock().unwrap_or_else(PoisonError::into_inner);
                let (done, _) = wake
                    .wait_timeout_while(done, SIGNAL_POLL, |done| !*done)
                    .unwrap_or_else(PoisonError::into_inner);
                *done
            });
            if done {
                break;
            }
            if let Err(signal) = py.check_signals() {
                cancel.store(true, Ordering::Relaxed);
                interrupted = Some(signal);
                break;
            }
        }
        // With the GIL released: the worker stops within a band once cancelled.
        let outcome = py.detach(|| worker.join());
        match (interrupted, outcome) {
            (Some(signal), _) => Err(signal),
            (None, Ok(result)) => result.map_err(to_py),
            (None, Err(_)) => Err(PyRuntimeError::new_err(
                "pairkernel panicked (a bug: please report it with the call that caused it)",
            )),
        }
    })
}

/// Owns a kernel matrix whose memory a numpy array uses (its `base`): a fresh result reaches
/// Python without a copy, in the crate's huge-page memory.
#[pyclass(frozen, module = "pairkernel._core")]
struct MatrixMemory {
    matrix: KernelMatrix,
}

/// A numpy array over `matrix`'s memory, which it keeps alive.
fn into_numpy(py: Python<'_>, matrix: KernelMatrix) -> PyResult<Bound<'_, PyArray2<f64>>> {
    let shape = (matrix.rows(), matrix.cols());
    let owner = Bound::new(py, MatrixMemory { matrix })?;
    let view = ArrayView2::from_shape(shape, owner.get().matrix.as_slice())
        .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    // SAFETY: the array's memory is `owner.matrix`'s, which `owner` (frozen: the matrix is
    // never replaced or resized) owns; `owner` becomes the array's base object, so the memory
    // lives as long as the array and every view of it. Nothing on the Rust side reads or
    // writes it again (numpy may write to it: the mapping is writable, and no Rust reference
    // into it outlives this function).
    Ok(unsafe { PyArray2::borrow_from_array(&view, owner.clone().into_any()) })
}

/// `D[i][j] = φ(|pᵢ − pⱼ|)` for the rows `points` of an `(n, d)` array, into `out` (a
/// C-contiguous float64 `(n, n)` array) or a new array.
#[pyfunction]
#[pyo3(signature = (points, kernel = "phi", epsilon = None, out = None, threads = None, accuracy = "compensated"))]
#[allow(clippy::too_many_arguments)]
fn kernel_matrix<'py>(
    py: Python<'py>,
    points: PyReadonlyArray2<'py, f64>,
    kernel: &str,
    epsilon: Option<f64>,
    out: Option<PyReadwriteArray2<'py, f64>>,
    threads: Option<usize>,
    accuracy: &str,
) -> PyResult<Option<Bound<'py, PyArray2<f64>>>> {
    let cancel = Arc::new(AtomicBool::new(false));
    let plan = plan(kernel, epsilon, accuracy, threads, &cancel)?;
    let nodes = nodes(&points).map_err(to_py)?;
    fill(py, &plan, &cancel, (&nodes, None), out)
}

/// The dense matrix of `rows` against `cols` (the kernel matrix of `rows` when `None`), into
/// `out` (then `None` is returned) or a new array.
fn fill<'py>(
    py: Python<'py>,
    plan: &Plan<Kernel>,
    cancel: &AtomicBool,
    (rows, cols): (&Nodes, Option<&Nodes>),
    out: Option<PyReadwriteArray2<'py, f64>>,
) -> PyResult<Option<Bound<'py, PyArray2<f64>>>> {
    let size = rows.len().saturating_mul(cols.unwrap_or(rows).len());
    match out {
        Some(mut out) => {
            let out = out
                .as_slice_mut()
                .map_err(|_| PyValueError::new_err("Output array must be C-contiguous."))?;
            run(py, size, cancel, || match cols {
                None => plan.kernel_matrix_into(rows, out),
                Some(cols) => plan.cross_matrix_into(rows, cols, out),
            })?;
            Ok(None)
        }
        None => {
            let matrix = run(py, size, cancel, || match cols {
                None => plan.kernel_matrix(rows),
                Some(cols) => plan.cross_matrix(rows, cols),
            })?;
            into_numpy(py, matrix).map(Some)
        }
    }
}

/// `C[i][j] = φ(|aᵢ − bⱼ|)` for the rows of `(p, d)` and `(q, d)` arrays, into `out` (a
/// C-contiguous float64 `(p, q)` array) or a new array.
#[pyfunction]
#[pyo3(signature = (a, b, kernel = "phi", epsilon = None, out = None, threads = None, accuracy = "compensated"))]
#[allow(clippy::too_many_arguments)]
fn cross_matrix<'py>(
    py: Python<'py>,
    a: PyReadonlyArray2<'py, f64>,
    b: PyReadonlyArray2<'py, f64>,
    kernel: &str,
    epsilon: Option<f64>,
    out: Option<PyReadwriteArray2<'py, f64>>,
    threads: Option<usize>,
    accuracy: &str,
) -> PyResult<Option<Bound<'py, PyArray2<f64>>>> {
    let cancel = Arc::new(AtomicBool::new(false));
    let plan = plan(kernel, epsilon, accuracy, threads, &cancel)?;
    let (rows, cols) = (nodes(&a).map_err(to_py)?, nodes(&b).map_err(to_py)?);
    fill(py, &plan, &cancel, (&rows, Some(&cols)), out)
}

/// `Y = C·X` for `C[i][j] = φ(|aᵢ − bⱼ|)` (the kernel matrix of `a` when `b` is `None`),
/// matrix-free: `x` is `(q, k)` C-contiguous, the result `(p, k)`.
#[pyfunction]
#[pyo3(signature = (a, b, x, kernel = "phi", epsilon = None, threads = None, accuracy = "compensated"))]
#[allow(clippy::too_many_arguments)]
fn cross_apply<'py>(
    py: Python<'py>,
    a: PyReadonlyArray2<'py, f64>,
    b: Option<PyReadonlyArray2<'py, f64>>,
    x: PyReadonlyArray2<'py, f64>,
    kernel: &str,
    epsilon: Option<f64>,
    threads: Option<usize>,
    accuracy: &str,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let cancel = Arc::new(AtomicBool::new(false));
    let plan = plan(kernel, epsilon, accuracy, threads, &cancel)?;
    let rows = nodes(&a).map_err(to_py)?;
    let cols = b.as_ref().map(nodes).transpose().map_err(to_py)?;
    let x = x.as_array();
    let k = x.ncols();
    // Rows of right-hand sides as the crate takes them: copied only if not so already.
    let x = x.as_standard_layout();
    let x = x.as_slice().unwrap_or(&[]);
    let p = rows.len();
    let q = cols.as_ref().unwrap_or(&rows).len();
    let size = p.saturating_mul(q).saturating_mul(k);
    let y = run(py, size, &cancel, || {
        let mut y = Vec::new();
        let len = p
            .checked_mul(k)
            .ok_or(Error::SizeOverflow { rows: p, cols: k })?;
        y.try_reserve_exact(len)
            .map_err(|_| Error::WorkspaceAllocationFailed {
                bytes: len.saturating_mul(8),
                available: None,
            })?;
        y.resize(len, 0.0);
        match &cols {
            None => plan.apply_many(&rows, x, k, &mut y)?,
            Some(cols) => plan.cross_apply_many(&rows, cols, x, k, &mut y)?,
        }
        Ok(y)
    })?;
    let y =
        Array2::from_shape_vec((p, k), y).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    Ok(y.into_pyarray(py))
}

/// The interpolator's plan: the crate's default for fits (all threads, `Accuracy::Fast`
/// entries), with this call's thread count and cancel flag.
fn rbf_plan(threads: Option<usize>, cancel: &Arc<AtomicBool>) -> Plan {
    let plan = Plan::new()
        .accuracy(Accuracy::Fast)
        .cancel_on(Arc::clone(cancel));
    match threads {
        Some(threads) => plan.threads(threads),
        None => plan,
    }
}

/// A fitted RBF interpolant (the crate's `RbfInterpolator`): fitted once, evaluated from any
/// number of threads at once (evaluation only reads it).
#[pyclass(frozen, module = "pairkernel._core")]
struct Rbf {
    inner: RbfInterpolator,
}

#[pymethods]
impl Rbf {
    /// Fits values `d` (`(n, m)`, C-contiguous) at points `y` (`(n, dim)`): the arguments as
    /// scipy's `RBFInterpolator` resolves them (ε given, degree given, smoothing per point).
    #[new]
    #[pyo3(signature = (y, d, smoothing, kernel, epsilon, degree, neighbors = None, threads = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        y: PyReadonlyArray2<'_, f64>,
        d: PyReadonlyArray2<'_, f64>,
        smoothing: PyReadonlyArray1<'_, f64>,
        kernel: &str,
        epsilon: f64,
        degree: i32,
        neighbors: Option<usize>,
        threads: Option<usize>,
    ) -> PyResult<Rbf> {
        let cancel = Arc::new(AtomicBool::new(false));
        let points = nodes(&y).map_err(to_py)?;
        let d = d.as_array();
        let m = d.ncols();
        let values = d.as_standard_layout();
        let values = values.as_slice().unwrap_or(&[]);
        let smoothing = smoothing.as_array().to_vec();
        let builder = RbfInterpolator::builder()
            .kernel(kernel)
            .epsilon(epsilon)
            .degree(degree)
            .smoothing_per_point(smoothing)
            .neighbors(neighbors)
            .plan(rbf_plan(threads, &cancel));
        let n = points.len();
        let inner = run(py, n.saturating_mul(n), &cancel, || {
            builder.fit(&points, values, m)
        })?;
        Ok(Rbf { inner })
    }

    /// The interpolant at the rows of `x` (`(p, dim)`): a `(p, m)` array.
    #[pyo3(signature = (x, threads = None))]
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f64>,
        threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let cancel = Arc::new(AtomicBool::new(false));
        let points = nodes(&x).map_err(to_py)?;
        // This call's plan (its own cancel flag), the interpolant shared, not copied.
        let plan = rbf_plan(threads, &cancel);
        let rbf = &self.inner;
        let m = rbf.value_count();
        let p = points.len();
        // The data's size is not known here: evaluations of 4096 points or more are
        // interruptible.
        let size = p.saturating_mul(INTERRUPTIBLE_ABOVE >> 12);
        let values = run(py, size, &cancel, || rbf.evaluate_with(&plan, &points))?;
        let values = Array2::from_shape_vec((p, m), values)
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        Ok(values.into_pyarray(py))
    }

    /// The fitted interpolant as bytes (the crate's saved form, every f64 to the bit).
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes =
            serde_json::to_vec(&self.inner).map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// The interpolant [`Rbf::to_bytes`] saved.
    #[staticmethod]
    fn from_bytes(bytes: &[u8]) -> PyResult<Rbf> {
        let inner =
            serde_json::from_slice(bytes).map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(Rbf { inner })
    }
}

/// A zero `(rows, cols)` float64 array in the crate's memory: 2 MiB aligned and advised for
/// huge pages from 2 MiB on, so every row starts on a cache line when `cols` is a multiple of
/// 8: the fastest reusable `out=`.
#[pyfunction]
fn zeros(py: Python<'_>, rows: usize, cols: usize) -> PyResult<Bound<'_, PyArray2<f64>>> {
    let matrix = KernelMatrix::zeros(rows, cols).map_err(to_py)?;
    into_numpy(py, matrix)
}

/// The SIMD path this process uses (`avx512`, `avx2` or `portable`).
#[pyfunction]
fn simd_path() -> PyResult<String> {
    pairkernel::simd::SimdPath::detected()
        .map(|path| path.to_string())
        .map_err(to_py)
}

/// The module: `pairkernel._core`.
#[pymodule]
fn _core(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(kernel_matrix, module)?)?;
    module.add_function(wrap_pyfunction!(cross_matrix, module)?)?;
    module.add_function(wrap_pyfunction!(cross_apply, module)?)?;
    module.add_function(wrap_pyfunction!(simd_path, module)?)?;
    module.add_function(wrap_pyfunction!(zeros, module)?)?;
    module.add_class::<Rbf>()?;
    module.add("KERNELS", Kernel::NAMES.to_vec())?;
    module.add_class::<MatrixMemory>()?;
    Ok(())
}

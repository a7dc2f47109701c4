//! Where a plan's work runs: the calling thread, the rayon pool the call is made from, or a pool
//! of the plan's own.
//!
//! Parallelism is a value the caller passes, not a global: `threads(1)` runs on the calling
//! thread without touching rayon, `threads(0)` runs in the rayon pool the call is made from (the
//! global pool unless the caller `install`ed another), and `threads(n)` for n ≥ 2 runs in a pool
//! of exactly n threads that the plan starts on first use and its clones share. Every way a pool
//! can fail to start — the plan's own, or rayon's global one, which rayon would otherwise start
//! lazily and panic over — is an [`Error::ThreadPool`].
//!
//! A plan may carry a cancel flag ([`Plan::cancel_on`](crate::Plan::cancel_on)): the loops
//! here look at it before each band or task and skip the rest once it is set, and the call
//! returns [`Error::Cancelled`]. That is how a caller in another thread (a Python binding's
//! Ctrl-C) stops a long call within one band's time.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use rayon::prelude::*;

use crate::error::Error;

/// The most threads a plan accepts: far beyond any machine this crate serves, and few enough
/// that starting them takes milliseconds, not minutes.
pub(crate) const MAX_THREADS: usize = 1024;

/// Whether the bands run on the calling thread or on the current rayon pool, and the flag that
/// stops them early.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Parallelism<'c> {
    /// Bands as rayon tasks in the pool the call runs in; otherwise on the calling thread, in
    /// order, without touching rayon.
    rayon: bool,
    /// Set from elsewhere to stop: bands and tasks not yet started are skipped.
    cancel: Option<&'c AtomicBool>,
}

impl Parallelism<'_> {
    /// The threads the bands may run on at once.
    pub(crate) fn threads(self) -> usize {
        match self.rayon {
            false => 1,
            true => rayon::current_num_threads(),
        }
    }

    /// The cancel flag is set.
    fn cancelled(self) -> bool {
        is_set(self.cancel)
    }

    /// Calls `fill(index, band)` for each run of `band_len` entries of `out` (the last may be
    /// shorter), in order on the calling thread or as rayon tasks: the crate's one band
    /// splitter, for schedules whose bands are disjoint runs of the output. `band_len` ≥ 1.
    pub(crate) fn for_each_band<T: Send>(
        self,
        out: &mut [T],
        band_len: usize,
        fill: impl Fn(usize, &mut [T]) + Sync + Send,
    ) {
        self.for_each_band_erased(out, band_len, &fill);
    }

    /// [`Parallelism::for_each_band`] behind a `dyn` call: rayon's splitting and joining are
    /// compiled once per element type, not once per schedule × kernel × dimension × SIMD path
    /// (each band's work is one call to a compiled task, so the indirect call costs nothing
    /// measurable, while the copies cost minutes of compile time).
    fn for_each_band_erased<T: Send>(
        self,
        out: &mut [T],
        band_len: usize,
        fill: &(dyn Fn(usize, &mut [T]) + Sync),
    ) {
        let fill = |(index, band): (usize, &mut [T])| {
            if !self.cancelled() {
                fill(index, band);
            }
        };
        match self.rayon {
            false => out.chunks_mut(band_len).enumerate().for_each(fill),
            true => out.par_chunks_mut(band_len).enumerate().for_each(fill),
        }
    }

    /// Calls `task(item)` for every item, in order or as rayon tasks: for schedules whose tasks
    /// own disjoint parts of a workspace, handed out beforehand.
    pub(crate) fn for_each_item<T: Send>(self, items: Vec<T>, task: impl Fn(T) + Sync + Send) {
        // Each item in a slot of its own, taken by the one task with its index (so no lock is
        // ever contended): the parallel loop is then `for_each_task`'s one compiled copy.
        let slots: Vec<Mutex<Option<T>>> = items
            .into_iter()
            .map(|item| Mutex::new(Some(item)))
            .collect();
        self.for_each_task(slots.len(), |index| {
            let item = slots[index]
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            if let Some(item) = item {
                task(item);
            }
        });
    }

    /// Calls `task(i)` for every `i` in `0..count`, in order or as rayon tasks: for schedules
    /// whose tasks write through shared windows instead of owning a run of the output.
    pub(crate) fn for_each_task(self, count: usize, task: impl Fn(usize) + Sync + Send) {
        self.for_each_task_erased(count, &task);
    }

    /// [`Parallelism::for_each_task`] behind a `dyn` call (see [`Parallelism::for_each_band_erased`]).
    fn for_each_task_erased(self, count: usize, task: &(dyn Fn(usize) + Sync)) {
        let task = |index| {
            if !self.cancelled() {
                task(index);
            }
        };
        match self.rayon {
            false => (0..count).for_each(task),
            true => (0..count).into_par_iter().for_each(task),
        }
    }
}

/// Whether a cancel flag is there and set. (Relaxed: the flag carries no data, and a band
/// that starts just after it is set only finishes the call a band later.)
fn is_set(cancel: Option<&AtomicBool>) -> bool {
    cancel.is_some_and(|flag| flag.load(Ordering::Relaxed))
}

/// A plan's thread setting, and its dedicated pool once started.
#[derive(Clone, Debug)]
pub(crate) struct Threads {
    count: usize,
    /// The dedicated pool for `count >= 2`, started on first use; shared by clones.
    pool: Arc<OnceLock<rayon::ThreadPool>>,
    /// Stops the work when set (see the module doc).
    cancel: Option<Arc<AtomicBool>>,
}

impl Threads {
    /// `count` threads: 1 the calling thread, 0 the current pool, n ≥ 2 a pool of n.
    pub(crate) fn new(count: usize) -> Threads {
        Threads {
            count,
            pool: Arc::default(),
            cancel: None,
        }
    }

    /// `count` threads (a new pool of them), keeping the cancel flag.
    pub(crate) fn with_count(&self, count: usize) -> Threads {
        Threads {
            cancel: self.cancel.clone(),
            ..Threads::new(count)
        }
    }

    /// The same threads, stopped by `flag` (see the module doc).
    pub(crate) fn with_cancel(self, flag: Arc<AtomicBool>) -> Threads {
        Threads {
            cancel: Some(flag),
            ..self
        }
    }

    /// The count as set.
    pub(crate) fn count(&self) -> usize {
        self.count
    }

    /// [`Error::TooManyThreads`] above [`MAX_THREADS`], before any thread starts.
    pub(crate) fn check(&self) -> Result<(), Error> {
        if self.count > MAX_THREADS {
            return Err(Error::TooManyThreads {
                requested: self.count,
                max: MAX_THREADS,
            });
        }
        Ok(())
    }

    /// Runs `work` on these threads: the calling thread, the current pool, or the own pool.
    ///
    /// # Errors
    /// [`Error::ThreadPool`] if the pool cannot start; [`Error::Cancelled`] if the cancel flag
    /// is set when the work ends (then it may have skipped bands).
    pub(crate) fn run<T: Send>(
        &self,
        work: impl FnOnce(Parallelism<'_>) -> T + Send,
    ) -> Result<T, Error> {
        let mut work = Some(work);
        let mut output = None;
        self.run_erased(&mut |parallelism| {
            if let Some(work) = work.take() {
                output = Some(work(parallelism));
            }
        })?;
        if is_set(self.cancel.as_deref()) {
            return Err(Error::Cancelled);
        }
        Ok(output.expect("run_erased calls its work once when it returns Ok"))
    }

    /// [`Threads::run`] behind a `dyn` call, so that rayon's `install` is compiled once.
    fn run_erased(&self, work: &mut (dyn FnMut(Parallelism<'_>) + Send)) -> Result<(), Error> {
        let cancel = self.cancel.as_deref();
        let serial = Parallelism {
            rayon: false,
            cancel,
        };
        let rayon = Parallelism {
            rayon: true,
            cancel,
        };
        match self.count {
            1 => work(serial),
            0 => {
                current_pool_ready()?;
                work(rayon)
            }
            n => self.own_pool(n)?.install(|| work(rayon)),
        }
        Ok(())
    }

    /// The plan's own pool, started on first use. A failed start is not kept: the next call
    /// tries again (the cause, e.g. a transient thread limit, may have passed).
    fn own_pool(&self, threads: usize) -> Result<&rayon::ThreadPool, Error> {
        if let Some(pool) = self.pool.get() {
            return Ok(pool);
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("pairkernel-{i}"))
            .build()
            .map_err(|e| Error::ThreadPool {
                threads,
                reason: e.to_string(),
            })?;
        // Another clone of the plan may have started one meanwhile: then it is used, and this
        // one is dropped.
        Ok(self.pool.get_or_init(|| pool))
    }
}

/// Checks that rayon has a pool to run `threads(0)` work in: the pool the caller is in, or the
/// global pool, started here if nothing has started it yet.
///
/// Why: rayon starts its global pool lazily on first use and panics ("The global thread pool
/// has not been initialized") if the threads cannot be started — a low process limit, a small
/// address-space limit and a large `RAYON_NUM_THREADS`. Starting it through `build_global`
/// returns that failure as an error instead. The outcome is kept: after a failed start rayon
/// has no global pool for the rest of the process, and every later call says so again.
fn current_pool_ready() -> Result<(), Error> {
    static GLOBAL_POOL: OnceLock<Result<(), (usize, String)>> = OnceLock::new();
    if rayon::current_thread_index().is_some() {
        return Ok(()); // inside a pool (the caller's `install`, or one of ours)
    }
    let started = GLOBAL_POOL.get_or_init(|| {
        match rayon::ThreadPoolBuilder::new().build_global() {
            Ok(()) => Ok(()),
            // Already started (by the caller, another crate or an earlier call), or a start
            // already tried and failed: rayon's only build error without a source says either.
            // Asking the global pool its size tells which: it panics when there is none.
            Err(e) if std::error::Error::source(&e).is_none() => {
                match std::panic::catch_unwind(rayon::current_num_threads) {
                    Ok(_) => Ok(()),
                    Err(_) => Err((
                        global_pool_size(),
                        "an earlier start of rayon's global pool in this process failed".into(),
                    )),
                }
            }
            Err(e) => Err((global_pool_size(), e.to_string())),
        }
    });
    started
        .clone()
        .map_err(|(threads, reason)| Error::ThreadPool { threads, reason })
}

/// The number of threads rayon's global pool is asked for, as rayon reads it:
/// `RAYON_NUM_THREADS`, else the older `RAYON_RS_NUM_CPUS`, if set to a positive number, else the
/// logical CPUs (for the error message only).
fn global_pool_size() -> usize {
    ["RAYON_NUM_THREADS", "RAYON_RS_NUM_CPUS"]
        .iter()
        .find_map(|name| {
            std::env::var(name)
                .ok()?
                .parse::<usize>()
                .ok()
                .filter(|&n| n > 0)
        })
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

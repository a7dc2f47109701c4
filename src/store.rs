//! Stores: how the kernel's lane groups reach the output, plain or streaming.
//!
//! Plain stores first read every cache line they write (read-for-ownership). For an output that
//! does not fit in the last-level cache that is a wasted read from DRAM per line, and for the
//! symmetric schedule's mirrored blocks, whose 64-byte row segments are scattered down a
//! column, a read the prefetchers cannot foresee. Streaming (non-temporal) stores write whole
//! lines without reading them, and leave nothing in cache. Measured on this crate's reference
//! machine (2-core Zen 4, 32 MiB L3, symmetric schedule, output reused call after call,
//! `pairkernel bench --stores plain,streaming`, two threads): plain stores are faster up to
//! N = 1000 (8 MB: 5.09 against 4.90 G entries/s; N = 600: 4.51 against 4.16), streaming ones
//! from N = 1200 (11.5 MB: 4.08 against 3.58) on, by up to 40% at N = 3000. On one thread the
//! two stay within 8% of each other at every N. Into fresh pages they measured the same within
//! 5%. On a 2-core Zen 3 (512 KiB L2, the same 32 MiB L3), after the runtime-dispatch rework,
//! streaming won already at N = 1000 (8 MB: 1.08 against 0.84 G entries/s, symmetric, two
//! threads; 2.12 against 1.81 with `Accuracy::Fast`), and into fresh pages too at N = 1000 and
//! 3000 (0.56 against 0.46 at N = 3000), equal at 10000. The two machines share their L3 size
//! and differ in L2, which puts the crossover of both: by default [`Stores::Auto`] streams
//! into any output, reused or fresh, larger than eight times one core's L2 (4 MiB on Zen 3,
//! 8 MiB on Zen 4: N ≈ 1000 on Zen 4, where plain stores still won), unless the build baked a
//! tuning file's measured thresholds ([`crate::machine::auto_choices`]); see [`choose`].
//!
//! Alignment: a streaming store needs a 32-byte aligned lane group, and writes best whole
//! 64-byte lines, which the symmetric kernel's 8-entry segments are when rows start on a line
//! (a [`KernelMatrix`](crate::KernelMatrix) with N a multiple of 8). Other lane groups are stored
//! plainly, each checked at the store. Streaming still won where rows are not line-aligned
//! (`bench`, two threads: N = 2100 and 3100, rows at 32-byte offsets, 4.53 and 4.64 against 4.03
//! and 3.87 G entries/s plain; N = 3001, rows at every 8-byte offset, 3.61 against 2.88), so
//! `Auto` does not ask for it: the scaling run had shown plain stores there at 1.8 G entries/s
//! on two threads, below one thread. A large `Vec<f64>` from glibc's allocator starts 16 bytes past a
//! 32-byte boundary, so no lane group of it streams: reuse a `KernelMatrix`.
//!
//! Streaming needs `std::arch`: `_mm256_stream_pd` on the AVX paths (`_mm512_stream_pd` for
//! the symmetric kernel's 64-byte-aligned rows of eight on the AVX-512 path), `_mm_stream_pd`
//! (SSE2, the x86-64 baseline) on the portable one ([`Vector::stream`]). Elsewhere the
//! streaming path is the plain one.

use crate::simd::{Vector, fence_streaming_stores};

/// Which stores write the output: a [`Plan`](crate::Plan) setting.
///
/// Every choice gives the same bits; only the speed differs.
///
/// # Platform-specific behavior
/// Streaming stores exist on x86-64 (every SIMD path); elsewhere `Streaming` stores plainly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Stores {
    /// Streaming stores for an output larger than eight times one core's L2 cache, or than a
    /// tuning file's measured thresholds for reused and fresh output where the build had one
    /// ([`machine::auto_choices`](crate::machine::auto_choices)); plain stores for smaller
    /// ones. (Streaming is fastest into a [`KernelMatrix`](crate::KernelMatrix) with a multiple
    /// of 8 columns, whose rows start on cache lines.)
    #[default]
    Auto,
    /// Ordinary stores, which keep the output in cache.
    Plain,
    /// Non-temporal stores for every 32-byte aligned lane group (plain for the others).
    Streaming,
}

/// The L2 assumed where the system does not tell its size: 1 MiB, a Zen 4 core's.
const DEFAULT_L2_BYTES: usize = 1 << 20;

impl Stores {
    /// Whether this platform has streaming stores (x86-64); without them
    /// [`Stores::Streaming`] stores plainly.
    pub fn streaming_available() -> bool {
        STREAMING_AVAILABLE
    }
}

/// Outputs larger than this many bytes stream under [`Stores::Auto`]: eight times one core's
/// L2 cache ([`crate::machine::cache_sizes`], read once), else [`DEFAULT_L2_BYTES`]'s. Eight L2s: measured on Zen 3 and Zen 4, see the module docs.
pub(crate) fn streaming_min_bytes() -> usize {
    static THRESHOLD: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *THRESHOLD.get_or_init(|| crate::machine::cache_sizes().l2.unwrap_or(DEFAULT_L2_BYTES) * 8)
}

/// Whether this platform has a streaming store path at all.
pub(crate) use crate::simd::STREAMING_AVAILABLE;

/// Whether to stream into an output of `len` entries, `fresh` if it was just allocated.
pub(crate) fn choose(stores: Stores, len: usize, fresh: bool) -> bool {
    match stores {
        Stores::Plain => false,
        Stores::Streaming => STREAMING_AVAILABLE,
        Stores::Auto => {
            // A tuning file's measured thresholds, else the rule (streaming_min_bytes).
            let choices = crate::defaults::auto_choices();
            let above = match fresh {
                true => choices.stream_fresh_above_bytes,
                false => choices.stream_reused_above_bytes,
            };
            STREAMING_AVAILABLE && len.saturating_mul(size_of::<f64>()) > above
        }
    }
}

/// A way of storing one lane group; the kernels are generic over it, so the choice is made once
/// per call, not per store.
pub(crate) trait StorePath: Copy + Send + Sync {
    /// Whether the stores write around the cache (non-temporal): then what costs is how the
    /// lines reach memory, not whether the hardware prefetchers foresee them; the symmetric
    /// schedule orders its blocks by it ([`crate::symmetric`]).
    const BYPASSES_CACHE: bool;

    /// Writes the four lanes of `entries` to `dst`.
    fn store_x4<V: Vector>(dst: &mut [f64; 4], entries: V);

    /// Writes an 8 × 8 block, row `k` (a pair of lane groups) to `segments[k]`.
    fn store_block<V: Vector>(segments: [&mut [f64; 8]; 8], rows: [V::Pair; 8]);

    /// Called once by each task after its last store: orders streaming stores before the
    /// task's completion is signalled.
    fn finish();
}

/// Ordinary stores.
#[derive(Clone, Copy)]
pub(crate) struct Plain;

impl StorePath for Plain {
    const BYPASSES_CACHE: bool = false;

    #[inline(always)]
    fn store_x4<V: Vector>(dst: &mut [f64; 4], entries: V) {
        entries.store(dst);
    }

    #[inline(always)]
    fn store_block<V: Vector>(segments: [&mut [f64; 8]; 8], rows: [V::Pair; 8]) {
        for (segment, row) in segments.into_iter().zip(rows) {
            V::store_pair(row, segment);
        }
    }

    #[inline(always)]
    fn finish() {}
}

/// Non-temporal stores for aligned lane groups ([`Vector::stream`]), plain ones for the rest.
#[derive(Clone, Copy)]
pub(crate) struct Streaming;

impl StorePath for Streaming {
    const BYPASSES_CACHE: bool = STREAMING_AVAILABLE;

    #[inline(always)]
    fn store_x4<V: Vector>(dst: &mut [f64; 4], entries: V) {
        entries.stream(dst);
    }

    /// The alignment checked once for the block: its segments all start on 64 bytes (one
    /// streaming store of eight each), or all on 32 (two of four), or all are stored plainly.
    #[inline(always)]
    fn store_block<V: Vector>(segments: [&mut [f64; 8]; 8], rows: [V::Pair; 8]) {
        let addresses = segments.iter().fold(0, |acc, s| acc | s.as_ptr() as usize);
        let rows = segments.into_iter().zip(rows);
        if addresses % 64 == 0 {
            for (segment, row) in rows {
                // SAFETY: every segment starts on 64 bytes (checked above).
                unsafe { V::stream_pair_aligned(row, segment) };
            }
        } else if addresses % 32 == 0 {
            for (segment, row) in rows {
                let [first, second] = V::split(row);
                let (lo, hi) = segment.split_at_mut(4);
                // SAFETY: every segment starts on 32 bytes (checked above), and each half is
                // 32 bytes after its start.
                unsafe {
                    first.stream_aligned(lo.try_into().expect("4 entries"));
                    second.stream_aligned(hi.try_into().expect("4 entries"));
                }
            }
        } else {
            for (segment, row) in rows {
                V::store_pair(row, segment);
            }
        }
    }

    #[inline(always)]
    fn finish() {
        // Streaming stores are not ordered with later stores (such as the one that tells
        // rayon this task is done): `sfence` orders them, so the joining thread sees them.
        fence_streaming_stores();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::Portable;

    #[test]
    fn streaming_stores_write_aligned_and_unaligned_lane_groups_alike() {
        // 4 KiB aligned by the allocator's large-allocation path is not guaranteed; find a
        // 32-byte aligned group inside the buffer, and one that is not.
        let mut buffer = vec![0.0_f64; 64];
        let aligned = buffer.as_ptr().align_offset(32);
        let entries = Portable::from_array([1.0, -2.5, 3.0e300, 0.0]);
        for start in [aligned, aligned + 1, aligned + 2, aligned + 3] {
            buffer.fill(9.0);
            let dst: &mut [f64; 4] = (&mut buffer[start..start + 4]).try_into().unwrap();
            Streaming::store_x4(dst, entries);
            Streaming::finish();
            assert_eq!(&buffer[start..start + 4], &entries.to_array());
            assert!(
                buffer[..start]
                    .iter()
                    .chain(&buffer[start + 4..])
                    .all(|&e| e == 9.0)
            );
        }
    }

    #[test]
    fn the_streaming_threshold_is_a_cache_size() {
        assert!(
            streaming_min_bytes() >= 1 << 18,
            "from sysfs or the default"
        );
    }

    #[test]
    fn auto_streams_only_outputs_above_the_chosen_threshold() {
        let choices = crate::defaults::auto_choices();
        for (fresh, above) in [
            (false, choices.stream_reused_above_bytes),
            (true, choices.stream_fresh_above_bytes),
        ] {
            if choices.source == "built-in" {
                assert_eq!(above, streaming_min_bytes(), "the rule: eight L2s");
            }
            let big = above / 8 + 1;
            assert_eq!(choose(Stores::Auto, big, fresh), STREAMING_AVAILABLE);
            if big > 1 {
                assert!(
                    !choose(Stores::Auto, big - 1, fresh),
                    "at or below the threshold"
                );
            }
            assert!(!choose(Stores::Plain, big, fresh));
            assert_eq!(choose(Stores::Streaming, 4, fresh), STREAMING_AVAILABLE);
        }
    }
}

//! Output memory: where a new matrix's entries live, and why large ones get huge pages.
//!
//! A fresh N×N output is bound by page faults, not arithmetic: on this crate's reference machine
//! a 4 KiB page costs ~1.5 µs to fault in, which caps a fresh fill at ~0.55 G entries/s on two
//! threads, a third of what the kernel computes. Memory advised with `MADV_HUGEPAGE` faults in
//! 2 MiB at a time (the kernel's transparent-huge-page mode is usually `madvise`), reaches
//! 1.3–2.4 G entries/s, and is freed in 2 ms instead of 53 ms at N = 10000.
//!
//! So an output of at least [`HUGE_PAGE_MIN_BYTES`] is an anonymous mapping (`memmap2`), its
//! start aligned to 2 MiB so that every whole 2 MiB stretch of it can be one huge page, advised
//! `MADV_HUGEPAGE` on Linux. Its pages are zero until touched and are first touched by the
//! threads that compute them: no zero-fill pass. Smaller outputs come from the global
//! allocator, zeroed (small zeroed allocations are cheap, and in cache).
//!
//! Before any allocation of [`CHECKED_MIN_BYTES`] or more, the request is compared with what the
//! system can give ([`crate::machine::available_memory`]): under Linux's overcommit a mapping
//! larger than that succeeds, and the kernel kills the process when the fill touches its pages.
//! A refusal is an error the caller can act on instead.
//!
//! The mapping's entries are reached through `bytemuck`'s checked cast of its bytes. The
//! module's two `unsafe` blocks are in [`try_zeroed_vec`], for the small outputs: a zeroed
//! allocation handed to a `Vec`, each with its proof.

use memmap2::MmapMut;

/// Outputs of at least this many bytes are mapped with huge pages: one huge page, 2 MiB. Below
/// it a huge page would be mostly empty, and `malloc` serves the request as fast.
pub(crate) const HUGE_PAGE_MIN_BYTES: usize = HUGE_PAGE_BYTES;

/// The size and alignment of an x86_64 (and most aarch64) transparent huge page.
const HUGE_PAGE_BYTES: usize = 2 << 20;

/// Requests of at least this many bytes (256 MiB) are compared with the memory available
/// first. Smaller ones are not: reading `/proc/meminfo` costs tens of microseconds, which a
/// 256 MiB fill (≥ 30 ms) does not notice, and a system that cannot give 256 MiB is in trouble
/// whatever this crate does.
pub(crate) const CHECKED_MIN_BYTES: usize = 256 << 20;

/// Checks that `bytes` can be had without overcommitting memory: `Err(available)` when the
/// request is at least [`CHECKED_MIN_BYTES`] and more than the system can give. Where the
/// available memory cannot be read, every request passes.
pub(crate) fn check_available(bytes: usize) -> Result<(), u64> {
    if bytes < CHECKED_MIN_BYTES {
        return Ok(());
    }
    match crate::machine::available_memory() {
        Some(available) if (bytes as u64) > available => Err(available),
        _ => Ok(()),
    }
}

/// The entries of a matrix: a `Vec` for small ones, a huge-page mapping for large ones.
pub(crate) enum Entries {
    /// From the global allocator.
    Heap(Vec<f64>),
    /// An anonymous mapping; entries start at byte `offset` (2 MiB aligned), `len` of them.
    Mapped {
        map: MmapMut,
        offset: usize,
        len: usize,
    },
}

impl Entries {
    /// `len` zero entries, or `Err(available)` if the memory cannot be had: `Some(the bytes available)` when
    /// `check_memory` found the request larger than the system can give, `None` when the
    /// allocator refused it. `len * 8` must not overflow (the caller has checked it with
    /// `entry_count`).
    pub(crate) fn zeroed(len: usize, check_memory: bool) -> Result<Entries, Option<u64>> {
        let bytes = len * size_of::<f64>();
        if check_memory {
            check_available(bytes).map_err(Some)?;
        }
        if bytes >= HUGE_PAGE_MIN_BYTES
            && let Some(mapped) = Entries::mapped(bytes)
        {
            return Ok(mapped);
        }
        try_zeroed_vec(len).map(Entries::Heap).ok_or(None)
    }

    /// A mapping with room for `bytes` from a 2 MiB boundary, advised for huge pages.
    fn mapped(bytes: usize) -> Option<Entries> {
        // The advice covers whole huge pages: the last, partial one too. Advising only `bytes`
        // left the tail of the last huge page to 4 KiB faults: at N = 1000 (8 MB, 3.8 huge
        // pages) ~420 faults of ~1.5 µs, a third of a fresh fill's time (measured: the crate at
        // 0.24 G entries/s on two threads against C's 0.96, whose mapping advises whole pages).
        // The slack after the last entry is then backed (at most 2 MiB - 8 bytes), never read.
        let advised = bytes.checked_next_multiple_of(HUGE_PAGE_BYTES)?;
        // Map one huge page more than that, so a 2 MiB aligned start lies inside. The slack
        // before the start is address space only: never touched, so never backed by memory.
        let map = MmapMut::map_anon(advised.checked_add(HUGE_PAGE_BYTES)?).ok()?;
        let offset = map.as_ptr().align_offset(HUGE_PAGE_BYTES);
        #[cfg(target_os = "linux")]
        {
            // Advice only: if the kernel refuses (THP disabled or unsupported), the mapping still
            // works with 4 KiB pages, so the result is ignored.
            let _ = map.advise_range(memmap2::Advice::HugePage, offset, advised);
        }
        Some(Entries::Mapped {
            map,
            offset,
            len: bytes / size_of::<f64>(),
        })
    }

    pub(crate) fn as_slice(&self) -> &[f64] {
        match self {
            Entries::Heap(entries) => entries,
            Entries::Mapped { map, offset, len } => {
                // The cast cannot fail: `offset` is 2 MiB aligned (so is f64-aligned) and the
                // range holds `len * 8` bytes by construction.
                bytemuck::cast_slice(&map[*offset..*offset + len * size_of::<f64>()])
            }
        }
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [f64] {
        match self {
            Entries::Heap(entries) => entries,
            Entries::Mapped { map, offset, len } => {
                bytemuck::cast_slice_mut(&mut map[*offset..*offset + *len * size_of::<f64>()])
            }
        }
    }

    /// Whether the entries live in a huge-page mapping (Linux only advises; whether the kernel
    /// grants huge pages is its decision).
    pub(crate) fn is_mapped(&self) -> bool {
        matches!(self, Entries::Mapped { .. })
    }

    /// The entries as a `Vec`: free for `Heap`; for `Mapped` a copy, allocated fallibly after
    /// the memory check, or `Err((self, available))` (see [`Entries::zeroed`]) with the entries
    /// handed back.
    pub(crate) fn into_vec(self) -> Result<Vec<f64>, (Entries, Option<u64>)> {
        match self {
            Entries::Heap(entries) => Ok(entries),
            mapped @ Entries::Mapped { .. } => match copy_to_vec(mapped.as_slice()) {
                Ok(copy) => Ok(copy),
                Err(available) => Err((mapped, available)),
            },
        }
    }
}

/// A copy of `entries` in a new `Vec`, or `Err(available)` as in [`Entries::zeroed`].
pub(crate) fn copy_to_vec(entries: &[f64]) -> Result<Vec<f64>, Option<u64>> {
    check_available(size_of_val(entries)).map_err(Some)?;
    let mut copy = Vec::new();
    copy.try_reserve_exact(entries.len()).map_err(|_| None)?;
    copy.extend_from_slice(entries);
    Ok(copy)
}

/// A `Vec` of `len` zeros from the allocator's zeroed memory, or `None` if it cannot be had.
///
/// Why not `try_reserve_exact` + `resize(len, 0.0)`: that writes every entry once on the calling
/// thread before the kernel writes it again. Large zeroed allocations come from `mmap` as
/// untouched zero pages, faulted in later by the threads that compute them. (This path now only
/// serves outputs below [`HUGE_PAGE_MIN_BYTES`], and the fallback when a mapping fails.)
fn try_zeroed_vec(len: usize) -> Option<Vec<f64>> {
    if len == 0 {
        return Some(Vec::new());
    }
    // `entry_count` has checked that `len` f64 fit in isize::MAX bytes, so this cannot fail.
    let layout = std::alloc::Layout::array::<f64>(len).ok()?;
    // SAFETY: `layout` has a non-zero size (len > 0 and size_of::<f64>() == 8), as `alloc_zeroed`
    // requires.
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<f64>();
    if ptr.is_null() {
        return None;
    }
    // SAFETY: `ptr` is non-null and was allocated by the global allocator with
    // `Layout::array::<f64>(len)`, the layout a `Vec<f64>` of capacity `len` has (same size and
    // alignment); its `len` elements are initialised, since the all-zero bit pattern is the f64
    // value +0.0; and length == capacity. The Vec takes sole ownership and frees it on drop.
    Some(unsafe { Vec::from_raw_parts(ptr, len, len) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_outputs_are_heap_and_large_ones_are_mapped_aligned_and_zero() {
        let small = Entries::zeroed(HUGE_PAGE_MIN_BYTES / 8 - 1, true).unwrap();
        assert!(!small.is_mapped());
        assert!(small.as_slice().iter().all(|&e| e == 0.0));

        let len = HUGE_PAGE_MIN_BYTES / 8 + 3;
        let mut large = Entries::zeroed(len, true).unwrap();
        assert!(large.is_mapped());
        assert_eq!(large.as_slice().len(), len);
        assert_eq!(large.as_slice().as_ptr().align_offset(HUGE_PAGE_BYTES), 0);
        // The advice covers whole huge pages, the last partial one too: the mapping holds them,
        // and (on Linux, where the kernel took the advice) the advised region reaches their end.
        let Entries::Mapped { map, offset, .. } = &large else {
            unreachable!("checked above")
        };
        let advised = (len * 8).next_multiple_of(HUGE_PAGE_BYTES);
        assert!(map.len() - offset >= advised);
        #[cfg(target_os = "linux")]
        if let Some(end) = huge_page_advice_end(large.as_slice().as_ptr() as usize) {
            assert!(
                end >= large.as_slice().as_ptr() as usize + advised,
                "advice ends at {end:#x}"
            );
        }
        assert!(large.as_slice().iter().all(|&e| e == 0.0));
        large.as_mut_slice()[len - 1] = 7.0;
        let Ok(copied) = large.into_vec() else {
            panic!("a copy of 2 MiB")
        };
        assert_eq!((copied.len(), copied[len - 1], copied[0]), (len, 7.0, 0.0));

        assert!(Entries::zeroed(0, true).unwrap().as_slice().is_empty());
    }

    /// The end of the memory region holding `address` if the kernel marked it for huge pages
    /// (`hg` in its `VmFlags` in `/proc/self/smaps`; an advised range is its own region).
    #[cfg(target_os = "linux")]
    fn huge_page_advice_end(address: usize) -> Option<usize> {
        let smaps = std::fs::read_to_string("/proc/self/smaps").ok()?;
        let mut region = None;
        for line in smaps.lines() {
            let first = line.split_whitespace().next().unwrap_or("");
            if let Some((start, end)) = first.split_once('-')
                && let (Ok(start), Ok(end)) = (
                    usize::from_str_radix(start, 16),
                    usize::from_str_radix(end, 16),
                )
            {
                region = (start..end).contains(&address).then_some(end);
            } else if let Some(flags) = line.strip_prefix("VmFlags:")
                && let Some(end) = region
            {
                return flags.split_whitespace().any(|f| f == "hg").then_some(end);
            }
        }
        None
    }
}

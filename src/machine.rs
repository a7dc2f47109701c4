//! What the crate can learn about the machine it runs on: cache sizes, the CPU's name, and the
//! memory it can still give.
//!
//! [`Stores::Auto`](crate::Stores::Auto) sizes its streaming threshold from the last-level
//! cache; the binary reports all of it (`pairkernel info`) and records it in tuning files.
//! Large allocations are compared with [`available_memory`] first. Read from Linux's sysfs,
//! `/proc/cpuinfo` and `/proc/meminfo`; elsewhere every field is `None`.

use std::path::Path;

/// The data caches of CPU 0, in bytes, as the operating system reports them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheSizes {
    /// Level-1 data cache of one core.
    pub l1d: Option<usize>,
    /// Level-2 cache of one core.
    pub l2: Option<usize>,
    /// Level-3 cache (shared by the cores of a complex).
    pub l3: Option<usize>,
}

impl CacheSizes {
    /// The largest cache reported: the last level.
    pub fn last_level(&self) -> Option<usize> {
        [self.l1d, self.l2, self.l3].into_iter().flatten().max()
    }
}

/// The cache sizes of CPU 0 (Linux: `/sys/devices/system/cpu/cpu0/cache/index*`).
///
/// ```
/// let caches = pairkernel::machine::cache_sizes();
/// if let Some(l2) = caches.l2 {
///     assert!(l2 >= 64 << 10);
/// }
/// ```
pub fn cache_sizes() -> CacheSizes {
    let mut sizes = CacheSizes::default();
    let Ok(entries) = std::fs::read_dir("/sys/devices/system/cpu/cpu0/cache") else {
        return sizes;
    };
    for entry in entries.flatten() {
        let dir = entry.path();
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
        let (Some(level), Some(kind), Some(size)) = (read("level"), read("type"), read("size"))
        else {
            continue;
        };
        let size = parse_cache_size(size.trim());
        match (level.trim(), kind.trim()) {
            ("1", "Data") => sizes.l1d = size,
            ("2", "Data" | "Unified") => sizes.l2 = size,
            ("3", "Data" | "Unified") => sizes.l3 = size,
            _ => {}
        }
    }
    sizes
}

/// The CPU's model name (Linux: the first `model name` of `/proc/cpuinfo`).
pub fn cpu_model() -> Option<String> {
    cpu_model_from(Path::new("/proc/cpuinfo"))
}

/// The memory the system can give without swapping anything out or failing, in bytes: Linux's
/// `MemAvailable` plus `SwapFree` from `/proc/meminfo`; `None` where that cannot be read.
///
/// Under Linux's default overcommit an anonymous mapping larger than this succeeds, and the
/// process is killed when its pages are touched; so the crate refuses such outputs up front
/// (see [`Error::AllocationFailed`](crate::Error::AllocationFailed)).
///
/// ```
/// if let Some(bytes) = pairkernel::machine::available_memory() {
///     assert!(bytes > 0);
/// }
/// ```
pub fn available_memory() -> Option<u64> {
    available_memory_from(&std::fs::read_to_string("/proc/meminfo").ok()?)
}

fn available_memory_from(meminfo: &str) -> Option<u64> {
    let kib = |key: &str| -> Option<u64> {
        let line = meminfo.lines().find(|line| line.starts_with(key))?;
        line[key.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    let available = kib("MemAvailable:")?;
    available
        .checked_add(kib("SwapFree:").unwrap_or(0))?
        .checked_mul(1024)
}

fn cpu_model_from(cpuinfo: &Path) -> Option<String> {
    let text = std::fs::read_to_string(cpuinfo).ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map(|(_, name)| name.trim().to_string())
}

/// `"32768K"`, `"1M"` or `"512"` (bytes), as sysfs writes cache sizes, in bytes.
fn parse_cache_size(text: &str) -> Option<usize> {
    let (digits, unit) = match text.as_bytes().last()? {
        b'K' => (&text[..text.len() - 1], 1 << 10),
        b'M' => (&text[..text.len() - 1], 1 << 20),
        b'G' => (&text[..text.len() - 1], 1 << 30),
        _ => (text, 1),
    };
    digits.parse::<usize>().ok()?.checked_mul(unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_sizes_parse_as_sysfs_writes_them() {
        assert_eq!(parse_cache_size("32768K"), Some(32 << 20));
        assert_eq!(parse_cache_size("1M"), Some(1 << 20));
        assert_eq!(parse_cache_size("512"), Some(512));
        assert_eq!(parse_cache_size("K"), None);
        assert_eq!(parse_cache_size("lots"), None);
        let sizes = CacheSizes {
            l1d: Some(48 << 10),
            l2: Some(1 << 20),
            l3: None,
        };
        assert_eq!(sizes.last_level(), Some(1 << 20));
        assert_eq!(CacheSizes::default().last_level(), None);
    }

    #[test]
    fn available_memory_is_mem_available_plus_free_swap() {
        let meminfo = "MemTotal:       24000000 kB\nMemFree:  100 kB\nMemAvailable:   20000000 kB\n\
                       SwapTotal: 4 kB\nSwapFree:        1000 kB\n";
        assert_eq!(available_memory_from(meminfo), Some(20_001_000 * 1024));
        assert_eq!(available_memory_from("MemAvailable: 3 kB\n"), Some(3072));
        assert_eq!(available_memory_from("MemTotal: 3 kB\n"), None);
        assert_eq!(available_memory_from("MemAvailable: lots\n"), None);
    }

    #[test]
    fn the_model_name_is_the_first_one() {
        let dir = std::env::temp_dir().join(format!("pairkernel-cpuinfo-{}", std::process::id()));
        std::fs::write(
            &dir,
            "processor\t: 0\nmodel name\t: AMD EPYC 9R14\nmodel name\t: other\n",
        )
        .unwrap();
        assert_eq!(cpu_model_from(&dir).as_deref(), Some("AMD EPYC 9R14"));
        std::fs::remove_file(&dir).unwrap();
        assert_eq!(cpu_model_from(Path::new("/no/such/cpuinfo")), None);
    }
}

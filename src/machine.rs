//! What the crate can learn about the machine it runs on: cache sizes and the CPU's name.
//!
//! [`Stores::Auto`](crate::Stores::Auto) sizes its streaming threshold from the last-level
//! cache; the binary reports all of it (`pairkernel info`) and records it in tuning files. Read
//! from Linux's sysfs and `/proc/cpuinfo`; elsewhere every field is `None`.

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

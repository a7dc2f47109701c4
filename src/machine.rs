//! What the crate can learn about the machine it runs on: cache sizes, the CPU's name, and the
//! memory it can still give.
//!
//! [`Stores::Auto`](crate::Stores::Auto) sizes its streaming threshold from the L2 cache unless
//! a tuning file measured it ([`auto_choices`] tells what the `Auto` settings choose); the
//! binary reports all of it (`pairkernel info`) and records it in tuning files.
//! Large allocations are compared with [`available_memory`] first. Read from Linux's sysfs,
//! `/proc/cpuinfo` and `/proc/meminfo`; elsewhere every field is `None`.

use std::path::Path;

pub use crate::defaults::{AutoChoices, SYMMETRIC_BAND_ROWS, auto_choices};

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

/// The memory this process can still get without failing or being killed, in bytes: Linux's
/// `MemAvailable` plus `SwapFree` from `/proc/meminfo`, or less where the process's memory
/// cgroup (a container's limit, v2 `memory.max` or v1 `memory.limit_in_bytes`, at its own level
/// or any level above) leaves less room; `None` where `/proc/meminfo` cannot be read (not
/// Linux: there the crate's requests are not checked).
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
    let system = available_memory_from(&std::fs::read_to_string("/proc/meminfo").ok()?)?;
    let cgroup = std::fs::read_to_string("/proc/self/cgroup")
        .ok()
        .and_then(|cgroups| cgroup_headroom(&cgroups, Path::new("/sys/fs/cgroup")));
    Some(cgroup.map_or(system, |headroom| headroom.min(system)))
}

/// The least room (limit − usage) over the memory cgroup of this process and its ancestors,
/// given `/proc/self/cgroup`'s text and where the cgroup file systems are mounted; `None` if no
/// level sets a limit (or none can be read).
fn cgroup_headroom(cgroups: &str, mount: &Path) -> Option<u64> {
    // v2: "0::/path", files memory.max ("max" for none) and memory.current.
    // v1: "N:…memory…:/path" under mount/memory, memory.limit_in_bytes (a huge number for none)
    // and memory.usage_in_bytes.
    let fields = |line: &'_ str| -> Option<(String, String)> {
        let mut fields = line.splitn(3, ':');
        let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
        Some((controllers.to_string(), path.to_string()))
    };
    let entries: Vec<(String, String)> = cgroups.lines().filter_map(fields).collect();
    let v1 = entries
        .iter()
        .find(|(controllers, _)| controllers.split(',').any(|c| c == "memory"));
    let v2 = entries
        .iter()
        .find(|(controllers, _)| controllers.is_empty());
    let (root, path, limit_file, usage_file) = match (v1, v2) {
        (Some((_, path)), _) => (
            mount.join("memory"),
            path,
            "memory.limit_in_bytes",
            "memory.usage_in_bytes",
        ),
        (None, Some((_, path))) => (mount.to_path_buf(), path, "memory.max", "memory.current"),
        (None, None) => return None,
    };
    // In a cgroup namespace the path may not exist below the mount: then the mount's own level
    // is the process's.
    let mut dir = root.join(path.trim_start_matches('/'));
    if !dir.is_dir() {
        dir = root.clone();
    }
    let read = |dir: &Path, name: &str| -> Option<u64> {
        std::fs::read_to_string(dir.join(name))
            .ok()?
            .trim()
            .parse()
            .ok()
    };
    let mut least: Option<u64> = None;
    loop {
        // "max" (v2) does not parse: no limit at this level. v1 writes about 2^63 for none.
        if let (Some(limit), Some(usage)) = (read(&dir, limit_file), read(&dir, usage_file))
            && limit < 1 << 62
        {
            let room = limit.saturating_sub(usage);
            least = Some(least.map_or(room, |l| l.min(room)));
        }
        if dir == root || !dir.pop() || !dir.starts_with(&root) {
            break;
        }
    }
    least
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

/// Writes `1.0` to every entry of `out` (rows of `cols` entries) with `plan`'s threads, row
/// bands and stores, and no arithmetic: the time it takes is the floor under any kernel fill of
/// the same memory on the same threads. The binary's `bench` subcommand reports each kernel
/// time against it.
///
/// To measure the floor of new memory, allocate it with
/// [`KernelMatrix::zeros`](crate::KernelMatrix::zeros) just before.
///
/// ```
/// use pairkernel::{KernelMatrix, Plan, machine};
/// let mut out = KernelMatrix::zeros(100, 100)?;
/// machine::fill_floor(&Plan::new(), out.as_mut_slice(), 100)?;
/// assert!(out.as_slice().iter().all(|&v| v == 1.0));
/// # Ok::<(), pairkernel::Error>(())
/// ```
///
/// # Errors
/// [`Error::RaggedOutput`](crate::Error::RaggedOutput) if `out.len()` is not a multiple of
/// `cols` (`cols` = 0 needs an empty `out`); [`Error::InvalidTile`](crate::Error::InvalidTile),
/// [`Error::ThreadPool`](crate::Error::ThreadPool).
pub fn fill_floor<K: crate::KernelChoice>(
    plan: &crate::Plan<K>,
    out: &mut [f64],
    cols: usize,
) -> Result<(), crate::Error> {
    plan.fill_constant(out, cols)
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
    fn cgroup_limits_at_any_level_bound_the_headroom() {
        let base = std::env::temp_dir().join(format!("pairkernel-cgroup-{}", std::process::id()));
        let write = |dir: &Path, name: &str, value: &str| {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join(name), value).unwrap();
        };
        // v2: the parent limits to 10 GiB with 4 used; the process's own level has no limit.
        let v2 = base.join("v2");
        write(&v2, "memory.max", "max\n");
        write(&v2, "memory.current", "1\n");
        write(&v2.join("box"), "memory.max", "10737418240\n");
        write(&v2.join("box"), "memory.current", "4294967296\n");
        write(&v2.join("box/job"), "memory.max", "max\n");
        write(&v2.join("box/job"), "memory.current", "100\n");
        assert_eq!(cgroup_headroom("0::/box/job\n", &v2), Some(6 << 30));
        assert_eq!(cgroup_headroom("0::/\n", &v2), None);
        // v1: the memory controller's own hierarchy; a path missing below the mount (a cgroup
        // namespace) reads the mount's level; an "unlimited" 2^63 − 4096 is no limit.
        let v1 = base.join("v1");
        write(
            &v1.join("memory"),
            "memory.limit_in_bytes",
            "9223372036854771712\n",
        );
        write(&v1.join("memory"), "memory.usage_in_bytes", "5\n");
        write(&v1.join("memory/ci"), "memory.limit_in_bytes", "3000\n");
        write(&v1.join("memory/ci"), "memory.usage_in_bytes", "1000\n");
        let cgroups = "4:memory:/ci\n3:cpuset:/\n0::/\n";
        assert_eq!(cgroup_headroom(cgroups, &v1), Some(2000));
        assert_eq!(cgroup_headroom("4:cpu,memory:/elsewhere\n", &v1), None);
        assert_eq!(cgroup_headroom("1:cpu:/\n", &v1), None);
        std::fs::remove_dir_all(&base).unwrap();
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

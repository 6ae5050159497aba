//! The resource limits of a program under test, and `--limit` to change them.
//!
//! The defaults stop a runaway program without getting in the way of a correct one in
//! any language: a JVM or a thread-per-client server under a crowd of 256 clients stays
//! far below them. The address space is not limited by default because the JVM and Go
//! reserve far more than they use.

use serde::{Deserialize, Serialize};

/// Resource limits for an untrusted program (applied by process.rs and contain.rs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// CPU seconds (RLIMIT_CPU): past it the kernel sends SIGXCPU.
    pub cpu_seconds: u64,
    /// Bytes one file may grow to (RLIMIT_FSIZE): a log that fills the disk stops here.
    pub file_size: u64,
    /// Open file descriptors (RLIMIT_NOFILE), sockets included.
    pub open_files: u64,
    /// Processes and threads of the program and everything it starts: a fork bomb
    /// stops here (a pids cgroup where the machine has one, else RLIMIT_NPROC; see
    /// contain.rs).
    pub processes: u64,
    /// Bytes of address space (RLIMIT_AS), if limited.
    pub address_space: Option<u64>,
    /// Bytes of memory of the program and everything it starts (its cgroup's memory
    /// limit, where a memory cgroup can be had; files in its tmpfs folders count).
    #[serde(default = "default_memory")]
    pub memory: Option<u64>,
    /// Bytes it may write in all: the size of its own folder and of its private /tmp,
    /// each a tmpfs of this size where the sandbox can mount one.
    #[serde(default = "default_disk")]
    pub disk: u64,
}

fn default_memory() -> Option<u64> {
    Some(512 << 20)
}

fn default_disk() -> u64 {
    256 << 20
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            cpu_seconds: 60,
            file_size: 256 << 20,
            open_files: 4096,
            processes: 1024,
            address_space: None,
            memory: default_memory(),
            disk: default_disk(),
        }
    }
}

/// The keys of `--limit KEY=VALUE`.
const KEYS: &str =
    "cpu (seconds), fsize (bytes: 64M), nofile, nproc, as (bytes, or none), mem (bytes, or none), disk (bytes)";

/// One `--limit` argument: `cpu=30,fsize=64M,nofile=1024,nproc=256,as=2G`.
#[derive(Clone, Debug, Default)]
pub struct LimitArg(Vec<(Key, Option<u64>)>);

#[derive(Clone, Copy, Debug)]
enum Key {
    Cpu,
    FileSize,
    OpenFiles,
    Processes,
    AddressSpace,
    Memory,
    Disk,
}

/// The clap value parser of `--limit`.
pub fn parse_limit(text: &str) -> Result<LimitArg, String> {
    let mut set = Vec::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let Some((key, value)) = item.split_once('=') else {
            return Err(format!("{item:?} is not KEY=VALUE; keys are {KEYS}"));
        };
        let key = match key.trim() {
            "cpu" => Key::Cpu,
            "fsize" => Key::FileSize,
            "nofile" => Key::OpenFiles,
            "nproc" => Key::Processes,
            "as" => Key::AddressSpace,
            "mem" => Key::Memory,
            "disk" => Key::Disk,
            other => return Err(format!("there is no limit {other:?}; keys are {KEYS}")),
        };
        let value = value.trim();
        let none = matches!(value, "none" | "unlimited");
        let parsed = match key {
            Key::AddressSpace | Key::Memory if none => None,
            Key::Cpu => Some(parse_seconds(value)?),
            Key::FileSize | Key::AddressSpace | Key::Memory | Key::Disk => Some(parse_bytes(value)?),
            Key::OpenFiles | Key::Processes => Some(parse_count(value)?),
        };
        set.push((key, parsed));
    }
    if set.is_empty() {
        return Err(format!("no limit given; keys are {KEYS}"));
    }
    Ok(LimitArg(set))
}

impl Limits {
    /// These limits with every `--limit` applied, later ones winning.
    pub fn with(mut self, args: &[LimitArg]) -> Limits {
        for (key, value) in args.iter().flat_map(|a| a.0.iter()) {
            match (key, value) {
                (Key::Cpu, Some(v)) => self.cpu_seconds = *v,
                (Key::FileSize, Some(v)) => self.file_size = *v,
                (Key::OpenFiles, Some(v)) => self.open_files = *v,
                (Key::Processes, Some(v)) => self.processes = *v,
                (Key::AddressSpace, v) => self.address_space = *v,
                (Key::Memory, v) => self.memory = *v,
                (Key::Disk, Some(v)) => self.disk = *v,
                (_, None) => {}
            }
        }
        self
    }

    /// One line for the report's notes: `cpu=60s fsize=256M ...`.
    pub fn describe(&self) -> String {
        let space = self.address_space.map(size).unwrap_or_else(|| "unlimited".to_string());
        let memory = self.memory.map(size).unwrap_or_else(|| "unlimited".to_string());
        format!(
            "cpu={}s fsize={} nofile={} nproc={} as={space} mem={memory} disk={}",
            self.cpu_seconds,
            size(self.file_size),
            self.open_files,
            self.processes,
            size(self.disk)
        )
    }
}

/// `268435456` -> `256M`.
pub fn size(bytes: u64) -> String {
    for (unit, shift) in [("G", 30), ("M", 20), ("K", 10)] {
        if bytes >= 1 << shift && bytes.is_multiple_of(1 << shift) {
            return format!("{}{unit}", bytes >> shift);
        }
    }
    bytes.to_string()
}

fn parse_count(value: &str) -> Result<u64, String> {
    match value.parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("{value:?} is not a count of at least 1")),
    }
}

fn parse_seconds(value: &str) -> Result<u64, String> {
    parse_count(value.strip_suffix('s').unwrap_or(value))
        .map_err(|_| format!("{value:?} is not a whole number of seconds"))
}

fn parse_bytes(value: &str) -> Result<u64, String> {
    let caps = value.to_ascii_uppercase();
    let digits = caps.trim_end_matches(['B', 'I']);
    let (number, shift) = match digits.chars().last() {
        Some('K') => (&digits[..digits.len() - 1], 10),
        Some('M') => (&digits[..digits.len() - 1], 20),
        Some('G') => (&digits[..digits.len() - 1], 30),
        _ => (digits, 0),
    };
    number
        .parse::<u64>()
        .ok()
        .filter(|n| *n >= 1)
        .and_then(|n| n.checked_mul(1 << shift))
        .ok_or_else(|| format!("{value:?} is not a size such as 65536, 512K, 64M or 2G"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_apply_in_order_and_leave_the_rest() {
        let args = [parse_limit("cpu=30,fsize=64M").unwrap(), parse_limit("nproc=50, as=1G, cpu=5s").unwrap()];
        let limits = Limits::default().with(&args);
        assert_eq!(limits.cpu_seconds, 5);
        assert_eq!(limits.file_size, 64 << 20);
        assert_eq!(limits.processes, 50);
        assert_eq!(limits.address_space, Some(1 << 30));
        assert_eq!(limits.open_files, Limits::default().open_files);
        assert_eq!(limits.describe(), "cpu=5s fsize=64M nofile=4096 nproc=50 as=1G mem=512M disk=256M");
        let raised = Limits::default().with(&[parse_limit("mem=2G,disk=1G").unwrap()]);
        assert_eq!((raised.memory, raised.disk), (Some(2 << 30), 1 << 30));
        assert_eq!(Limits::default().with(&[parse_limit("mem=none").unwrap()]).memory, None);
        let none = Limits::default().with(&[parse_limit("as=2G").unwrap(), parse_limit("as=none").unwrap()]);
        assert_eq!(none.address_space, None);
    }

    #[test]
    fn bad_limits_say_what_is_wrong() {
        assert!(parse_limit("cpu").unwrap_err().contains("KEY=VALUE"));
        assert!(parse_limit("ram=1G").unwrap_err().contains("no limit \"ram\""));
        assert!(parse_limit("fsize=lots").unwrap_err().contains("not a size"));
        assert!(parse_limit("nproc=0").unwrap_err().contains("at least 1"));
        assert!(parse_limit("").unwrap_err().contains("no limit given"));
        assert_eq!(parse_bytes("512KiB"), Ok(512 << 10));
    }
}

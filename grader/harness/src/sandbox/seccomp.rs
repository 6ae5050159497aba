//! The system calls a program under test may not make, as seccomp filters compiled by
//! `seccompiler` (rust-vmm's, the one Firecracker uses) and loaded by bubblewrap
//! (`--add-seccomp-fd`), or by the grader itself where bubblewrap is missing.
//!
//! A deny list, not an allow list: the programs are written in any language (a JVM,
//! CPython, Go, a Rust binary), and an allow list that fits all of them is long and
//! breaks with every runtime update. What is denied is what a socket program never
//! needs and what an escape needs: other namespaces (`setns`, `unshare`, namespace
//! flags of `clone`), mounts, tracing and reading other processes' memory, loading
//! kernel code (modules, BPF, kexec), the kernel's keyring, and the interfaces with a
//! history of kernel bugs reachable without privileges (`userfaultfd`, `io_uring`,
//! `perf_event_open`). Denied calls fail with EPERM, so a program sees an ordinary
//! error, not a crash. `clone3` fails with ENOSYS instead: its flags are in memory,
//! where seccomp cannot read them, and ENOSYS makes the C library fall back to
//! `clone`, whose flags the filter does check.

use std::collections::BTreeMap;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter, SeccompRule, TargetArch,
};

/// The namespace flags of `clone` and `unshare`.
const NAMESPACE_FLAGS: [libc::c_int; 7] = [
    libc::CLONE_NEWUSER,
    libc::CLONE_NEWNS,
    libc::CLONE_NEWPID,
    libc::CLONE_NEWNET,
    libc::CLONE_NEWIPC,
    libc::CLONE_NEWUTS,
    libc::CLONE_NEWCGROUP,
];

/// Denied outright (EPERM), whatever their arguments.
fn denied() -> Vec<i64> {
    let mut calls = vec![
        // Namespaces and mounts: the sandbox's own walls.
        libc::SYS_setns,
        libc::SYS_unshare,
        libc::SYS_mount,
        libc::SYS_umount2,
        libc::SYS_pivot_root,
        libc::SYS_chroot,
        libc::SYS_open_tree,
        libc::SYS_move_mount,
        libc::SYS_fsopen,
        libc::SYS_fsconfig,
        libc::SYS_fsmount,
        libc::SYS_fspick,
        libc::SYS_mount_setattr,
        // Other processes: tracing, reading and writing their memory.
        libc::SYS_ptrace,
        libc::SYS_process_vm_readv,
        libc::SYS_process_vm_writev,
        libc::SYS_kcmp,
        libc::SYS_pidfd_getfd,
        // Kernel code and state.
        libc::SYS_bpf,
        libc::SYS_init_module,
        libc::SYS_finit_module,
        libc::SYS_delete_module,
        libc::SYS_kexec_load,
        libc::SYS_kexec_file_load,
        libc::SYS_reboot,
        libc::SYS_swapon,
        libc::SYS_swapoff,
        libc::SYS_acct,
        libc::SYS_syslog,
        libc::SYS_quotactl,
        libc::SYS_keyctl,
        libc::SYS_add_key,
        libc::SYS_request_key,
        libc::SYS_settimeofday,
        libc::SYS_clock_settime,
        libc::SYS_clock_adjtime,
        // Files by handle, past every path check (the "shocker" container escape).
        libc::SYS_open_by_handle_at,
        libc::SYS_name_to_handle_at,
        // Reachable without privileges, and often where kernel bugs were.
        libc::SYS_userfaultfd,
        libc::SYS_perf_event_open,
        libc::SYS_io_uring_setup,
        libc::SYS_io_uring_enter,
        libc::SYS_io_uring_register,
    ];
    #[cfg(target_arch = "x86_64")]
    calls.extend([libc::SYS_iopl, libc::SYS_ioperm, libc::SYS_lookup_dcookie]);
    calls
}

/// The x32 ABI of x86_64 numbers its calls with bit 30 set, under the same audit
/// architecture, so a filter of x86_64 numbers alone would not see them; a few have
/// numbers of their own (512 and up). Where the kernel has no x32 ABI these never match.
#[cfg(target_arch = "x86_64")]
fn x32(calls: &[i64]) -> Vec<i64> {
    const X32_BIT: i64 = 0x4000_0000;
    // ptrace, kexec_load, process_vm_readv and process_vm_writev in the x32 table.
    let own = [521, 528, 539, 540];
    calls.iter().map(|nr| nr | X32_BIT).chain(own.iter().map(|nr| nr | X32_BIT)).collect()
}

#[cfg(not(target_arch = "x86_64"))]
fn x32(_calls: &[i64]) -> Vec<i64> {
    Vec::new()
}

fn arch() -> Result<TargetArch, String> {
    std::env::consts::ARCH
        .try_into()
        .map_err(|_| format!("seccomp filters are not built for {} here", std::env::consts::ARCH))
}

/// The filter that answers EPERM: every call of `denied`, and `clone` with any
/// namespace flag.
pub fn deny_filter() -> Result<BpfProgram, String> {
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    let plain = denied();
    for nr in x32(&plain).into_iter().chain(plain) {
        rules.insert(nr, Vec::new());
    }
    // clone(flags, ...): one rule per flag, any of which denies the call. The flags are
    // the first argument on every architecture the grader builds for.
    let flag_rules = NAMESPACE_FLAGS
        .iter()
        .map(|&flag| {
            let flag = flag as u64;
            SeccompCondition::new(0, SeccompCmpArgLen::Qword, SeccompCmpOp::MaskedEq(flag), flag)
                .and_then(|c| SeccompRule::new(vec![c]))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("cannot build the clone rule: {e}"))?;
    rules.insert(libc::SYS_clone, flag_rules);
    compile(rules, libc::EPERM)
}

/// The filter that answers ENOSYS to `clone3` (see the module's comment).
pub fn clone3_filter() -> Result<BpfProgram, String> {
    compile(BTreeMap::from([(libc::SYS_clone3, Vec::new())]), libc::ENOSYS)
}

fn compile(rules: BTreeMap<i64, Vec<SeccompRule>>, errno: libc::c_int) -> Result<BpfProgram, String> {
    let filter = SeccompFilter::new(rules, SeccompAction::Allow, SeccompAction::Errno(errno as u32), arch()?)
        .map_err(|e| format!("cannot build the seccomp filter: {e}"))?;
    filter.try_into().map_err(|e| format!("cannot compile the seccomp filter: {e}"))
}

/// Both filters, compiled once: the deny list, then `clone3`.
pub fn programs() -> Result<&'static [BpfProgram; 2], String> {
    static COMPILED: std::sync::OnceLock<Result<[BpfProgram; 2], String>> = std::sync::OnceLock::new();
    COMPILED.get_or_init(|| Ok([deny_filter()?, clone3_filter()?])).as_ref().map_err(Clone::clone)
}

/// Loads both filters into the calling process, for a program started without
/// bubblewrap: between fork and exec, so it allocates nothing (no_new_privs is set
/// first, as an unprivileged process must).
pub fn apply(programs: &[BpfProgram; 2]) -> std::io::Result<()> {
    for program in programs {
        seccompiler::apply_filter(program).map_err(|e| match e {
            seccompiler::Error::Prctl(io) | seccompiler::Error::Seccomp(io) => io,
            _ => std::io::Error::from_raw_os_error(libc::EINVAL),
        })?;
    }
    Ok(())
}

/// A compiled filter as the bytes bubblewrap reads from `--add-seccomp-fd`: the
/// `struct sock_filter` array, in native byte order.
pub fn to_bytes(program: &BpfProgram) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(program.len() * 8);
    for instruction in program {
        bytes.extend_from_slice(&instruction.code.to_ne_bytes());
        bytes.push(instruction.jt);
        bytes.push(instruction.jf);
        bytes.extend_from_slice(&instruction.k.to_ne_bytes());
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_filters_compile_and_serialise_to_whole_instructions() {
        let deny = deny_filter().unwrap();
        let clone3 = clone3_filter().unwrap();
        assert!(deny.len() > denied().len(), "one test per denied call at least");
        assert_eq!(to_bytes(&deny).len(), deny.len() * 8);
        assert_eq!(to_bytes(&clone3).len(), clone3.len() * 8);
    }

    /// Loads the filters in a child process (a filter can never be removed) and checks
    /// what a program under test would see.
    #[test]
    fn a_filtered_process_cannot_unshare_or_trace_but_can_start_threads() {
        let deny = deny_filter().unwrap();
        let clone3 = clone3_filter().unwrap();
        // SAFETY: fork in a test; the child only makes system calls and exits.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            let code = (|| {
                // SAFETY: plain prctl.
                if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
                    return 10;
                }
                if seccompiler::apply_filter(&deny).is_err() || seccompiler::apply_filter(&clone3).is_err() {
                    return 11;
                }
                // SAFETY: system calls the filter must refuse.
                unsafe {
                    if libc::unshare(libc::CLONE_NEWUSER) == 0 || *libc::__errno_location() != libc::EPERM {
                        return 12;
                    }
                    if libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) == 0 {
                        return 13;
                    }
                    if libc::syscall(libc::SYS_clone3, 0, 0) != -1 || *libc::__errno_location() != libc::ENOSYS {
                        return 14;
                    }
                }
                // Threads still start (the C library falls back from clone3 to clone).
                match std::thread::spawn(|| 7).join() {
                    Ok(7) => 0,
                    _ => 15,
                }
            })();
            // SAFETY: leave the forked test process without running the harness's exit.
            unsafe { libc::_exit(code) };
        }
        let mut status = 0;
        // SAFETY: waiting for our own child.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        assert!(libc::WIFEXITED(status), "the filtered child died: {status}");
        assert_eq!(libc::WEXITSTATUS(status), 0, "see the numbered steps of the child");
    }
}

//! This process as a lease holder, and which holders are provably gone: a sync lease held by a
//! process that crashed on this very machine, in this very process namespace, is taken over at
//! once.
//!
//! The owner reads `host:pid`, followed on Linux by `/` and a marker of the machine's boot and
//! the process namespace (`boot-nsinode`): two VMs cloned with the same host name, or two
//! containers of one pod, have different markers, and neither can judge the other's pids.

use std::path::Path;

use aviary_domain::ports::LeaseHolders;

/// This host's name: `HOSTNAME`, else `/etc/hostname`, else `localhost`.
fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// This boot of this machine and this process namespace (Linux), e.g. `a2bcb0c4-4026531836`;
/// `None` where they cannot be read.
fn namespace_marker() -> Option<String> {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let namespace = std::fs::read_link("/proc/self/ns/pid").ok()?;
    let inode: String = namespace
        .to_string_lossy()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let boot = boot.trim().get(..8)?.to_owned();
    (!inode.is_empty()).then(|| format!("{boot}-{inode}"))
}

/// This process, as named in sync leases.
pub(crate) fn process_owner() -> String {
    let holder = format!("{}:{}", host_name(), std::process::id());
    match namespace_marker() {
        Some(marker) => format!("{holder}/{marker}"),
        None => holder,
    }
}

/// Holders of this machine and process namespace, checked in `/proc` (Linux). Elsewhere, or
/// when `/proc` hides other users' processes, nothing is provably gone.
#[derive(Debug, Clone)]
pub(crate) struct LocalProcesses {
    host: String,
    marker: Option<String>,
}

impl LocalProcesses {
    pub(crate) fn new() -> Self {
        Self {
            host: host_name(),
            marker: namespace_marker(),
        }
    }
}

impl LeaseHolders for LocalProcesses {
    fn is_gone(&self, owner: &str) -> bool {
        let Some(ours) = self.marker.as_deref() else {
            return false;
        };
        let Some((holder, marker)) = owner.rsplit_once('/') else {
            return false;
        };
        let Some((host, pid)) = holder.rsplit_once(':') else {
            return false;
        };
        let Ok(pid) = pid.parse::<u32>() else {
            return false;
        };
        // `hidepid` hides other users' processes; pid 1 always exists, so its absence shows it.
        let proc_shows_all = Path::new("/proc/1").exists();
        marker == ours
            && host == self.host
            && pid != std::process::id()
            && proc_shows_all
            && !Path::new("/proc").join(pid.to_string()).exists()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_process_of_this_machine_and_namespace_that_no_longer_runs_is_gone() {
        let local = LocalProcesses::new();
        let Some(marker) = local.marker.clone() else {
            // Not Linux: nothing can be proven gone.
            assert!(!local.is_gone(&process_owner()));
            return;
        };
        let here = |pid: u32| format!("{}:{pid}/{marker}", local.host);
        assert!(!local.is_gone(&process_owner()), "this process runs");
        assert!(!local.is_gone(&here(1)), "pid 1 always runs");
        // Above the kernel's pid_max (at most 2^22): no process can have it.
        assert!(local.is_gone(&here(999_999_999)));
        let elsewhere = format!("{}:999999999/00000000-1", local.host);
        assert!(!local.is_gone(&elsewhere), "another boot or namespace");
        assert!(
            !local.is_gone(&format!("{}:999999999", local.host)),
            "no marker"
        );
        assert!(!local.is_gone(&format!("another-host:999999999/{marker}")));
        assert!(!local.is_gone("no pid here"));
    }
}

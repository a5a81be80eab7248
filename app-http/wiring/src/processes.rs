//! This process as a lease holder (`host:pid`), and which holders of this host are gone: a
//! sync lease held by a process that crashed on this very host is taken over at once.

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

/// This process, as named in sync leases: host and pid.
pub(crate) fn process_owner() -> String {
    format!("{}:{}", host_name(), std::process::id())
}

/// Holders of this host, checked in `/proc` (Linux). Elsewhere nothing is provably gone.
#[derive(Debug, Clone)]
pub(crate) struct LocalProcesses {
    host: String,
}

impl LocalProcesses {
    pub(crate) fn new() -> Self {
        Self { host: host_name() }
    }
}

impl LeaseHolders for LocalProcesses {
    fn is_gone(&self, owner: &str) -> bool {
        let Some((host, pid)) = owner.rsplit_once(':') else {
            return false;
        };
        let Ok(pid) = pid.parse::<u32>() else {
            return false;
        };
        // Two containers given the same host name would see each other as gone; the lease's
        // fencing token still refuses every write of the holder it was taken from.
        host == self.host
            && pid != std::process::id()
            && Path::new("/proc/self").exists()
            && !Path::new("/proc").join(pid.to_string()).exists()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_process_of_this_host_that_no_longer_runs_is_gone() {
        let local = LocalProcesses::new();
        let here = |pid: u32| format!("{}:{pid}", local.host);
        assert!(!local.is_gone(&process_owner()), "this process runs");
        assert!(!local.is_gone(&here(1)), "pid 1 always runs");
        assert!(!local.is_gone("another-host:999999999"));
        assert!(!local.is_gone("no pid here"));
        if Path::new("/proc/self").exists() {
            // Above the kernel's pid_max (at most 2^22): no process can have it.
            assert!(local.is_gone(&here(999_999_999)));
        }
    }
}

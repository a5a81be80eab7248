//! Whether the holder of a sync lease still exists, as far as this process can tell: a lease
//! whose holder is provably gone is taken over at once instead of after it expires.

/// Tells whether a lease's owner (as written in [`crate::usecases::sync::SyncSettings::owner`])
/// is provably gone.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait LeaseHolders: Send + Sync {
    /// `true` only when `owner` provably no longer runs — a process of this very host that does
    /// not exist any more. Anything this process cannot check (another host, a name it cannot
    /// read) is `false`: that lease is waited out until it expires.
    fn is_gone(&self, owner: &str) -> bool;
}

/// Knows of no holder that is gone: every lease is waited out.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoLeaseHolders;

impl LeaseHolders for NoLeaseHolders {
    fn is_gone(&self, _owner: &str) -> bool {
        false
    }
}

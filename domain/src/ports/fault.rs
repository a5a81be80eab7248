//! `StoreFault`: a store failed to do what was asked, for a reason outside the port's contract
//! (the database is unreachable, a query failed, a stored row does not map). It keeps its cause
//! and says which kind it is, so every app maps the same fault to the same answer once.

use std::error::Error;
use std::sync::Arc;

/// Whether retrying later can help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// The store cannot be reached now (connection refused or closed, the pool timed out):
    /// the request may succeed later (HTTP 503).
    Unavailable,
    /// The store answered but the operation failed (a query error, a stored value that does not
    /// map, an encryption failure): retrying will not help (HTTP 500).
    Failed,
}

/// A store's failure, with what it was doing and the cause it got.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{context}")]
pub struct StoreFault {
    kind: FaultKind,
    /// What the store was doing ("reading an integration"), or what was wrong with a row.
    context: String,
    #[source]
    source: Option<Arc<dyn Error + Send + Sync>>,
}

impl StoreFault {
    /// A fault of `kind` while doing `context`, caused by `source`.
    pub fn new(
        kind: FaultKind,
        context: impl Into<String>,
        source: impl Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            kind,
            context: context.into(),
            source: Some(Arc::new(source)),
        }
    }

    /// A failure with no further cause (stored data that cannot be what it claims, a task that
    /// stopped): [`FaultKind::Failed`].
    pub fn failed(context: impl Into<String>) -> Self {
        Self {
            kind: FaultKind::Failed,
            context: context.into(),
            source: None,
        }
    }

    pub fn kind(&self) -> FaultKind {
        self.kind
    }

    /// What the store was doing.
    pub fn context(&self) -> &str {
        &self.context
    }
}

/// Equal when kind and context are: enough for tests, which cannot compare causes.
impl PartialEq for StoreFault {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.context == other.context
    }
}

impl Eq for StoreFault {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_keeps_its_cause_and_kind() {
        let cause = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let fault = StoreFault::new(FaultKind::Unavailable, "reading runs", cause);
        assert_eq!(fault.kind(), FaultKind::Unavailable);
        assert_eq!(fault.to_string(), "reading runs");
        assert_eq!(
            fault.source().map(ToString::to_string).as_deref(),
            Some("refused")
        );
        assert!(StoreFault::failed("bad id").source().is_none());
        assert_eq!(StoreFault::failed("bad id").kind(), FaultKind::Failed);
    }
}

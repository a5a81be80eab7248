//! What one session (one sync) may take from Lark at most: requests and listed items. A broken
//! or hostile upstream that keeps answering "more" — fresh page tokens forever, or pages of
//! made-up users — would otherwise keep a sync running and its memory growing without end. The
//! limits are far above what a real tenant needs (`lark.max_requests_per_sync`,
//! `lark.max_items_per_sync`).

use std::sync::atomic::{AtomicU64, Ordering};

use aviary_domain::ports::DirectoryError;

use super::mapping::invalid;

/// Requests and items one session has used, against its limits.
#[derive(Debug)]
pub(crate) struct Budget {
    max_requests: u64,
    max_items: u64,
    requests: AtomicU64,
    items: AtomicU64,
}

impl Budget {
    pub(crate) fn new(max_requests: u64, max_items: u64) -> Self {
        Self {
            max_requests,
            max_items,
            requests: AtomicU64::new(0),
            items: AtomicU64::new(0),
        }
    }

    /// Counts one request about to be sent.
    ///
    /// # Errors
    /// `InvalidResponse` once the session would send more than its limit.
    pub(crate) fn request(&self) -> Result<(), DirectoryError> {
        let sent = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        if sent > self.max_requests {
            return Err(invalid(format!(
                "Lark kept answering for more than {} requests in one sync; stopped",
                self.max_requests
            )));
        }
        Ok(())
    }

    /// Counts the items of one answer: every array directly under its `data`.
    ///
    /// # Errors
    /// `InvalidResponse` once the session has received more than its limit.
    pub(crate) fn items_of(&self, data: &serde_json::Value) -> Result<(), DirectoryError> {
        let count = data
            .as_object()
            .map(|fields| {
                fields
                    .values()
                    .filter_map(serde_json::Value::as_array)
                    .map(Vec::len)
                    .sum::<usize>()
            })
            .unwrap_or_default();
        let received = self
            .items
            .fetch_add(u64::try_from(count).unwrap_or(u64::MAX), Ordering::Relaxed)
            .saturating_add(u64::try_from(count).unwrap_or(u64::MAX));
        if received > self.max_items {
            return Err(invalid(format!(
                "Lark sent more than {} items in one sync; stopped",
                self.max_items
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use serde_json::json;

    #[test]
    fn requests_and_items_beyond_the_limits_fail_the_session() {
        let budget = Budget::new(2, 5);
        assert!(budget.request().is_ok());
        assert!(budget.request().is_ok());
        assert!(matches!(
            budget.request(),
            Err(DirectoryError::InvalidResponse { .. })
        ));
        assert!(
            budget
                .items_of(&json!({"items": [1, 2, 3], "has_more": true}))
                .is_ok()
        );
        assert!(budget.items_of(&json!({"grouplist": [1, 2]})).is_ok());
        assert!(budget.items_of(&json!({"items": [1]})).is_err());
    }
}

//! A run's changes read in keyset pages: a first sync records one change per record (100k for
//! a large tenant), so nobody reads them all at once. A page continues after a
//! [`ChangePosition`], the place of the last change the previous page held in the order the
//! run recorded its changes.

use super::change::ChangeRecord;

/// Where a change stands among its run's changes: the store's recording sequence, unique and
/// increasing in the order changes were recorded, so "after this position" names exactly the
/// changes a page has not shown yet, however many are recorded meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChangePosition(u64);

impl ChangePosition {
    pub const fn new(sequence: u64) -> Self {
        Self(sequence)
    }

    /// The recording sequence.
    pub const fn get(self) -> u64 {
        self.0
    }
}

/// One page of a run's changes, in the order they were recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangePage {
    pub changes: Vec<ChangeRecord>,
    /// The position of the page's last change when more changes follow it (the next page
    /// continues after it); `None` on the last page.
    pub next: Option<ChangePosition>,
}

impl ChangePage {
    /// The most changes one page holds, whatever a caller asks for: one page is one bounded
    /// read.
    pub const MAX: u64 = 1000;

    /// A page size within 1..=[`ChangePage::MAX`]: smaller asks get one change, larger ones
    /// the largest page.
    pub const fn bounded(limit: u64) -> u64 {
        if limit == 0 {
            1
        } else if limit > Self::MAX {
            Self::MAX
        } else {
            limit
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_size_is_at_least_one_and_at_most_the_largest_page() {
        assert_eq!(ChangePage::bounded(0), 1);
        assert_eq!(ChangePage::bounded(1), 1);
        assert_eq!(ChangePage::bounded(100), 100);
        assert_eq!(ChangePage::bounded(ChangePage::MAX), ChangePage::MAX);
        assert_eq!(ChangePage::bounded(u64::MAX), ChangePage::MAX);
    }

    #[test]
    fn positions_order_as_their_recording_sequence() {
        assert!(ChangePosition::new(7) < ChangePosition::new(8));
        assert_eq!(ChangePosition::new(42).get(), 42);
    }
}

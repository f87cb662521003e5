//! The sync indicator in the header and the first-sync progress bar, derived
//! from the shell's [`SyncView`].

use odnowa_shared::api::{Progress, SyncView};

/// What the header says about sync, most urgent first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncIndicator {
    /// Not enrolled yet: nothing to sync.
    NotEnrolled,
    /// The office revoked this device: it must be enrolled again.
    Revoked,
    /// A sync is running (the first one, or one the person asked for).
    Syncing,
    /// No connection; `pending` records wait to be sent.
    Offline { pending: u64 },
    /// Online, and `pending` records are not confirmed yet.
    Pending { pending: u64 },
    /// The server refused `refused` records (a coordinator must look).
    Refused { refused: u64 },
    /// Everything on this device is confirmed by the server.
    AllConfirmed,
}

/// The indicator for `view`; `in_flight` is true while the person's own
/// "sync now" is running.
pub fn indicator(view: &SyncView, in_flight: bool) -> SyncIndicator {
    if view.revoked {
        SyncIndicator::Revoked
    } else if !view.enrolled {
        SyncIndicator::NotEnrolled
    } else if in_flight || view.first_sync.is_some() {
        SyncIndicator::Syncing
    } else if !view.online {
        SyncIndicator::Offline {
            pending: view.pending,
        }
    } else if view.pending > 0 {
        SyncIndicator::Pending {
            pending: view.pending,
        }
    } else if view.refused > 0 {
        SyncIndicator::Refused {
            refused: view.refused,
        }
    } else {
        SyncIndicator::AllConfirmed
    }
}

impl SyncIndicator {
    /// A stable name for the page (`data-state`), for tests and styles.
    pub fn code(self) -> &'static str {
        match self {
            SyncIndicator::NotEnrolled => "not-enrolled",
            SyncIndicator::Revoked => "revoked",
            SyncIndicator::Syncing => "syncing",
            SyncIndicator::Offline { .. } => "offline",
            SyncIndicator::Pending { .. } => "pending",
            SyncIndicator::Refused { .. } => "refused",
            SyncIndicator::AllConfirmed => "confirmed",
        }
    }
}

/// How far the first sync is, 0 to 100. An unknown total (0) reads as 0
/// until records arrive.
pub fn percent(progress: Progress) -> u8 {
    if progress.total == 0 {
        return 0;
    }
    let done = progress.done.min(progress.total);
    // At most 100, so the cast cannot truncate.
    (u128::from(done) * 100 / u128::from(progress.total)) as u8
}

/// Whether the first sync after enrolment has finished: the device has
/// synced at least once and no first-sync progress is running.
pub fn first_sync_done(view: &SyncView) -> bool {
    view.enrolled && view.first_sync.is_none() && view.last_sync.is_some()
}

#[cfg(test)]
mod tests {
    use odnowa_shared::time::Timestamp;

    use super::*;

    fn enrolled() -> SyncView {
        SyncView {
            enrolled: true,
            online: true,
            ..SyncView::default()
        }
    }

    fn check(view: SyncView, in_flight: bool, expect: SyncIndicator) {
        assert_eq!(indicator(&view, in_flight), expect, "{view:?}");
    }

    #[test]
    fn indicator_states_most_urgent_first() {
        check(SyncView::default(), false, SyncIndicator::NotEnrolled);
        check(
            SyncView {
                revoked: true,
                pending: 3,
                ..enrolled()
            },
            false,
            SyncIndicator::Revoked,
        );
        check(enrolled(), true, SyncIndicator::Syncing);
        check(
            SyncView {
                first_sync: Some(Progress { done: 1, total: 9 }),
                ..enrolled()
            },
            false,
            SyncIndicator::Syncing,
        );
        check(
            SyncView {
                online: false,
                pending: 2,
                ..enrolled()
            },
            false,
            SyncIndicator::Offline { pending: 2 },
        );
        check(
            SyncView {
                pending: 4,
                refused: 1,
                ..enrolled()
            },
            false,
            SyncIndicator::Pending { pending: 4 },
        );
        check(
            SyncView {
                refused: 1,
                ..enrolled()
            },
            false,
            SyncIndicator::Refused { refused: 1 },
        );
        check(enrolled(), false, SyncIndicator::AllConfirmed);
    }

    #[test]
    fn progress_percent_is_clamped() {
        assert_eq!(percent(Progress { done: 0, total: 0 }), 0);
        assert_eq!(percent(Progress { done: 1, total: 3 }), 33);
        assert_eq!(percent(Progress { done: 5, total: 3 }), 100);
        assert_eq!(
            percent(Progress {
                done: u64::MAX,
                total: u64::MAX
            }),
            100
        );
    }

    #[test]
    fn first_sync_is_done_after_a_sync_without_progress() {
        assert!(!first_sync_done(&enrolled()));
        let synced = SyncView {
            last_sync: Some(Timestamp(1)),
            ..enrolled()
        };
        assert!(first_sync_done(&synced));
        assert!(!first_sync_done(&SyncView {
            first_sync: Some(Progress { done: 1, total: 2 }),
            ..synced
        }));
    }
}

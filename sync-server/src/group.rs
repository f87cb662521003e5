//! Group commit: the appends of exchanges that wait at the same moment
//! are written in one transaction.
//!
//! An exchange judges its pushes with their documents locked, hands the
//! appends here and waits. Whoever finds no group being written takes
//! every append waiting, its own among them, and writes them with one
//! [`Db::append_all`]: one transaction, one commit (one fsync), the same
//! handful of statements for the whole group as for one exchange. The
//! appends that arrive meanwhile wait for that commit and go together in
//! the next group. There is no timer: an exchange that finds the writer
//! idle is written at once, alone.
//!
//! A group is all or nothing. When it fails for one of its documents
//! (another server wrote it, an erasure took it, or it is there twice
//! because an exchange that gave up left its append behind), each
//! exchange's appends are written again on their own, so that each gets
//! the answer it would have had alone. When it fails because the database
//! cannot be reached or written, every exchange of the group is told so
//! at once (none waits out the pool's timeout again).
//!
//! The live announcements of a group leave from here, in feed order,
//! right after its commit.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex};

use tokio::sync::oneshot;

use odnowa_shared::ids::{DeviceId, DocId};

use crate::exchange::Accepted;
use crate::live::{self, AppendedDoc, LiveChanges};
use crate::store::{Append, Appended, Db, StoreError};

/// One exchange's appends, waiting for a group.
struct Waiting {
    appends: Vec<Append>,
    reply: oneshot::Sender<Result<Vec<Appended>, StoreError>>,
}

/// Writes the appends of concurrent exchanges in groups.
#[derive(Clone)]
pub(crate) struct GroupWriter {
    db: Arc<Db>,
    live: live::Sequencer,
    waiting: Arc<StdMutex<Vec<Waiting>>>,
    /// Held while a group is written: one group at a time.
    turn: Arc<tokio::sync::Mutex<()>>,
    /// Transactions written (a group, or an exchange of a failed group
    /// alone).
    written: Arc<AtomicU64>,
}

impl GroupWriter {
    pub(crate) fn new(db: Arc<Db>, live: live::Sequencer) -> Self {
        GroupWriter {
            db,
            live,
            waiting: Arc::default(),
            turn: Arc::default(),
            written: Arc::default(),
        }
    }

    /// How many transactions the writer has written.
    #[cfg(test)]
    fn groups(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    async fn append_all(&self, appends: &[Append]) -> Result<Vec<Appended>, StoreError> {
        self.written.fetch_add(1, Ordering::Relaxed);
        self.db.append_all(appends).await
    }

    /// Stores `appends` (one device's, each of another document) with
    /// those of the other exchanges waiting now, and announces them live;
    /// what each append did, in order. The errors are those of
    /// [`Db::append_all`] for these appends alone.
    pub(crate) async fn append(&self, appends: Vec<Append>) -> Result<Vec<Appended>, StoreError> {
        if appends.is_empty() {
            return Ok(Vec::new());
        }
        let (reply, mut answer) = oneshot::channel();
        self.queue().push(Waiting { appends, reply });
        let turn = self.turn.clone().lock_owned().await;
        match answer.try_recv() {
            // The group before took these appends along.
            Ok(written) => return written,
            Err(oneshot::error::TryRecvError::Closed) => return Err(StoreError::Interrupted),
            Err(oneshot::error::TryRecvError::Empty) => {}
        }
        let group = std::mem::take(&mut *self.queue());
        let writer = self.clone();
        // On a task of its own, the turn with it: an exchange that gives
        // up (its device went away) neither takes the others' appends
        // with it nor lets the next group start before this one ends.
        tokio::spawn(async move {
            writer.write(group).await;
            drop(turn);
        });
        answer.await.unwrap_or(Err(StoreError::Interrupted))
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Vec<Waiting>> {
        // Nothing panics while holding it: a poisoned lock's data is whole.
        self.waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Writes `group` in one transaction, else each of its exchanges on
    /// its own; answers each.
    async fn write(&self, group: Vec<Waiting>) {
        if group.len() == 1 {
            return self.write_alone(group).await;
        }
        let Err((e, group)) = self.write_together(group).await else {
            return;
        };
        match e.outage() {
            Some(outage) if !matches!(e, StoreError::Conflict) => {
                tracing::warn!(error = %e, exchanges = group.len(), "a group of appends failed");
                for waiting in group {
                    self.answer(waiting, Err(StoreError::Unavailable(outage)));
                }
            }
            _ => {
                tracing::debug!(error = %e, exchanges = group.len(), "a group of appends failed for a document");
                self.write_apart(group).await;
            }
        }
    }

    /// Writes each exchange of `group` in a transaction of its own.
    async fn write_alone(&self, group: Vec<Waiting>) {
        for waiting in group {
            let written = self.append_all(&waiting.appends).await;
            self.answer(waiting, written);
        }
    }

    /// Writes `group` in one transaction and answers each exchange; the
    /// error, and the group to answer, when it failed.
    async fn write_together(&self, group: Vec<Waiting>) -> Result<(), (StoreError, Vec<Waiting>)> {
        let sizes: Vec<usize> = group.iter().map(|w| w.appends.len()).collect();
        let (mut all, mut replies) = (Vec::new(), Vec::with_capacity(group.len()));
        for waiting in group {
            all.extend(waiting.appends);
            replies.push(waiting.reply);
        }
        let written = self.append_all(&all).await;
        // Back with the exchanges they came from.
        let mut group = Vec::with_capacity(sizes.len());
        for (size, reply) in sizes.into_iter().zip(replies).rev() {
            let appends = all.split_off(all.len().saturating_sub(size));
            group.push(Waiting { appends, reply });
        }
        group.reverse();
        match written {
            Ok(appended) => {
                let mut appended = appended.into_iter();
                for waiting in group {
                    let own: Vec<Appended> =
                        appended.by_ref().take(waiting.appends.len()).collect();
                    self.answer(waiting, Ok(own));
                }
                Ok(())
            }
            Err(e) => Err((e, group)),
        }
    }

    /// Writes a group that failed for one of its documents: the exchanges
    /// whose documents are not as they were judged (another server wrote
    /// one, an erasure took one, or one is in the group twice) each on
    /// its own, which answers them as if they had been alone; the others
    /// again as one group, and one by one if that fails too.
    async fn write_apart(&self, group: Vec<Waiting>) {
        let ids: Vec<DocId> = group
            .iter()
            .flat_map(|w| w.appends.iter().map(|a| a.doc))
            .collect();
        let fresh: Vec<DocId> = group
            .iter()
            .flat_map(|w| &w.appends)
            .filter(|a| a.expected_change_count == 0)
            .map(|a| a.doc)
            .collect();
        let (metas, erased) = match (
            self.db.doc_metas(&ids).await,
            self.db.erased_among(&fresh).await,
        ) {
            (Ok(metas), Ok(erased)) => (metas, erased),
            // Which cannot be told: each on its own.
            _ => (Default::default(), ids.iter().copied().collect()),
        };
        let mut seen = std::collections::HashSet::new();
        let (mut suspects, mut clean) = (Vec::new(), Vec::new());
        for waiting in group {
            let as_judged = waiting.appends.iter().all(|a| {
                let stored = metas.get(&a.doc);
                seen.insert(a.doc)
                    && !erased.contains(&a.doc)
                    && match stored {
                        None => a.expected_change_count == 0,
                        Some(meta) => {
                            meta.change_count == a.expected_change_count
                                && meta.generation == a.generation
                        }
                    }
            });
            if as_judged {
                clean.push(waiting);
            } else {
                suspects.push(waiting);
            }
        }
        self.write_alone(suspects).await;
        if clean.len() < 2 {
            return self.write_alone(clean).await;
        }
        if let Err((_, clean)) = self.write_together(clean).await {
            self.write_alone(clean).await;
        }
    }

    /// Announces what `waiting` appended (when it did) and tells its
    /// exchange.
    fn answer(&self, waiting: Waiting, written: Result<Vec<Appended>, StoreError>) {
        let Waiting { appends, reply } = waiting;
        if let Ok(appended) = &written
            && let Some(origin) = appends.first().map(|a| a.device)
        {
            let docs: Vec<AppendedDoc<'_>> = appends
                .iter()
                .zip(appended)
                .map(|(append, appended)| AppendedDoc {
                    doc: append.doc,
                    space: append.space,
                    kind: append.kind,
                    generation: append.generation,
                    changes: append.changes.iter().map(|c| c.bytes.as_slice()).collect(),
                    last_seq: appended.last_seq,
                    visibility: appended.visibility.clone(),
                })
                .collect();
            announce(&self.live, origin, &docs);
        }
        // Its exchange may have given up meanwhile: what was stored
        // stays stored, the device is answered at its next exchange.
        let _ = reply.send(written);
    }
}

/// Tells live connections what `origin` just appended, the changes with
/// it where they may go to every reader of the space. Who may be sent
/// each registry entry was read in the append's transaction: nothing here
/// waits on the database, so that the announcements leave in feed order
/// right after the commit (one that waited would hold its space's later
/// ranges back, or let them go first as pokes to every reader).
fn announce(live: &live::Sequencer, origin: DeviceId, appended: &[AppendedDoc<'_>]) {
    let visibility: HashMap<DocId, live::Visibility> = appended
        .iter()
        .filter_map(|doc| doc.visibility.clone().map(|v| (doc.doc, v)))
        .collect();
    for (space, after, last, rows) in live::rows_of(appended) {
        let changes = LiveChanges::of_rows(space, after, last, rows, &visibility).map(Arc::new);
        live.announce(Accepted {
            space,
            origin,
            live: changes,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use odnowa_shared::ids::{SpaceId, UserId};
    use odnowa_shared::projection::Projection;
    use odnowa_shared::records::RecordKind;
    use odnowa_shared::sync::ingest::NewChange;

    /// `count` changes (of made-up bytes: the store does not read them)
    /// to `doc` in the registry, by `device`, judged against a copy of
    /// `expected` changes.
    fn append(doc: DocId, device: DeviceId, expected: u64, count: usize) -> Append {
        Append {
            doc,
            space: SpaceId::REGISTRY,
            kind: RecordKind::Person,
            generation: 0,
            expected_change_count: expected,
            changes: (0..count)
                .map(|_| NewChange {
                    hash: automerge::ChangeHash(rand::random()),
                    bytes: rand::random::<[u8; 16]>().to_vec(),
                    deps: Vec::new(),
                })
                .collect(),
            device,
            user: UserId(uuid::Uuid::new_v4()),
            now: 1,
            projection: Projection::Nothing,
        }
    }

    async fn writer() -> (tempfile::TempDir, GroupWriter) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite:{}", dir.path().join("group.db").display());
        let db = Db::open(&url).await.expect("a database");
        (
            dir,
            GroupWriter::new(Arc::new(db), live::Sequencer::default()),
        )
    }

    /// Starts each of `exchanges` while a group is being written, so
    /// that they wait together; lets them go once all wait.
    async fn together(
        writer: &GroupWriter,
        exchanges: Vec<Vec<Append>>,
    ) -> Vec<Result<Vec<Appended>, StoreError>> {
        let turn = writer.turn.clone().lock_owned().await;
        let count = exchanges.len();
        let tasks: Vec<_> = exchanges
            .into_iter()
            .map(|appends| {
                let writer = writer.clone();
                tokio::spawn(async move { writer.append(appends).await })
            })
            .collect();
        while writer.queue().len() < count {
            tokio::task::yield_now().await;
        }
        drop(turn);
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.expect("an exchange's task"));
        }
        answers
    }

    #[tokio::test]
    async fn exchanges_waiting_together_are_written_in_one_transaction() {
        let (_dir, writer) = writer().await;
        let (a, b) = (DeviceId::random(), DeviceId::random());
        let answers = together(
            &writer,
            vec![
                vec![
                    append(DocId::random(), a, 0, 2),
                    append(DocId::random(), a, 0, 1),
                ],
                vec![append(DocId::random(), b, 0, 3)],
            ],
        )
        .await;
        assert_eq!(writer.groups(), 1, "one transaction for both");
        let mut ends: Vec<(u64, u64)> = Vec::new();
        for (answer, counts) in answers.into_iter().zip([vec![2u64, 1], vec![3]]) {
            let appended = answer.expect("written");
            assert_eq!(
                appended.iter().map(|a| a.change_count).collect::<Vec<_>>(),
                counts
            );
            for (appended, count) in appended.iter().zip(counts) {
                ends.push((appended.last_seq + 1 - count, appended.last_seq));
            }
        }
        // The six changes took the feed's positions 1..=6, each once.
        ends.sort();
        let mut next = 1;
        for (first, last) in ends {
            assert_eq!(
                first,
                next,
                "feed positions {ends_:?}",
                ends_ = (first, last)
            );
            next = last + 1;
        }
        assert_eq!(next, 7);
        assert_eq!(writer.db.change_count().await.expect("count"), 6);
    }

    #[tokio::test]
    async fn a_group_that_fails_for_a_document_is_written_again_without_its_exchange() {
        let (_dir, writer) = writer().await;
        let device = DeviceId::random();
        let held = DocId::random();
        let first = writer
            .append(vec![append(held, device, 0, 1)])
            .await
            .expect("written");
        assert_eq!(first[0].change_count, 1);
        assert_eq!(writer.groups(), 1);
        let fresh = DocId::random();
        let answers = together(
            &writer,
            vec![
                vec![append(fresh, device, 0, 1)],
                // Judged against a copy without the change stored since.
                vec![append(held, DeviceId::random(), 0, 1)],
                vec![append(DocId::random(), DeviceId::random(), 0, 2)],
            ],
        )
        .await;
        // The group; then the stale one alone, and the other two again
        // as one group.
        assert_eq!(writer.groups(), 4);
        let mut answers = answers.into_iter();
        let fresh_answer = answers.next().expect("three answers");
        assert_eq!(fresh_answer.expect("written alone")[0].change_count, 1);
        assert!(matches!(answers.next(), Some(Err(StoreError::Conflict))));
        assert_eq!(
            answers.next().expect("three answers").expect("written")[0].change_count,
            2
        );
        // The stale one stored nothing: 1 + 1 + 2 changes.
        assert_eq!(writer.db.change_count().await.expect("count"), 4);
    }

    #[tokio::test]
    async fn a_group_the_database_cannot_take_fails_at_once_for_all() {
        let (_dir, writer) = writer().await;
        writer.db.close().await;
        let answers = together(
            &writer,
            vec![
                vec![append(DocId::random(), DeviceId::random(), 0, 1)],
                vec![append(DocId::random(), DeviceId::random(), 0, 1)],
            ],
        )
        .await;
        assert_eq!(writer.groups(), 1, "not tried again one by one");
        for answer in answers {
            let error = answer.expect_err("nothing can be written");
            assert_eq!(
                error.outage(),
                Some(crate::store::Outage::DatabaseUnreachable),
                "{error}"
            );
        }
    }
}

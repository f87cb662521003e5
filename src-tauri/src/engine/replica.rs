//! The replica: the records this device holds, over the local store.
//! Reading a record decodes its stored document; changing one reads,
//! changes and writes it under the one edit lock, which the sync client
//! also takes while it carries out an answer, so that an edit and an
//! answer never interleave on one document.

use std::collections::{BTreeMap, BTreeSet};

use automerge::{Automerge, ChangeHash};
use tokio::sync::{Mutex, MutexGuard};

use odnowa_shared::conflicts::{self, Conflict};
use odnowa_shared::document::{self, Author, HistoryEntry};
use odnowa_shared::ids::DocId;
use odnowa_shared::records::{
    CaseNotes, Catalogue, Contact, DaySession, Diagnosis, Person, Programme, Record, RecordKind,
    Referral, Workshop,
};
use odnowa_shared::sync::device::Held;
use odnowa_shared::sync::replica::ReplicaDoc;
use odnowa_shared::time::Timestamp;
use odnowa_shared::validate::ValidationContext;

use super::error::{EngineError, Result};
use super::store::{DocRow, LocalStore, ViewDocs, ViewValue};

/// A record read from the device with what its lists show about it: the
/// one decoded view of its kind (see [`LocalStore::decoded`]).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Stored<R> {
    pub(crate) record: R,
    /// Whether the server confirmed every change (kept in the row).
    #[serde(skip)]
    pub(crate) confirmed: bool,
    /// How many fields hold concurrent values.
    pub(crate) conflicts: usize,
    /// The name of the record's first device author, from its history.
    pub(crate) author: Option<String>,
}

impl<R: Record> ViewValue for Stored<R> {
    fn set_confirmed(&mut self, confirmed: bool) {
        self.confirmed = confirmed;
    }
}

/// A stored row as the record it holds, with its conflicts and author.
pub(crate) fn read_row<R: Record>(row: &DocRow) -> Result<Stored<R>> {
    let mut stored = stored_of::<R>(&replica_of(row)?)?;
    stored.confirmed = !row.dirty;
    Ok(stored)
}

/// A loaded document as the record it holds (`confirmed` as the replica
/// says).
fn stored_of<R: Record>(replica: &ReplicaDoc) -> Result<Stored<R>> {
    Ok(Stored {
        record: document::read(&replica.doc)?,
        confirmed: replica.is_confirmed(),
        conflicts: conflicts::conflicts(&replica.doc).len(),
        author: document::first_author(&replica.doc),
    })
}

/// The sealed view of a document as [`Replica::stored`] of its kind keeps
/// it, made by the sync while it holds the document loaded: the first
/// screens after a first sync then open views instead of loading
/// thousands of documents again. `None` (the row then has no view, and is
/// decoded when read) when the record does not read, or when reading it
/// makes Automerge panic: another device's document must not stop the
/// sync that brings it (the server read it whole, but it never walks the
/// versions the view counts).
pub(crate) fn view_of(store: &LocalStore, replica: &ReplicaDoc) -> Option<Vec<u8>> {
    fn seal<R: Record>(store: &LocalStore, replica: &ReplicaDoc) -> Option<Vec<u8>> {
        let stored = stored_of::<R>(replica).ok()?;
        store.sealed_view(R::KIND, &replica.id, &stored).ok()
    }
    let made = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match replica.kind {
        RecordKind::Person => seal::<Person>(store, replica),
        RecordKind::CaseNotes => seal::<CaseNotes>(store, replica),
        RecordKind::Contact => seal::<Contact>(store, replica),
        RecordKind::DaySession => seal::<DaySession>(store, replica),
        RecordKind::Workshop => seal::<Workshop>(store, replica),
        RecordKind::Catalogue => seal::<Catalogue>(store, replica),
        RecordKind::Diagnosis => seal::<Diagnosis>(store, replica),
        RecordKind::Programme => seal::<Programme>(store, replica),
        RecordKind::Referral => seal::<Referral>(store, replica),
    }));
    made.unwrap_or_else(|_| {
        tracing::warn!(doc = %replica.id, "no view made for a record: it is read from its bytes");
        None
    })
}

/// A stored row as a document with what the server confirmed.
pub(crate) fn replica_of(row: &DocRow) -> Result<ReplicaDoc> {
    let doc = Automerge::load(&row.bytes)
        .map_err(|e| EngineError::Corrupt(format!("record {}: {e}", row.id)))?;
    Ok(ReplicaDoc {
        id: row.id,
        space: row.space,
        kind: row.kind,
        generation: row.generation,
        doc,
        confirmed: row.confirmed.clone(),
    })
}

/// A stored row as the sync functions take it.
pub(crate) fn held_of(row: DocRow) -> Result<Held> {
    Ok(Held {
        replica: replica_of(&row)?,
        refused: row.refused,
    })
}

/// The row to store for a document.
pub(crate) fn row_of(replica: &ReplicaDoc, refused: Option<String>) -> DocRow {
    DocRow {
        id: replica.id,
        space: replica.space,
        kind: replica.kind,
        generation: replica.generation,
        bytes: replica.doc.save(),
        confirmed: replica.confirmed.clone(),
        dirty: !replica.is_confirmed(),
        refused,
    }
}

/// The records of this device.
pub(crate) struct Replica {
    store: LocalStore,
    /// Held while a document is read, changed and written, and while a
    /// sync answer is carried out.
    edits: Mutex<()>,
}

impl Replica {
    pub(crate) fn new(store: LocalStore) -> Self {
        Replica {
            store,
            edits: Mutex::new(()),
        }
    }

    /// The local store.
    pub(crate) fn store(&self) -> &LocalStore {
        &self.store
    }

    /// The edit lock.
    pub(crate) async fn edits(&self) -> MutexGuard<'_, ()> {
        self.edits.lock().await
    }

    /// The catalogue, if it arrived (from its view: every save and most
    /// screens read it).
    pub(crate) async fn catalogue(&self) -> Result<Option<Catalogue>> {
        Ok(self
            .stored::<Catalogue>()
            .await?
            .get(&DocId::catalogue())
            .map(|s| s.record.clone()))
    }

    /// The service codes records are validated against: the catalogue's.
    pub(crate) async fn validation_context(&self) -> Result<ValidationContext> {
        match self.catalogue().await? {
            Some(catalogue) => Ok(ValidationContext::with_services(
                catalogue.services.keys().cloned(),
            )),
            None => Ok(ValidationContext::default()),
        }
    }

    /// Saves `records` as `author` in one local transaction: all are on
    /// disk when this returns, or none. Returns whether anything changed.
    pub(crate) async fn save_all<R: Record>(&self, records: &[R], author: Author) -> Result<bool> {
        let ctx = self.validation_context().await?;
        for record in records {
            record.validate(&ctx).map_err(document::DocError::from)?;
        }
        let _edits = self.edits().await;
        let at = Timestamp::now();
        let mut replicas = Vec::with_capacity(records.len());
        for record in records {
            match self.store.doc(record.doc_id()).await? {
                Some(row) => {
                    let mut replica = replica_of(&row)?;
                    if document::write(&mut replica.doc, record, author.clone(), at, "edit")?
                        .is_some()
                    {
                        replicas.push(replica);
                    }
                }
                None => {
                    let doc = document::create(record, author.clone(), at)?;
                    let header = document::header(&doc)?;
                    replicas.push(ReplicaDoc::local(header, 0, doc));
                }
            }
        }
        if replicas.is_empty() {
            return Ok(false);
        }
        let mut tx = self.store.begin().await?;
        for replica in &replicas {
            self.store
                .put_doc(&mut tx, &row_of(replica, None), at.0, None)
                .await?;
        }
        tx.commit().await?;
        self.store
            .written(replicas.iter().map(|r| (r.id, Some(r.kind))));
        Ok(true)
    }

    /// Writes one document (the caller holds the edit lock).
    pub(crate) async fn put(&self, replica: &ReplicaDoc, refused: Option<String>) -> Result<()> {
        let mut tx = self.store.begin().await?;
        self.store
            .put_doc(&mut tx, &row_of(replica, refused), Timestamp::now().0, None)
            .await?;
        tx.commit().await?;
        self.store.written([(replica.id, Some(replica.kind))]);
        Ok(())
    }

    /// A record by id.
    pub(crate) async fn get<R: Record>(&self, id: DocId) -> Result<Option<R>> {
        match self.store.doc(id).await? {
            Some(row) if row.kind == R::KIND => Ok(Some(document::read(&replica_of(&row)?.doc)?)),
            Some(row) => Err(document::DocError::WrongKind {
                expected: R::KIND,
                found: row.kind,
            }
            .into()),
            None => Ok(None),
        }
    }

    /// Every record of a kind, by document, from the decoded view kept in
    /// memory (and sealed on disk). Records that do not read (written by a
    /// newer app in a way this one cannot follow) are skipped with a
    /// warning.
    pub(crate) async fn stored<R: Record>(&self) -> Result<ViewDocs<Stored<R>>> {
        self.store
            .decoded(R::KIND, |row| match read_row::<R>(row) {
                Ok(stored) => Some(stored),
                Err(e) => {
                    tracing::warn!(doc = %row.id, error = %e, "record skipped");
                    None
                }
            })
            .await
    }

    /// Every record of a kind, copied out of the view.
    pub(crate) async fn list<R: Record>(&self) -> Result<Vec<R>> {
        Ok(self
            .stored::<R>()
            .await?
            .values()
            .map(|s| s.record.clone())
            .collect())
    }

    /// A day session as `value` opens it, from the deterministic genesis
    /// when this device has not seen it.
    pub(crate) async fn open_day_session(&self, value: &DaySession) -> Result<()> {
        let _edits = self.edits().await;
        if self.store.doc(value.id).await?.is_none() {
            let doc = document::genesis(value)?;
            let header = document::header(&doc)?;
            self.put(&ReplicaDoc::local(header, 0, doc), None).await?;
        }
        Ok(())
    }

    /// The stored row of record `id`, or [`EngineError::NotFound`].
    pub(crate) async fn row(&self, id: DocId) -> Result<DocRow> {
        self.store.doc(id).await?.ok_or(EngineError::NotFound(id))
    }

    /// Fields of a record that hold concurrent values.
    pub(crate) async fn conflicts(&self, id: DocId) -> Result<Vec<Conflict>> {
        let row = self.row(id).await?;
        Ok(conflicts::conflicts(&replica_of(&row)?.doc))
    }

    /// Keeps one of a field's concurrent values, as `author`.
    pub(crate) async fn resolve_conflict(
        &self,
        id: DocId,
        path: &[String],
        change: &str,
        author: Author,
    ) -> Result<()> {
        let _edits = self.edits().await;
        let row = self.row(id).await?;
        let mut replica = replica_of(&row)?;
        conflicts::resolve(&mut replica.doc, path, change, author, Timestamp::now()).map_err(
            |e| match e {
                conflicts::ResolveError::NoSuchVersion => EngineError::Settled,
                other => EngineError::Invalid(other.to_string()),
            },
        )?;
        self.put(&replica, None).await
    }

    /// A record's history, oldest first.
    pub(crate) async fn history(&self, id: DocId) -> Result<Vec<HistoryEntry>> {
        let row = self.row(id).await?;
        Ok(document::history(&replica_of(&row)?.doc))
    }

    /// Whether the server has confirmed every change of a record.
    pub(crate) async fn is_confirmed(&self, id: DocId) -> Result<bool> {
        Ok(!self.row(id).await?.dirty)
    }

    /// The current heads of a record (for comparing replicas).
    pub(crate) async fn heads(&self, id: DocId) -> Result<Vec<ChangeHash>> {
        let row = self.row(id).await?;
        let mut heads = replica_of(&row)?.doc.get_heads();
        heads.sort();
        Ok(heads)
    }

    /// Bytes of a record's changes that the server has not confirmed.
    pub(crate) async fn pending_bytes(&self, id: DocId) -> Result<u64> {
        let row = self.row(id).await?;
        Ok(replica_of(&row)?
            .pending()
            .iter()
            .map(|c| c.raw_bytes().len() as u64)
            .sum())
    }

    /// The copies of `docs` this device holds, as the sync functions take
    /// them.
    pub(crate) async fn held(&self, docs: BTreeSet<DocId>) -> Result<BTreeMap<DocId, Held>> {
        let mut held = BTreeMap::new();
        for doc in docs {
            if let Some(row) = self.store.doc(doc).await? {
                held.insert(doc, held_of(row)?);
            }
        }
        Ok(held)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::store::tests::store;
    use odnowa_shared::ids::DeviceId;

    /// Writes `person` as the sync does, with its view; its bytes are
    /// damaged when `damaged`, so that only the view can give it back.
    async fn synced(store: &LocalStore, person: &Person, damaged: bool, with_view: bool) {
        let doc = document::create(person, DeviceId::random(), Timestamp(0)).expect("create");
        let replica = ReplicaDoc::local(document::header(&doc).expect("header"), 0, doc);
        let view = with_view.then(|| view_of(store, &replica).expect("a view"));
        let mut row = row_of(&replica, None);
        if damaged {
            row.bytes = b"not an automerge document".to_vec();
        }
        let mut tx = store.begin().await.expect("tx");
        store
            .put_doc(&mut tx, &row, 0, view.as_deref())
            .await
            .expect("put");
        tx.commit().await.expect("commit");
        store.written([(replica.id, Some(replica.kind))]);
    }

    async fn aliases(replica: &Replica) -> Vec<String> {
        let mut all: Vec<String> = replica
            .stored::<Person>()
            .await
            .expect("stored")
            .values()
            .map(|s| s.record.alias.clone())
            .collect();
        all.sort();
        all
    }

    #[tokio::test]
    async fn the_view_the_sync_makes_is_what_the_next_read_opens() {
        let (store, _dir) = store().await;
        let replica = Replica::new(store.clone());
        // The first read (a start) and a read after one more write both
        // open the views the sync made: the bytes would not load.
        synced(&store, &Person::new("Zdzisław", Timestamp(0)), true, true).await;
        assert_eq!(aliases(&replica).await, ["Zdzisław"]);
        synced(&store, &Person::new("Bożena", Timestamp(0)), true, true).await;
        assert_eq!(aliases(&replica).await, ["Bożena", "Zdzisław"]);
        // The control: without a view, damaged bytes are skipped.
        synced(&store, &Person::new("Celina", Timestamp(0)), true, false).await;
        assert_eq!(aliases(&replica).await, ["Bożena", "Zdzisław"]);
        // And undamaged ones are decoded, as before.
        synced(&store, &Person::new("Dorota", Timestamp(0)), false, false).await;
        assert_eq!(aliases(&replica).await, ["Bożena", "Dorota", "Zdzisław"]);
        store.close().await;
    }
}

//! The device side of sync, without I/O.
//!
//! Each document the device holds has a *confirmed* set: change hashes the
//! server is known to have stored (pushed and accepted, or pulled from it).
//! The changes to push are exactly those that are not ancestors of the
//! confirmed set; the document is "confirmed by the server" when there are
//! none.

use std::collections::BTreeMap;

use automerge::{Automerge, Change, ChangeHash};
use serde_bytes::ByteBuf;

use super::reduce_heads;
use crate::document::{self, Header};
use crate::ids::{DocId, SpaceId};
use crate::protocol::{DocPush, DocUpdate, SpaceCursor, SyncResponse};
use crate::records::RecordKind;

/// What the device needs to know about one document for sync.
#[derive(Debug, Clone)]
pub struct ReplicaDoc {
    pub id: DocId,
    pub space: SpaceId,
    pub kind: RecordKind,
    pub generation: u32,
    pub doc: Automerge,
    /// Hashes known to be on the server.
    pub confirmed: Vec<ChangeHash>,
}

/// Why pulled content could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("the server sent bytes that are not an Automerge change: {0}")]
    Undecodable(String),
    #[error("the server sent a snapshot that does not load: {0}")]
    BadSnapshot(String),
    #[error("the server sent content for {got}, expected {expected}")]
    WrongDocument { expected: DocId, got: DocId },
    #[error("automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),
}

impl ReplicaDoc {
    /// A document created on this device: nothing is confirmed yet.
    pub fn local(header: Header, generation: u32, doc: Automerge) -> Self {
        ReplicaDoc {
            id: header.id,
            space: header.space,
            kind: header.kind,
            generation,
            doc,
            confirmed: Vec::new(),
        }
    }

    /// A document first received from the server.
    pub fn from_update(update: &DocUpdate) -> Result<Self, ApplyError> {
        let mut replica = ReplicaDoc {
            id: update.doc,
            space: update.space,
            kind: update.kind,
            generation: update.generation,
            doc: Automerge::new(),
            confirmed: Vec::new(),
        };
        replica.apply(update)?;
        Ok(replica)
    }

    /// Changes the server does not have yet, in causal order.
    pub fn pending(&self) -> Vec<Change> {
        self.doc.get_changes(&self.confirmed)
    }

    /// Whether the server has confirmed everything this device holds.
    pub fn is_confirmed(&self) -> bool {
        self.pending().is_empty()
    }

    /// The push for this document, or `None` when nothing is pending.
    pub fn push(&self) -> Option<DocPush> {
        let pending = self.pending();
        if pending.is_empty() {
            return None;
        }
        Some(DocPush {
            doc: self.id,
            space: self.space,
            kind: self.kind,
            generation: self.generation,
            changes: pending
                .iter()
                .map(|c| ByteBuf::from(c.raw_bytes().to_vec()))
                .collect(),
        })
    }

    /// Records that the server stored `hashes`.
    pub fn confirm(&mut self, hashes: &[ChangeHash]) {
        let mut all = self.confirmed.clone();
        all.extend_from_slice(hashes);
        self.confirmed = reduce_heads(&self.doc, &all);
        if self.doc.get_changes(&self.confirmed).is_empty() {
            self.confirmed = self.doc.get_heads();
        }
    }

    /// Forgets what the server confirmed: everything is pushed again (after
    /// the server said it misses dependencies, or lost its feed).
    pub fn unconfirm(&mut self) {
        self.confirmed.clear();
    }

    /// Applies a snapshot and changes from the server; all of them are on
    /// the server, so they become confirmed. Returns how many changes were
    /// new to this device.
    pub fn apply(&mut self, update: &DocUpdate) -> Result<usize, ApplyError> {
        if update.doc != self.id {
            return Err(ApplyError::WrongDocument {
                expected: self.id,
                got: update.doc,
            });
        }
        let before = self.doc.get_heads();
        // Decode everything first, so that bad input changes nothing.
        let mut server_side: Vec<ChangeHash> = Vec::new();
        let mut changes = Vec::with_capacity(update.changes.len());
        for bytes in &update.changes {
            let change = super::decode_change(bytes).map_err(ApplyError::Undecodable)?;
            server_side.push(change.hash());
            changes.push(change);
        }
        let mut loaded = match &update.snapshot {
            Some(snapshot) => Some(
                Automerge::load(snapshot).map_err(|e| ApplyError::BadSnapshot(e.to_string()))?,
            ),
            None => None,
        };
        let first = before.is_empty();
        if let Some(mut loaded) = loaded.take() {
            server_side.extend(loaded.get_heads());
            if first {
                // A record new to this device (a first sync brings
                // thousands): the loaded snapshot is the copy, not
                // replayed change by change into an empty document.
                self.doc = loaded;
            } else {
                self.doc.merge(&mut loaded)?;
            }
        }
        self.doc.apply_changes(changes)?;
        let new = if first {
            self.doc.get_changes_meta(&[]).len()
        } else {
            self.doc.get_changes(&before).len()
        };
        self.confirm(&server_side);
        Ok(new)
    }

    /// The header of the document, if it has one.
    pub fn header(&self) -> Option<Header> {
        document::header(&self.doc).ok()
    }
}

/// The device's cursors, one per readable space.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CursorBook {
    cursors: BTreeMap<SpaceId, SpaceCursor>,
}

impl CursorBook {
    /// A book from stored cursors.
    pub fn from_cursors(cursors: impl IntoIterator<Item = SpaceCursor>) -> Self {
        CursorBook {
            cursors: cursors.into_iter().map(|c| (c.space, c)).collect(),
        }
    }

    /// The cursors to send.
    pub fn cursors(&self) -> Vec<SpaceCursor> {
        self.cursors.values().cloned().collect()
    }

    /// The cursor of `space`, if the device has synced it.
    pub fn cursor(&self, space: SpaceId) -> Option<&SpaceCursor> {
        self.cursors.get(&space)
    }

    /// Takes the cursor of a live update that followed the one held
    /// ([`crate::protocol::LiveUpdate::fit`]); other spaces stay as
    /// they are.
    pub fn advance(&mut self, cursor: SpaceCursor) {
        self.cursors.insert(cursor.space, cursor);
    }

    /// Takes the server's new cursors. Returns the spaces whose epoch changed
    /// (the server's feed was restored: every document of those spaces must
    /// be pushed again) and the spaces the device may no longer read.
    pub fn update(&mut self, response: &SyncResponse) -> CursorChanges {
        let mut changes = CursorChanges::default();
        for cursor in &response.cursors {
            if let Some(old) = self.cursors.get(&cursor.space)
                && old.epoch != 0
                && old.epoch != cursor.epoch
            {
                changes.epoch_changed.push(cursor.space);
            }
            self.cursors.insert(cursor.space, cursor.clone());
        }
        if !response.spaces.is_empty() || !response.cursors.is_empty() {
            let readable: Vec<SpaceId> = response.spaces.iter().map(|s| s.space).collect();
            let gone: Vec<SpaceId> = self
                .cursors
                .keys()
                .filter(|s| !readable.contains(s))
                .copied()
                .collect();
            for space in gone {
                self.cursors.remove(&space);
                changes.no_longer_readable.push(space);
            }
        }
        changes
    }
}

/// What changed in the cursor book after a response.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CursorChanges {
    pub epoch_changed: Vec<SpaceId>,
    pub no_longer_readable: Vec<SpaceId>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{create, read, write};
    use crate::ids::DeviceId;
    use crate::records::Person;
    use crate::time::Timestamp;

    fn replica() -> (ReplicaDoc, DeviceId) {
        let device = DeviceId::random();
        let doc = create(&Person::new("Ala", Timestamp(0)), device, Timestamp(0)).expect("create");
        let header = document::header(&doc).expect("header");
        (ReplicaDoc::local(header, 0, doc), device)
    }

    #[test]
    fn a_new_document_pushes_its_changes_until_confirmed() {
        let (mut replica, device) = replica();
        let push = replica.push().expect("pending");
        assert_eq!(push.changes.len(), 1);
        let hash = Change::try_from(push.changes[0].as_slice())
            .expect("change")
            .hash();
        replica.confirm(&[hash]);
        assert!(replica.push().is_none());
        assert!(replica.is_confirmed());

        let mut person: Person = read(&replica.doc).expect("read");
        person.birth_year = Some(1980);
        write(&mut replica.doc, &person, device, Timestamp(1), "edit").expect("write");
        let push = replica.push().expect("pending");
        assert_eq!(push.changes.len(), 1, "only the new change");
    }

    #[test]
    fn pulled_changes_are_confirmed_and_not_pushed_back() {
        let (mut server_copy, _) = replica();
        let other_device = DeviceId::random();
        let mut device_copy = ReplicaDoc::from_update(&DocUpdate {
            doc: server_copy.id,
            space: server_copy.space,
            kind: server_copy.kind,
            generation: 0,
            snapshot: Some(ByteBuf::from(server_copy.doc.save())),
            changes: vec![],
        })
        .expect("from snapshot");
        assert!(device_copy.is_confirmed());

        let mut person: Person = read(&server_copy.doc).expect("read");
        person.alias = "Ala K.".into();
        write(
            &mut server_copy.doc,
            &person,
            other_device,
            Timestamp(2),
            "edit",
        )
        .expect("write");
        let newest = server_copy.doc.get_changes(&device_copy.doc.get_heads());
        let new = device_copy
            .apply(&DocUpdate {
                doc: server_copy.id,
                space: server_copy.space,
                kind: server_copy.kind,
                generation: 0,
                snapshot: None,
                changes: newest
                    .iter()
                    .map(|c| ByteBuf::from(c.raw_bytes().to_vec()))
                    .collect(),
            })
            .expect("apply");
        assert_eq!(new, 1);
        assert!(device_copy.push().is_none());
        assert_eq!(
            read::<Person>(&device_copy.doc).expect("read").alias,
            "Ala K."
        );
    }

    #[test]
    fn undecodable_pulled_bytes_are_an_error_and_change_nothing() {
        let (mut replica, _) = replica();
        let heads = replica.doc.get_heads();
        let err = replica
            .apply(&DocUpdate {
                doc: replica.id,
                space: replica.space,
                kind: replica.kind,
                generation: 0,
                snapshot: None,
                changes: vec![ByteBuf::from(b"not a change".to_vec())],
            })
            .expect_err("garbage");
        assert!(matches!(err, ApplyError::Undecodable(_)));
        assert_eq!(replica.doc.get_heads(), heads);
    }

    #[test]
    fn an_epoch_change_is_reported() {
        let space = SpaceId::random();
        let mut book = CursorBook::from_cursors([SpaceCursor {
            space,
            epoch: 1,
            seq: 10,
            snapshot: None,
            mac: None,
        }]);
        let response = SyncResponse {
            cursors: vec![SpaceCursor {
                space,
                epoch: 2,
                seq: 3,
                snapshot: None,
                mac: None,
            }],
            spaces: vec![crate::protocol::SpaceAccess {
                space,
                name: "x".into(),
                write: true,
                partner: None,
            }],
            ..Default::default()
        };
        let changes = book.update(&response);
        assert_eq!(changes.epoch_changed, vec![space]);
        assert_eq!(book.cursors()[0].seq, 3);
    }
}

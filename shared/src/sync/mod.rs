//! Sans-I/O sync logic.
//!
//! - [`replica`]: one document on a device: which changes to push, what
//!   the server has confirmed, applying pulled changes and snapshots; the
//!   device's cursors.
//! - [`device`]: the device side of an exchange: what a request pushes,
//!   and what an answer does to the device's copies ([`device::Effects`]).
//! - [`ingest`]: the server side of one pushed document: where it may go,
//!   decode, order by dependencies, apply, validate; what to store and
//!   what to refuse.
//! - [`pull`]: the server side of a pull: what a cursor means, which rows
//!   to read, what fits in the answer, the cursor handed back.
//!
//! None of them touches a socket or a disk: the device engine and the sync
//! server carry out what these functions decide, and decide nothing about
//! sync of their own. The property test in `tests/convergence.rs` runs the
//! same functions on several replicas and an in-memory store, with
//! partitions, lost, repeated and reordered messages, restores and
//! erasures.

pub mod device;
pub mod ingest;
pub mod pull;
pub mod replica;

use automerge::{Automerge, ChangeHash};

/// Decodes one Automerge change from bytes that may be hostile. Automerge
/// panics on some malformed changes (an op counter past 32 bits:
/// fuzz/regressions/ingest/changes-do-not-reapply) instead of returning an
/// error; such a panic is caught here and reported as malformed.
pub fn decode_change(bytes: &[u8]) -> Result<automerge::Change, String> {
    match std::panic::catch_unwind(|| automerge::Change::try_from(bytes)) {
        Ok(Ok(change)) => Ok(change),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("a malformed change".to_string()),
    }
}

/// A change hash in wire form.
pub fn wire_hash(hash: &ChangeHash) -> crate::protocol::WireHash {
    serde_bytes::ByteArray::new(hash.0)
}

/// A change hash from wire form.
pub fn from_wire_hash(hash: &crate::protocol::WireHash) -> ChangeHash {
    ChangeHash(hash.into_array())
}

/// Reduces a set of change hashes known to be on the server to a small
/// set with the same ancestry: drops every hash that another one in the set
/// depends on directly. The result may still hold hashes that are
/// transitive ancestors of others; that costs a little space, never
/// correctness ([`Automerge::get_changes`] accepts any set).
pub fn reduce_heads(doc: &Automerge, hashes: &[ChangeHash]) -> Vec<ChangeHash> {
    let mut set: std::collections::BTreeSet<ChangeHash> = hashes.iter().copied().collect();
    let deps: Vec<ChangeHash> = set
        .iter()
        .filter_map(|h| doc.get_change_meta_by_hash(h))
        .flat_map(|meta| meta.deps)
        .collect();
    for dep in deps {
        set.remove(&dep);
    }
    // Only hashes the document holds can be confirmed heads.
    set.retain(|h| doc.get_change_meta_by_hash(h).is_some());
    set.into_iter().collect()
}

//! Cursors sealed by the server.
//!
//! A device sends back the cursors the server gave it. A cursor ahead of
//! the feed means the feed lost entries the device saw: the database was
//! restored from a backup, and the server starts a new epoch so that every
//! device pushes what it holds again. A device must not be able to claim
//! that: every cursor the server hands out carries an HMAC-SHA256 seal
//! under a key kept in the database (`meta.cursor_key`, restored with it),
//! and only a sealed cursor ahead of the feed starts a new epoch. Any
//! other cursor ahead of the feed is answered for that device alone, as a
//! fresh one (its space's snapshots again); nothing shared changes.

use hmac::{Hmac, Mac};
use serde_bytes::ByteBuf;
use sha2::Sha256;

use odnowa_shared::protocol::SpaceCursor;

/// Bytes of the seal kept (128 bits of HMAC-SHA256).
const SEAL_BYTES: usize = 16;

/// The key that seals cursors.
#[derive(Clone)]
pub struct CursorSeal {
    key: Vec<u8>,
}

impl std::fmt::Debug for CursorSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorSeal(…)")
    }
}

impl CursorSeal {
    /// A seal under `key` (at least 32 bytes from the database).
    pub fn new(key: Vec<u8>) -> Self {
        CursorSeal { key }
    }

    fn mac(&self, cursor: &SpaceCursor) -> Hmac<Sha256> {
        // A key of any length is valid for HMAC.
        let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(&self.key) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        mac.update(b"odnowa-cursor-v1");
        mac.update(cursor.space.uuid().as_bytes());
        mac.update(&cursor.epoch.to_be_bytes());
        mac.update(&cursor.seq.to_be_bytes());
        match &cursor.snapshot {
            None => mac.update(&[0]),
            Some(phase) => {
                mac.update(&[1]);
                match phase.after {
                    Some(after) => {
                        mac.update(&[1]);
                        mac.update(after.uuid().as_bytes());
                    }
                    None => mac.update(&[0]),
                }
                mac.update(&phase.upto.to_be_bytes());
            }
        }
        mac
    }

    /// Seals `cursor` as it is now.
    pub fn seal(&self, cursor: &mut SpaceCursor) {
        let tag = self.mac(cursor).finalize().into_bytes();
        cursor.mac = Some(ByteBuf::from(tag[..SEAL_BYTES].to_vec()));
    }

    /// Whether this server handed out `cursor` exactly as it is.
    pub fn issued(&self, cursor: &SpaceCursor) -> bool {
        match &cursor.mac {
            Some(tag) if tag.len() == SEAL_BYTES => {
                self.mac(cursor).verify_truncated_left(tag).is_ok()
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use odnowa_shared::ids::SpaceId;

    #[test]
    fn only_a_sealed_cursor_counts_as_issued() {
        let seal = CursorSeal::new(vec![7; 32]);
        let mut cursor = SpaceCursor {
            seq: 41,
            epoch: 3,
            ..SpaceCursor::fresh(SpaceId::REGISTRY)
        };
        assert!(!seal.issued(&cursor), "no seal");
        seal.seal(&mut cursor);
        assert!(seal.issued(&cursor));
        let mut forged = cursor.clone();
        forged.seq = 1 << 62;
        assert!(!seal.issued(&forged), "a changed position");
        assert!(
            !CursorSeal::new(vec![8; 32]).issued(&cursor),
            "another server's key"
        );
    }
}

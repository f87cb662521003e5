//! Device tokens and enrolment codes.
//!
//! A device token is 32 random bytes (base64url); the server stores only its
//! SHA-256. A token has full entropy, so a fast hash is enough: nobody can
//! guess one from the hash. An enrolment code is short enough to type
//! (ten characters from an alphabet without look-alikes, shown as
//! `ABCDE-FGHJK`), works once and expires; it too is stored hashed.

use base64::Engine;
use rand::Rng;
use sha2::{Digest, Sha256};

/// Characters of enrolment codes: no 0/O, 1/I/L.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const CODE_LEN: usize = 10;

/// A new device token.
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a token or a code.
pub fn hash_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new enrolment code, as shown to a coordinator (`ABCDE-FGHJK`).
pub fn new_enrol_code() -> String {
    let mut rng = rand::rng();
    let chars: String = (0..CODE_LEN)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect();
    format!("{}-{}", &chars[..CODE_LEN / 2], &chars[CODE_LEN / 2..])
}

/// A code as typed by a person, normalised: case, spaces and dashes do not
/// matter, and look-alikes (O→0 is not in the alphabet) are mapped.
pub fn normalise_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect()
}

/// The stored form of an enrolment code.
pub fn hash_code(typed: &str) -> String {
    hash_secret(&normalise_code(typed))
}

/// The token from an `Authorization: Bearer …` header value.
pub fn bearer(header: &str) -> Option<&str> {
    let token = header.strip_prefix("Bearer ")?.trim();
    (!token.is_empty() && token.len() <= 128).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_typed_forgivingly() {
        let code = new_enrol_code();
        assert_eq!(code.len(), 11);
        let typed = code.to_lowercase().replace('-', " ");
        assert_eq!(hash_code(&typed), hash_code(&code));
    }

    #[test]
    fn tokens_are_distinct_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(hash_secret(&a).len(), 64);
        assert_ne!(hash_secret(&a), a);
    }

    #[test]
    fn bearer_headers() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer "), None);
    }
}

//! Encryption at rest on the device.
//!
//! Every record's bytes, the device token and anything else that could
//! name a person is sealed with XChaCha20-Poly1305 under a random 256-bit
//! *data key* before it reaches SQLite. The data key itself is stored only
//! wrapped (sealed) under a *PIN key* derived from the person's PIN with
//! Argon2id and a random salt ([`Keyring`]). The data key lives in memory
//! while the app runs and is zeroed when it is dropped.
//!
//! A sealed value is `1 ‖ nonce (24 bytes) ‖ ciphertext and tag`. The
//! associated data names where the value belongs (`doc/<id>`, `meta/<key>`),
//! so a sealed record copied into another row does not open there.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use zeroize::Zeroizing;

/// The first byte of every sealed value (the format's version).
const SEALED_V1: u8 = 1;
const NONCE_LEN: usize = 24;
const KEY_LEN: usize = 32;
const SALT_LEN: usize = 16;
/// Associated data of the wrapped data key.
const WRAP_AAD: &[u8] = b"odnowa/keyring/v1";

/// The shortest PIN accepted.
pub const MIN_PIN_LEN: usize = 6;
/// The longest PIN (or passphrase) accepted, in characters.
pub const MAX_PIN_LEN: usize = 64;

/// Why sealing or opening failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error("the PIN is wrong")]
    WrongPin,
    #[error("the PIN has {MIN_PIN_LEN} to {MAX_PIN_LEN} characters (digits are enough)")]
    WeakPin,
    #[error("sealed data does not open: {0}")]
    Corrupt(&'static str),
    #[error("key derivation failed: {0}")]
    Kdf(String),
}

/// Argon2id cost parameters, kept with the keyring so that they can grow
/// for new keyrings without breaking old ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    pub t_cost: u32,
    pub p_cost: u32,
}

impl Default for KdfParams {
    /// 64 MiB, three passes, one lane: about half a second on a mid-range
    /// phone, which is what each guess of a stolen database costs.
    fn default() -> Self {
        KdfParams {
            m_kib: 64 * 1024,
            t_cost: 3,
            p_cost: 1,
        }
    }
}

/// What is stored to find the data key again from the PIN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyring {
    pub salt: Vec<u8>,
    pub params: KdfParams,
    /// The data key sealed under the PIN key.
    pub wrapped: Vec<u8>,
}

/// The key every stored value is sealed with. Zeroed on drop.
pub struct DataKey(Zeroizing<[u8; KEY_LEN]>);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(…)")
    }
}

/// Refuses a PIN that is too short or too long.
pub fn check_pin(pin: &str) -> Result<(), VaultError> {
    let len = pin.chars().count();
    if !(MIN_PIN_LEN..=MAX_PIN_LEN).contains(&len) || pin.trim() != pin {
        return Err(VaultError::WeakPin);
    }
    Ok(())
}

fn derive(pin: &str, salt: &[u8], params: KdfParams) -> Result<DataKey, VaultError> {
    let argon_params =
        argon2::Params::new(params.m_kib, params.t_cost, params.p_cost, Some(KEY_LEN))
            .map_err(|e| VaultError::Kdf(e.to_string()))?;
    let argon = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon_params,
    );
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    argon
        .hash_password_into(pin.as_bytes(), salt, key.as_mut())
        .map_err(|e| VaultError::Kdf(e.to_string()))?;
    Ok(DataKey(key))
}

impl Keyring {
    /// A new random data key, wrapped under `pin`.
    pub fn create(pin: &str, params: KdfParams) -> Result<(Keyring, DataKey), VaultError> {
        check_pin(pin)?;
        let mut rng = rand::rng();
        let mut salt = vec![0u8; SALT_LEN];
        rng.fill_bytes(&mut salt);
        let mut data = Zeroizing::new([0u8; KEY_LEN]);
        rng.fill_bytes(data.as_mut());
        let data = DataKey(data);
        let pin_key = derive(pin, &salt, params)?;
        let wrapped = pin_key.seal(WRAP_AAD, data.0.as_ref())?;
        Ok((
            Keyring {
                salt,
                params,
                wrapped,
            },
            data,
        ))
    }

    /// The data key, if `pin` is right.
    pub fn open(&self, pin: &str) -> Result<DataKey, VaultError> {
        let pin_key = derive(pin, &self.salt, self.params)?;
        let plain = Zeroizing::new(
            pin_key
                .open(WRAP_AAD, &self.wrapped)
                .map_err(|_| VaultError::WrongPin)?,
        );
        let bytes: [u8; KEY_LEN] = plain
            .as_slice()
            .try_into()
            .map_err(|_| VaultError::Corrupt("the wrapped key has the wrong length"))?;
        Ok(DataKey(Zeroizing::new(bytes)))
    }
}

impl DataKey {
    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.0.as_ref().into())
    }

    /// `plain` sealed for the place named by `aad`.
    pub fn seal(&self, aad: &[u8], plain: &[u8]) -> Result<Vec<u8>, VaultError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        // Fails only for inputs over 256 GiB, which a record never is.
        let sealed = self
            .cipher()
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plain, aad })
            .map_err(|_| VaultError::Corrupt("too large to seal"))?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(SEALED_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// The plain bytes of `sealed`, which must have been sealed for `aad`.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, VaultError> {
        let Some((&version, rest)) = sealed.split_first() else {
            return Err(VaultError::Corrupt("empty"));
        };
        if version != SEALED_V1 {
            return Err(VaultError::Corrupt("not sealed by this app"));
        }
        if rest.len() < NONCE_LEN + 16 {
            return Err(VaultError::Corrupt("too short"));
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        self.cipher()
            .decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad })
            .map_err(|_| VaultError::Corrupt("authentication failed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cheap parameters: the tests check the construction, not the cost.
    const FAST: KdfParams = KdfParams {
        m_kib: 256,
        t_cost: 1,
        p_cost: 1,
    };

    #[test]
    fn the_right_pin_opens_the_keyring_and_a_wrong_one_does_not() {
        let (keyring, key) = Keyring::create("482913", FAST).expect("create");
        let sealed = key.seal(b"doc/1", b"Kasia spod mostu").expect("seal");
        let reopened = keyring.open("482913").expect("right pin");
        assert_eq!(
            reopened.open(b"doc/1", &sealed).expect("opens"),
            b"Kasia spod mostu"
        );
        assert_eq!(keyring.open("482914").err(), Some(VaultError::WrongPin));
    }

    #[test]
    fn sealed_values_hide_their_text_and_stay_in_their_place() {
        let (_, key) = Keyring::create("482913", FAST).expect("create");
        let plain = b"Kasia spod mostu";
        let a = key.seal(b"doc/1", plain).expect("seal");
        let b = key.seal(b"doc/1", plain).expect("seal");
        assert_ne!(a, b, "a fresh nonce every time");
        assert!(!a.windows(5).any(|w| w == b"Kasia"));
        assert!(matches!(
            key.open(b"doc/2", &a),
            Err(VaultError::Corrupt(_))
        ));
        let mut flipped = a.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(matches!(
            key.open(b"doc/1", &flipped),
            Err(VaultError::Corrupt(_))
        ));
        assert!(key.open(b"doc/1", &[]).is_err());
        assert!(key.open(b"doc/1", &[1, 2, 3]).is_err());
        assert!(key.open(b"doc/1", &[0x85, 0x6f, 0x4a, 0x83]).is_err());
    }

    #[test]
    fn short_or_padded_pins_are_refused() {
        assert_eq!(check_pin("12345"), Err(VaultError::WeakPin));
        assert_eq!(check_pin(" 123456"), Err(VaultError::WeakPin));
        assert_eq!(check_pin(&"1".repeat(65)), Err(VaultError::WeakPin));
        assert_eq!(check_pin("123456"), Ok(()));
        assert!(Keyring::create("123", FAST).is_err());
    }
}

//! Office passwords: Argon2id hashes (a random salt, PHC strings), checked
//! on two fixed threads that each reuse one Argon2 memory block, so that a
//! flood of logins costs at most two blocks of memory.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};

/// Hashes a password for storage (Argon2id, a random salt, PHC string).
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `password` matches the stored `hash` (logins go through the
/// password threads, [`verify_reusing`], which this is with fresh memory).
pub fn verify_password(password: &str, hash: &str) -> bool {
    verify_reusing(password, hash, &mut Vec::new())
}

/// A hash of a random password, verified for unknown users so that a
/// wrong name takes as long as a wrong password.
pub(crate) fn dummy_hash() -> String {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY
        .get_or_init(|| hash_password(&crate::auth::new_token()).unwrap_or_default())
        .clone()
}

/// Threads that verify passwords: two, always the same. Each Argon2
/// verification takes a 19 MiB block; on the runtime's blocking pool every
/// call could land on another thread, and each thread's allocator arena
/// kept its block (a flood of 512 logins left 476 MiB resident). Two fixed
/// threads keep at most two blocks, and a flood waits its turn.
const ARGON2_THREADS: usize = 2;

type Verification = (String, String, tokio::sync::oneshot::Sender<bool>);

fn argon2_workers() -> &'static std::sync::mpsc::Sender<Verification> {
    static WORKERS: std::sync::OnceLock<std::sync::mpsc::Sender<Verification>> =
        std::sync::OnceLock::new();
    WORKERS.get_or_init(|| {
        let (jobs, queue) = std::sync::mpsc::channel::<Verification>();
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        for n in 0..ARGON2_THREADS {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || {
                    // One Argon2 memory block per thread, reused.
                    let mut blocks: Vec<argon2::Block> = Vec::new();
                    loop {
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(poisoned) => poisoned.into_inner().recv(),
                        };
                        let Ok((password, hash, answer)) = job else {
                            break;
                        };
                        let _ = answer.send(verify_reusing(&password, &hash, &mut blocks));
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a password thread");
            }
        }
        jobs
    })
}

/// [`verify_password`] with Argon2's memory in `blocks`, kept for the next.
fn verify_reusing(password: &str, hash: &str, blocks: &mut Vec<argon2::Block>) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
        argon2::Algorithm::try_from(parsed.algorithm),
        argon2::Params::try_from(&parsed),
        parsed.salt,
        parsed.hash,
    ) else {
        return false;
    };
    let version = match parsed.version.map(argon2::Version::try_from) {
        None => argon2::Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    blocks.resize(params.block_count(), argon2::Block::default());
    let mut out = vec![0u8; expected.len()];
    let computed = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
        password.as_bytes(),
        salt,
        &mut out,
        &mut blocks[..],
    );
    // `Output` compares in constant time.
    computed.is_ok()
        && argon2::password_hash::Output::new(&out).is_ok_and(|output| output == expected)
}

/// Verifies `password` against `hash` on the password threads.
pub(crate) async fn verify_on_workers(password: String, hash: String) -> bool {
    let (answer, verified) = tokio::sync::oneshot::channel();
    if argon2_workers().send((password, hash, answer)).is_err() {
        return false;
    }
    verified.await.unwrap_or(false)
}

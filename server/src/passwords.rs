//! Human passwords: argon2id hashes and the strength rule (NIST 800-63B style:
//! length and a block list, no composition rules).
use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};

pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 128;

/// Passwords people reach for first; refused whatever their length.
const COMMON: &[&str] = &[
    "password1234",
    "123456789012",
    "qwertyuiopas",
    "passwordpassword",
    "medicare1234",
    "bluebutton123",
    "letmeinplease",
    "iloveyou1234",
    "administrator",
    "welcome12345",
    "changeme1234",
    "abcdefghijkl",
    "111111111111",
    "000000000000",
    "aaaaaaaaaaaa",
];

/// Why a password is not acceptable, phrased for the person choosing it.
pub fn weakness(password: &str, email: &str, name: &str) -> Option<String> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Some(format!("Use at least {MIN_LENGTH} characters."));
    }
    if length > MAX_LENGTH {
        return Some(format!("Use at most {MAX_LENGTH} characters."));
    }
    let lower = password.to_lowercase();
    if COMMON.contains(&lower.as_str()) || lower.chars().all(|c| Some(c) == lower.chars().next()) {
        return Some("This password is too common. Choose something less guessable.".into());
    }
    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    if local.len() >= 4 && lower.contains(&local) {
        return Some("Do not use your email address in your password.".into());
    }
    let name = name.trim().to_lowercase();
    if name.len() >= 4 && lower.contains(&name) {
        return Some("Do not use your name in your password.".into());
    }
    None
}

/// An argon2id PHC string with a fresh salt.
pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters accepts any password")
        .to_string()
}

/// Hashes a password that is published on purpose: the synthetic enrollees'
/// documented sandbox passwords (`PW00000!`…). Still argon2id, with light
/// parameters, so that loading 30,000 of them takes seconds, not an hour;
/// [`verify`] reads the parameters from the hash.
pub fn hash_published(password: &str) -> String {
    let params = argon2::Params::new(256, 1, 1, None).expect("valid argon2 parameters");
    let salt = SaltString::generate(&mut OsRng);
    Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 accepts any password")
        .to_string()
}

/// Constant-time verification against a stored PHC string.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// More password checks than the pool can start in time: answer 429.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("too many password checks at once")]
pub struct Busy;

/// How long a check may wait for a free slot before it is refused.
const WAIT_FOR_SLOT: std::time::Duration = std::time::Duration::from_secs(2);

/// argon2 is meant to be slow (tens of milliseconds of CPU per check in a
/// release build, about a second in a debug one). Run inline on the async
/// runtime, a few dozen anonymous sign-in posts would occupy every worker and
/// stall all requests, `/healthz` and FHIR reads included. So checks run on the
/// blocking pool, at most one per core but one at a time, leaving a core for
/// everything else; the rest wait up to [`WAIT_FOR_SLOT`], then get [`Busy`].
fn slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        tokio::sync::Semaphore::new(cores.saturating_sub(1).max(1))
    })
}

async fn off_the_runtime<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Busy> {
    let _slot = tokio::time::timeout(WAIT_FOR_SLOT, slots().acquire())
        .await
        .map_err(|_| Busy)?
        .expect("the semaphore is never closed");
    Ok(tokio::task::spawn_blocking(work)
        .await
        .expect("argon2 does not panic"))
}

/// [`verify`] on the blocking pool (see [`slots`]).
pub async fn verify_off_runtime(password: &str, stored: &str) -> Result<bool, Busy> {
    let (password, stored) = (password.to_string(), stored.to_string());
    off_the_runtime(move || verify(&password, &stored)).await
}

/// [`verify`] against the decoy hash on the blocking pool, so that an unknown
/// account costs the same as a known one.
pub async fn verify_decoy_off_runtime(password: &str) -> Result<bool, Busy> {
    let password = password.to_string();
    off_the_runtime(move || verify(&password, decoy_hash())).await
}

/// [`hash`] on the blocking pool (see [`slots`]).
pub async fn hash_off_runtime(password: &str) -> Result<String, Busy> {
    let password = password.to_string();
    off_the_runtime(move || hash(&password)).await
}

/// A hash to verify against when the account does not exist, so that the time
/// a failed login takes does not reveal whether the email is registered.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash("decoy password that nobody has"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_the_right_password() {
        let stored = hash("correct horse battery");
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("correct horse batterY", &stored));
        assert!(!verify("anything", "not a phc string"));
    }

    #[test]
    fn published_passwords_are_argon2id_and_verify_like_any_other() {
        let stored = hash_published("PW00042!");
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("PW00042!", &stored));
        assert!(!verify("PW00043!", &stored));
    }

    #[test]
    fn weak_passwords_are_explained() {
        assert!(weakness("short", "a@b.gov", "Ann").unwrap().contains("12"));
        assert!(weakness("Password1234", "a@b.gov", "Ann")
            .unwrap()
            .contains("common"));
        assert!(weakness("xxjdoe-2024-secret", "jdoe@example.com", "J")
            .unwrap()
            .contains("email"));
        assert!(weakness("my name is Margaret!", "x@y.z", "Margaret")
            .unwrap()
            .contains("name"));
        assert_eq!(
            weakness("tangerine-kettle-42", "jdoe@example.com", "Jane Doe"),
            None
        );
    }
}

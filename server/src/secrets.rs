//! Machine secrets: session tokens, one-time links, later OAuth codes and tokens.
//!
//! They carry 256 bits of entropy, so a plain SHA-256 digest is a safe thing to
//! store and look up by; a slow hash would only cost CPU on every request.
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A freshly generated secret, shown to its owner once and never stored.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// 32 random bytes from the OS generator, base64url without padding (43 characters).
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Wraps a secret presented by a client (cookie, link, header).
    pub fn from_presented(value: &str) -> Self {
        Self(value.to_string())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The digest that is stored and looked up.
    pub fn digest(&self) -> SecretDigest {
        SecretDigest(hex::encode(Sha256::digest(self.0.as_bytes())))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Hex SHA-256 of a [`Secret`]: 64 characters, safe to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretDigest(String);

impl SecretDigest {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_unique_and_hashed_whole() {
        let a = Secret::generate();
        let b = Secret::generate();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 43);
        assert_eq!(a.digest().as_str().len(), 64);
        assert_eq!(a.digest(), Secret::from_presented(a.expose()).digest());
        // A secret that differs only in its last character hashes differently.
        let mut almost = a.expose().to_string();
        let last = almost.pop().unwrap();
        almost.push(if last == 'A' { 'B' } else { 'A' });
        assert_ne!(a.digest(), Secret::from_presented(&almost).digest());
        assert!(!format!("{a:?}").contains(a.expose()));
    }
}

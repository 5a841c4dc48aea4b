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

/// The server's key for the few secrets that must be readable again and so
/// cannot be hashed: TOTP secrets, which the server needs to compute codes.
/// ChaCha20-Poly1305 with a random nonce per value and the owning row's id
/// as associated data, so a sealed value copied to another row does not open.
///
/// From `SECRETS_KEY` (64 hex characters), else from `secrets.key` in the
/// data directory, written on first start. Instances that share a database
/// must share the key.
#[derive(Clone)]
pub struct SealingKey(std::sync::Arc<ring::aead::LessSafeKey>);

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(<redacted>)")
    }
}

/// A sealed value that did not open: another key, another row, or altered.
#[derive(Debug, thiserror::Error)]
#[error("a sealed secret did not open (wrong SECRETS_KEY, or the value was altered)")]
pub struct Unsealable;

impl SealingKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let key = ring::aead::UnboundKey::new(&ring::aead::CHACHA20_POLY1305, &bytes)
            .expect("a 32-byte ChaCha20-Poly1305 key");
        Self(std::sync::Arc::new(ring::aead::LessSafeKey::new(key)))
    }

    /// Parses `SECRETS_KEY`: 32 bytes as 64 hex characters.
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes: [u8; 32] = hex::decode(text.trim()).ok()?.try_into().ok()?;
        Some(Self::from_bytes(bytes))
    }

    /// The key in `path`, or a new random one written there (owner-only) if
    /// the file does not exist yet.
    pub fn load_or_create(path: &std::path::Path) -> std::io::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_hex(&text).ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{} does not hold 64 hex characters", path.display()),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut bytes);
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                match options.open(path) {
                    Ok(mut file) => {
                        std::io::Write::write_all(&mut file, hex::encode(bytes).as_bytes())?;
                        Ok(Self::from_bytes(bytes))
                    }
                    // Another process wrote it first: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        Self::load_or_create(path)
                    }
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// `plaintext` sealed for the row `owner`: base64url of nonce ‖ ciphertext ‖ tag.
    pub fn seal(&self, owner: uuid::Uuid, plaintext: &[u8]) -> String {
        let mut nonce = [0u8; ring::aead::NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mut data = plaintext.to_vec();
        self.0
            .seal_in_place_append_tag(
                ring::aead::Nonce::assume_unique_for_key(nonce),
                ring::aead::Aad::from(owner.as_bytes()),
                &mut data,
            )
            .expect("sealing a short value");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// Opens what [`SealingKey::seal`] sealed for the same `owner`.
    pub fn open(&self, owner: uuid::Uuid, sealed: &str) -> Result<Vec<u8>, Unsealable> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed).map_err(|_| Unsealable)?;
        if bytes.len() < ring::aead::NONCE_LEN {
            return Err(Unsealable);
        }
        let (nonce, data) = bytes.split_at(ring::aead::NONCE_LEN);
        let nonce = ring::aead::Nonce::try_assume_unique_for_key(nonce).map_err(|_| Unsealable)?;
        let mut data = data.to_vec();
        let plain = self
            .0
            .open_in_place(nonce, ring::aead::Aad::from(owner.as_bytes()), &mut data)
            .map_err(|_| Unsealable)?;
        Ok(plain.to_vec())
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

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_for_its_row() {
        let key = SealingKey::from_bytes([7; 32]);
        let row = uuid::Uuid::new_v4();
        let sealed = key.seal(row, b"JBSWY3DPEHPK3PXP");
        assert!(!sealed.contains("JBSWY3DP"), "not readable at rest");
        assert_ne!(
            sealed,
            key.seal(row, b"JBSWY3DPEHPK3PXP"),
            "a nonce per value"
        );
        assert_eq!(key.open(row, &sealed).unwrap(), b"JBSWY3DPEHPK3PXP");
        assert!(
            key.open(uuid::Uuid::new_v4(), &sealed).is_err(),
            "another row"
        );
        assert!(
            SealingKey::from_bytes([8; 32]).open(row, &sealed).is_err(),
            "another key"
        );
        let mut altered = sealed.into_bytes();
        let last = altered.len() - 2;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        assert!(key.open(row, &String::from_utf8(altered).unwrap()).is_err());
        assert!(key.open(row, "").is_err());
    }

    #[test]
    fn the_key_file_is_written_once_and_read_back() {
        let dir = std::env::temp_dir().join(format!("sealing-{}", uuid::Uuid::new_v4()));
        let path = dir.join("secrets.key");
        let first = SealingKey::load_or_create(&path).unwrap();
        let row = uuid::Uuid::new_v4();
        let sealed = first.seal(row, b"secret");
        let again = SealingKey::load_or_create(&path).unwrap();
        assert_eq!(again.open(row, &sealed).unwrap(), b"secret");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "owner only");
        }
        std::fs::write(&path, "not hex").unwrap();
        assert!(SealingKey::load_or_create(&path).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}

//! Where uploaded files live: a content-addressed store (files named by their
//! SHA-256), in a local directory by default or an S3-compatible bucket when
//! configured. Their metadata is in the database.
pub mod s3;

use std::path::PathBuf;

use sha2::{Digest, Sha256};

/// The configured store.
#[derive(Clone, Debug)]
pub enum BlobStore {
    Local(LocalDir),
    S3(s3::S3Bucket),
}

/// A local directory of blobs.
#[derive(Clone, Debug)]
pub struct LocalDir {
    dir: PathBuf,
}

/// A hex SHA-256: the only thing that names a blob.
fn valid_name(sha256: &str) -> bool {
    sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

fn not_a_name() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a blob name")
}

/// Where a blob lives inside the store: `ab/abcdef…`.
fn key(sha256: &str) -> String {
    format!("{}/{sha256}", &sha256[..2])
}

impl BlobStore {
    /// A store in a local directory.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        BlobStore::Local(LocalDir { dir: dir.into() })
    }

    /// A store in an S3-compatible bucket.
    pub fn s3(config: s3::S3Config) -> Self {
        BlobStore::S3(s3::S3Bucket::new(config))
    }

    /// Stores `bytes` and returns their SHA-256 and whether the blob is new
    /// (so that a caller whose transaction fails can remove what it added).
    pub async fn put(&self, bytes: &[u8]) -> std::io::Result<(String, bool)> {
        let sha256 = hex::encode(Sha256::digest(bytes));
        let new = match self {
            BlobStore::Local(local) => local.put(&sha256, bytes).await?,
            BlobStore::S3(bucket) => {
                if bucket.exists(&key(&sha256)).await? {
                    false
                } else {
                    bucket.put(&key(&sha256), bytes).await?;
                    true
                }
            }
        };
        Ok((sha256, new))
    }

    pub async fn get(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        if !valid_name(sha256) {
            return Err(not_a_name());
        }
        match self {
            BlobStore::Local(local) => tokio::fs::read(local.path(sha256)).await,
            BlobStore::S3(bucket) => Ok(bucket.get(&key(sha256)).await?),
        }
    }

    /// Removes a blob that no record refers to.
    pub async fn remove(&self, sha256: &str) -> std::io::Result<()> {
        if !valid_name(sha256) {
            return Ok(());
        }
        match self {
            BlobStore::Local(local) => tokio::fs::remove_file(local.path(sha256)).await,
            BlobStore::S3(bucket) => Ok(bucket.delete(&key(sha256)).await?),
        }
    }

    /// Every file under a local store, temporary ones included (tests use
    /// this to prove that a failed upload left nothing behind); empty for S3.
    pub fn files(&self) -> Vec<PathBuf> {
        fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
            if let Ok(entries) = std::fs::read_dir(dir) {
                for entry in entries.flatten() {
                    let path = entry.path();
                    if path.is_dir() {
                        walk(&path, out);
                    } else {
                        out.push(path);
                    }
                }
            }
        }
        let mut out = Vec::new();
        if let BlobStore::Local(local) = self {
            walk(&local.dir, &mut out);
        }
        out
    }
}

impl LocalDir {
    fn path(&self, sha256: &str) -> PathBuf {
        self.dir.join(key(sha256))
    }

    /// Written to a temporary file first and renamed, so a reader never sees half a file.
    async fn put(&self, sha256: &str, bytes: &[u8]) -> std::io::Result<bool> {
        let path = self.path(sha256);
        if tokio::fs::try_exists(&path).await? {
            return Ok(false);
        }
        let parent = path.parent().expect("blob paths have a parent");
        tokio::fs::create_dir_all(parent).await?;
        let temp = parent.join(format!(".{}.{}.part", sha256, uuid::Uuid::new_v4()));
        let written = async {
            tokio::fs::write(&temp, bytes).await?;
            tokio::fs::File::open(&temp).await?.sync_all().await?;
            tokio::fs::rename(&temp, &path).await
        }
        .await;
        if let Err(error) = written {
            let _ = tokio::fs::remove_file(&temp).await;
            return Err(error);
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn blobs_are_named_by_content_and_stored_once() {
        let dir = std::env::temp_dir().join(format!("blobs-{}", uuid::Uuid::new_v4()));
        let store = BlobStore::new(&dir);
        let (sha, new) = store.put(b"hello").await.unwrap();
        assert_eq!(
            sha,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert!(new);
        assert_eq!(store.put(b"hello").await.unwrap(), (sha.clone(), false));
        assert_eq!(store.get(&sha).await.unwrap(), b"hello");
        assert_eq!(store.files().len(), 1, "no temporary files stay behind");
        assert!(store.get("../../etc/passwd").await.is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}

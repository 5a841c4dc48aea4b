//! Where uploaded files live: a content-addressed store (files named by their
//! SHA-256), in a local directory by default or an S3-compatible bucket when
//! configured. Their metadata is in the database, and `stored_blobs`
//! registers every file so that unreferenced ones can be collected safely
//! (`collector`).
pub mod collector;
pub mod s3;

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
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

    /// Stores `bytes` (once: identical bytes share a file) and returns their
    /// SHA-256. `db` must not be inside the caller's transaction: the claim
    /// commits first, so the collector leaves the file alone while the
    /// caller records it. A caller whose transaction then fails leaves the
    /// file to the collector, never removes it itself: another upload of
    /// the same bytes may be relying on it.
    pub async fn put(
        &self,
        db: &impl ConnectionTrait,
        bytes: &[u8],
        now: DateTime<Utc>,
    ) -> std::io::Result<String> {
        let sha256 = hex::encode(Sha256::digest(bytes));
        collector::claim(db, &sha256, now).await?;
        match self {
            BlobStore::Local(local) => local.put(&sha256, bytes).await?,
            BlobStore::S3(bucket) => {
                if !bucket.exists(&key(&sha256)).await? {
                    bucket.put(&key(&sha256), bytes).await?;
                }
            }
        }
        Ok(sha256)
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

    /// Removes a blob that no record refers to (only the collector does).
    async fn remove(&self, sha256: &str) -> std::io::Result<()> {
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

/// A file in a local store, for the collector.
#[derive(Debug)]
pub(crate) enum LocalEntry {
    Whole {
        sha256: String,
    },
    /// `.<sha256>.<uuid>.part`: a write in progress or cut off.
    Partial {
        sha256: String,
        path: PathBuf,
    },
}

impl LocalEntry {
    pub(crate) fn sha256(&self) -> &str {
        match self {
            LocalEntry::Whole { sha256 } | LocalEntry::Partial { sha256, .. } => sha256,
        }
    }

    fn from_path(path: PathBuf) -> Option<LocalEntry> {
        let name = path.file_name()?.to_str()?;
        if valid_name(name) {
            return Some(LocalEntry::Whole {
                sha256: name.to_string(),
            });
        }
        let sha256 = name.strip_prefix('.')?.get(..64)?.to_string();
        let partial = valid_name(&sha256) && name.ends_with(".part");
        partial.then_some(LocalEntry::Partial { sha256, path })
    }
}

impl BlobStore {
    /// Every blob and `.part` file in a local store; `None` for a bucket.
    pub(crate) async fn local_entries(&self) -> Option<Vec<LocalEntry>> {
        let BlobStore::Local(_) = self else {
            return None;
        };
        let store = self.clone();
        let files = tokio::task::spawn_blocking(move || store.files())
            .await
            .unwrap_or_default();
        Some(
            files
                .into_iter()
                .filter_map(LocalEntry::from_path)
                .collect(),
        )
    }
}

impl LocalDir {
    fn path(&self, sha256: &str) -> PathBuf {
        self.dir.join(key(sha256))
    }

    /// Written to a temporary file first and renamed, so a reader never sees half a file.
    async fn put(&self, sha256: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.path(sha256);
        if tokio::fs::try_exists(&path).await? {
            return Ok(());
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
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn blobs_are_named_by_content_and_stored_once() {
        let dir = std::env::temp_dir().join(format!("blobs-{}", uuid::Uuid::new_v4()));
        let store = BlobStore::new(dir.join("blobs"));
        std::fs::create_dir_all(&dir).unwrap();
        let db = crate::db::connect(&format!(
            "sqlite://{}?mode=rwc",
            dir.join("db.sqlite").display()
        ))
        .await
        .unwrap();
        crate::db::migrate(&db).await.unwrap();
        let now = "2026-01-05T12:00:00Z".parse().unwrap();
        let sha = store.put(&db, b"hello", now).await.unwrap();
        assert_eq!(
            sha,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(store.put(&db, b"hello", now).await.unwrap(), sha);
        assert_eq!(store.get(&sha).await.unwrap(), b"hello");
        assert_eq!(store.files().len(), 1, "no temporary files stay behind");
        assert!(store.get("../../etc/passwd").await.is_err());
        db.close().await.unwrap();
        std::fs::remove_dir_all(dir).unwrap();
    }
}

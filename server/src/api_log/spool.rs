//! The access log's spool: every record is appended to a file of this
//! process before it is queued for the database, so that records survive a
//! process killed outright (issue 19).
//!
//! Layout, in `DATA_DIR/access-log-spool/`: `<instance>.lock`, held locked
//! by the live process, and segments `<instance>-<first seq>.log`, one line
//! per record (`seq<TAB>json`), numbered from 1 in queue order. Each batch
//! the writer commits also records, in the same transaction, the number of
//! its last record (`access_log_spools.settled_seq`); a segment whose
//! records are all settled is deleted.
//!
//! At start-up [`recover`] looks for lock files no live process holds
//! (the kernel releases a lock when its process dies, however it dies),
//! writes the records after the dead instance's `settled_seq`, and removes
//! its files: each record reaches the table exactly once.
//!
//! The cost on the request path is one `write` of ~300 bytes to the page
//! cache, unbuffered so that a kill loses nothing; no `fsync`, so it covers
//! a crash of the process, not of the machine, like SQLite's own
//! `synchronous = NORMAL`. While database writes fail only refusals arrive
//! (reads answer 503) and they are not spooled, so the spool stays bounded
//! by what is queued.
use std::{
    collections::VecDeque,
    fs::{File, OpenOptions},
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
    sync::Mutex,
};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};
use uuid::Uuid;

use super::{insert, AccessRecord, Checkpoint, BATCH};

/// A segment is closed once it holds this much, so settled records can be
/// deleted while the process runs.
const SEGMENT_BYTES: u64 = 8 * 1024 * 1024;

pub struct Spool {
    dir: PathBuf,
    instance: Uuid,
    /// Held (and locked) for the life of the process.
    _lock: File,
    state: Mutex<State>,
}

struct State {
    next_seq: u64,
    current: File,
    current_bytes: u64,
    /// First record numbers of the segments still on disk, oldest first;
    /// the last is `current`.
    segments: VecDeque<u64>,
}

fn segment_path(dir: &Path, instance: Uuid, first: u64) -> PathBuf {
    dir.join(format!("{instance}-{first:020}.log"))
}

fn lock_path(dir: &Path, instance: Uuid) -> PathBuf {
    dir.join(format!("{instance}.lock"))
}

fn open_segment(dir: &Path, instance: Uuid, first: u64) -> std::io::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(segment_path(dir, instance, first))
}

impl Spool {
    /// A new spool for this process under `dir`.
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let instance = Uuid::new_v4();
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(lock_path(dir, instance))?;
        lock.try_lock().map_err(std::io::Error::other)?;
        let current = open_segment(dir, instance, 1)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            instance,
            _lock: lock,
            state: Mutex::new(State {
                next_seq: 1,
                current,
                current_bytes: 0,
                segments: VecDeque::from([1]),
            }),
        })
    }

    pub fn instance(&self) -> Uuid {
        self.instance
    }

    /// Appends `record` and hands it to `queue` with its number, both under
    /// the spool's lock, so that queue order is number order. If the file
    /// cannot be written the record is queued unnumbered (and the error
    /// logged): the database write is still ahead of it.
    pub(super) fn append(
        &self,
        record: AccessRecord,
        queue: impl FnOnce(AccessRecord, Option<u64>),
    ) {
        let json = match serde_json::to_vec(&record) {
            Ok(json) => json,
            Err(error) => {
                tracing::error!(%error, "an access-log record could not be spooled");
                return queue(record, None);
            }
        };
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let seq = state.next_seq;
        let mut line = Vec::with_capacity(json.len() + 22);
        line.extend_from_slice(seq.to_string().as_bytes());
        line.push(b'\t');
        line.extend_from_slice(&json);
        line.push(b'\n');
        if let Err(error) = state.current.write_all(&line) {
            tracing::error!(%error, "an access-log record could not be spooled");
            return queue(record, None);
        }
        state.next_seq += 1;
        state.current_bytes += line.len() as u64;
        queue(record, Some(seq));
        if state.current_bytes >= SEGMENT_BYTES {
            let first = state.next_seq;
            match open_segment(&self.dir, self.instance, first) {
                Ok(file) => {
                    state.current = file;
                    state.current_bytes = 0;
                    state.segments.push_back(first);
                }
                Err(error) => {
                    tracing::warn!(%error, "a new access-log spool segment could not be opened; the current one grows")
                }
            }
        }
    }

    /// Every record up to `seq` is in the table: delete the closed
    /// segments that hold only such records.
    pub(super) fn settled(&self, seq: u64) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while state.segments.len() > 1 && state.segments[1] <= seq + 1 {
            let first = state.segments.pop_front().expect("two segments");
            let _ = std::fs::remove_file(segment_path(&self.dir, self.instance, first));
        }
    }

    /// After a clean shutdown with everything written: removes the files
    /// and the row.
    pub(super) async fn close(&self, db: &DatabaseConnection) {
        let segments: Vec<u64> = {
            let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            state.segments.iter().copied().collect()
        };
        for first in segments {
            let _ = std::fs::remove_file(segment_path(&self.dir, self.instance, first));
        }
        let _ = forget(db, self.instance).await;
        let _ = std::fs::remove_file(lock_path(&self.dir, self.instance));
    }
}

async fn settled_seq(db: &DatabaseConnection, instance: Uuid) -> Result<u64, DbErr> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "SELECT settled_seq FROM access_log_spools WHERE instance_id = $1",
            [instance.into()],
        ))
        .await?;
    match row {
        Some(row) => Ok(row.try_get::<i64>("", "settled_seq")?.max(0) as u64),
        None => Ok(0),
    }
}

async fn forget(db: &DatabaseConnection, instance: Uuid) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        "DELETE FROM access_log_spools WHERE instance_id = $1",
        [instance.into()],
    ))
    .await
    .map(|_| ())
}

/// Writes what processes that died left in their spools under `dir`, and
/// removes their files; a spool whose process is alive is left alone.
/// Returns how many records it wrote.
pub async fn recover(db: &DatabaseConnection, dir: &Path) -> Result<u64, DbErr> {
    let io = |e: std::io::Error| DbErr::Custom(format!("access-log spool {}: {e}", dir.display()));
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(0); // no spool yet
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut written = 0;
    for name in &names {
        let Some(instance) = name
            .strip_suffix(".lock")
            .and_then(|id| Uuid::parse_str(id).ok())
        else {
            continue;
        };
        let lock = OpenOptions::new()
            .write(true)
            .open(dir.join(name))
            .map_err(io)?;
        if lock.try_lock().is_err() {
            continue; // its process is alive (or another is recovering it)
        }
        let settled = settled_seq(db, instance).await?;
        let prefix = format!("{instance}-");
        let segments: Vec<&String> = names
            .iter()
            .filter(|n| n.starts_with(&prefix) && n.ends_with(".log"))
            .collect();
        let mut batch: Vec<AccessRecord> = Vec::new();
        let mut last = settled;
        for segment in &segments {
            let file = File::open(dir.join(segment)).map_err(io)?;
            for line in BufReader::new(file).lines() {
                let Ok(line) = line else { break };
                // A line cut short by the kill was never queued: skip it.
                let Some((seq, json)) = line.split_once('\t') else {
                    continue;
                };
                let (Ok(seq), Ok(record)) = (
                    seq.parse::<u64>(),
                    serde_json::from_str::<AccessRecord>(json),
                ) else {
                    continue;
                };
                if seq <= last {
                    continue;
                }
                last = seq;
                batch.push(record);
                if batch.len() == BATCH {
                    written += settle(db, instance, &mut batch, last).await?;
                }
            }
        }
        written += settle(db, instance, &mut batch, last).await?;
        for segment in segments {
            let _ = std::fs::remove_file(dir.join(segment));
        }
        forget(db, instance).await?;
        let _ = std::fs::remove_file(dir.join(name));
        tracing::warn!(%instance, written, "wrote the access-log records a crashed process left in its spool");
    }
    Ok(written)
}

async fn settle(
    db: &DatabaseConnection,
    instance: Uuid,
    batch: &mut Vec<AccessRecord>,
    last: u64,
) -> Result<u64, DbErr> {
    let Some(at) = batch.last().map(|r| r.at) else {
        return Ok(0);
    };
    let checkpoint = Checkpoint {
        instance,
        seq: last,
        at,
    };
    insert(db, batch, Some(&checkpoint)).await?;
    let count = batch.len() as u64;
    batch.clear();
    Ok(count)
}

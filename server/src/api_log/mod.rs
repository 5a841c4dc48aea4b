//! The data API's access log: one row per FHIR or userinfo response (token,
//! app, beneficiary, resource, result count, status), so that every read of
//! an enrollee's data can be accounted for.
//!
//! Handlers hand records to a bounded queue and a background task writes
//! them in batches, so reads never wait on a database write. What makes
//! that safe is the spool ([`spool`], issue 19): before a record is queued
//! it is appended to a file of this process in the data directory, so a
//! process killed outright (SIGKILL, OOM) leaves every record it queued on
//! disk, and the next process to start writes them, each exactly once.
//!
//! It fails closed: a batch that cannot be written is kept and retried
//! until it is, never dropped, and while it cannot be,
//! [`ApiLog::is_writing`] is false, so the API answers 503 instead of
//! serving reads nobody could account for, and `/readyz` sends traffic
//! elsewhere. On shutdown the writer writes whatever is queued.
pub mod spool;

use std::{
    borrow::Cow,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, OnceLock,
    },
    time::Duration,
};

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch, Mutex};
use tracing::Instrument;
use uuid::Uuid;

use spool::Spool;

const QUEUE: usize = 20_000;
const BATCH: usize = 2_000;
/// How long the writer gathers records after the first of a batch arrives.
const GATHER: Duration = Duration::from_millis(50);

/// One API response to record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccessRecord {
    pub at: DateTime<Utc>,
    pub token_id: Option<Uuid>,
    pub application_id: Option<Uuid>,
    pub beneficiary_id: Option<Uuid>,
    pub method: String,
    pub path: String,
    pub resource: Cow<'static, str>,
    pub interaction: Cow<'static, str>,
    pub status: u16,
    pub result_count: Option<u64>,
    pub request_id: Option<String>,
    pub ip: Option<String>,
}

impl AccessRecord {
    /// Cut to the columns' sizes (`path` is 512 characters), here where
    /// every record passes: a longer value would fail its whole batch, and
    /// the log, failing closed, would then stop every read for everyone.
    fn fitted(mut self) -> Self {
        fn cut(text: &mut String, max: usize) {
            if let Some((at, _)) = text.char_indices().nth(max) {
                text.truncate(at);
            }
        }
        cut(&mut self.method, 8);
        cut(&mut self.path, 512);
        if let Some(id) = self.request_id.as_mut() {
            cut(id, 64);
        }
        if let Some(ip) = self.ip.as_mut() {
            cut(ip, 64);
        }
        self
    }
}

/// A queued record, with its number in this process's spool if it has one.
struct Queued {
    record: AccessRecord,
    seq: Option<u64>,
}

/// The sending side, shared by every handler. Cheap to clone.
#[derive(Clone)]
pub struct ApiLog {
    sender: mpsc::Sender<Queued>,
    receiver: Arc<Mutex<Option<mpsc::Receiver<Queued>>>>,
    /// False from a failed write until the next one succeeds.
    writing: Arc<AtomicBool>,
    /// Set when the writer starts.
    spool: Arc<OnceLock<Arc<Spool>>>,
    /// Refusal records let go because the queue was full.
    dropped: Arc<AtomicU64>,
}

impl Default for ApiLog {
    fn default() -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE);
        Self {
            sender,
            receiver: Arc::new(Mutex::new(Some(receiver))),
            writing: Arc::new(AtomicBool::new(true)),
            spool: Arc::new(OnceLock::new()),
            dropped: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl ApiLog {
    /// Whether records reach the database: false while a batch is failing.
    pub fn is_writing(&self) -> bool {
        self.writing.load(Ordering::SeqCst)
    }

    /// Records queued and not yet written.
    pub fn queue_depth(&self) -> usize {
        QUEUE - self.sender.capacity()
    }

    /// Spools and queues the record of a response; waits only while the
    /// queue is full (the writer is behind). Call it before the response
    /// goes out: once it returns, the record survives a crash.
    pub async fn record(&self, record: AccessRecord) {
        let Ok(permit) = self.sender.reserve().await else {
            tracing::error!("the access log writer has stopped; a record could not be queued");
            return;
        };
        self.queue(record.fitted(), permit);
    }

    /// The record of a refusal (no enrollee data went out): queued like any
    /// other, but never waits; if the queue is full it is counted and let
    /// go, so that a flood of refused requests cannot stall the server.
    pub fn record_refusal(&self, record: AccessRecord) {
        match self.sender.try_reserve() {
            Ok(permit) => self.queue(record.fitted(), permit),
            Err(_) => {
                let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                if dropped.is_power_of_two() {
                    tracing::error!(
                        dropped,
                        "access-log records of refused requests let go: the queue is full"
                    );
                }
            }
        }
    }

    fn queue(&self, record: AccessRecord, permit: mpsc::Permit<'_, Queued>) {
        match self.spool.get() {
            // While writes fail only refusals arrive (reads answer 503), and
            // the spool must not grow for them.
            Some(spool) if self.is_writing() => spool.append(record, |record, seq| {
                permit.send(Queued { record, seq });
            }),
            _ => permit.send(Queued { record, seq: None }),
        }
    }

    /// Starts the writer (once): first it writes what crashed processes
    /// left in their spools under `data_dir`, then it opens this process's
    /// own. It stops after `shutdown` turns true and the queue is written,
    /// and then removes its spool.
    pub async fn spawn_writer(
        &self,
        db: DatabaseConnection,
        data_dir: &std::path::Path,
        mut shutdown: watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let receiver = self.receiver.lock().await.take();
        let writing = self.writing.clone();
        let dir = data_dir.join("access-log-spool");
        let span = crate::telemetry::task_span("access log");
        if let Err(error) = spool::recover(&db, &dir).instrument(span.clone()).await {
            tracing::error!(%error, "could not write the access-log spools of crashed processes; they are kept for the next start");
        }
        match Spool::open(&dir) {
            Ok(opened) => {
                let _ = self.spool.set(Arc::new(opened));
            }
            Err(error) => {
                tracing::error!(%error, dir = %dir.display(), "the access-log spool cannot be opened: records of the last moments before a crash would be lost")
            }
        }
        let spool = self.spool.get().cloned();
        tokio::spawn(
            async move {
                let Some(mut receiver) = receiver else { return };
                let mut batch = Vec::with_capacity(BATCH);
                let mut settled = None;
                let mut all_written = true;
                loop {
                    tokio::select! {
                        received = receiver.recv() => match received {
                            Some(queued) => take(&mut batch, &mut settled, queued),
                            None => break,
                        },
                        // Nothing new can arrive once the server has
                        // stopped: what is queued is written below, a batch
                        // at a time, and then `recv` ends the loop.
                        _ = async { let _ = shutdown.wait_for(|stop| *stop).await; } => receiver.close(),
                    }
                    // Gather what else arrives shortly: fewer, larger transactions
                    // cost far less than one per record under load.
                    let deadline = tokio::time::Instant::now() + GATHER;
                    while batch.len() < BATCH {
                        match tokio::time::timeout_at(deadline, receiver.recv()).await {
                            Ok(Some(queued)) => take(&mut batch, &mut settled, queued),
                            Ok(None) | Err(_) => break,
                        }
                    }
                    let stopping = *shutdown.borrow();
                    all_written &=
                        write(&db, &mut batch, settled.take(), spool.as_deref(), &writing, stopping)
                            .await;
                }
                // A spool whose records are all written is removed; one with
                // records the database did not take stays for the next start.
                if let (Some(spool), true) = (spool, all_written) {
                    spool.close(&db).await;
                }
            }
            .instrument(span),
        )
    }
}

fn take(batch: &mut Vec<AccessRecord>, settled: &mut Option<u64>, queued: Queued) {
    if let Some(seq) = queued.seq {
        *settled = Some(seq);
    }
    batch.push(queued.record);
}

const SQLITE_COLUMNS: &str = "INSERT INTO api_access_log \
    (occurred_at, token_id, application_id, beneficiary_id, method, path, resource, interaction, status, result_count, request_id, ip) \
    VALUES ";
/// Rows per SQLite statement: 1,200 parameters, far under SQLite's limit of
/// 32,766, and one fixed size so the prepared statement is reused.
const SQLITE_ROWS: usize = 100;

/// The multi-row INSERT for `rows` records.
fn sqlite_insert(rows: usize) -> String {
    let mut sql = String::with_capacity(SQLITE_COLUMNS.len() + rows * 26);
    sql.push_str(SQLITE_COLUMNS);
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str("(?,?,?,?,?,?,?,?,?,?,?,?)");
    }
    sql
}

const POSTGRES_COPY: &str = "COPY api_access_log \
    (occurred_at, token_id, application_id, beneficiary_id, method, path, resource, interaction, status, result_count, request_id, ip) \
    FROM STDIN";

/// Appends `value` as one field of PostgreSQL's COPY text format: backslash,
/// tab, newline and carriage return escaped, so a request path can never
/// end a field or a row early.
fn copy_field(out: &mut String, value: Option<&str>) {
    let Some(value) = value else {
        out.push_str("\\N");
        return;
    };
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// The batch as COPY text rows, one line per record.
fn copy_rows(batch: &[AccessRecord]) -> String {
    let mut out = String::with_capacity(batch.len() * 200);
    for r in batch {
        // Borrowed where the record already holds text: this runs for every
        // API response, in the server's own process.
        let fields: [Option<Cow<'_, str>>; 12] = [
            Some(
                r.at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, false)
                    .into(),
            ),
            r.token_id.map(|u| u.to_string().into()),
            r.application_id.map(|u| u.to_string().into()),
            r.beneficiary_id.map(|u| u.to_string().into()),
            Some(r.method.as_str().into()),
            Some(r.path.as_str().into()),
            Some(r.resource.as_ref().into()),
            Some(r.interaction.as_ref().into()),
            Some(r.status.to_string().into()),
            r.result_count.map(|c| c.to_string().into()),
            r.request_id.as_deref().map(Cow::from),
            r.ip.as_deref().map(Cow::from),
        ];
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                out.push('\t');
            }
            copy_field(&mut out, field.as_deref());
        }
        out.push('\n');
    }
    out
}

/// How far a spool is settled, set in the same transaction as its batch.
pub(crate) struct Checkpoint {
    pub instance: Uuid,
    pub seq: u64,
    pub at: DateTime<Utc>,
}

const SETTLE: &str = "INSERT INTO access_log_spools (instance_id, settled_seq, updated_at) \
    VALUES ($1, $2, $3) ON CONFLICT (instance_id) DO UPDATE \
    SET settled_seq = excluded.settled_seq, updated_at = excluded.updated_at";

/// On PostgreSQL a batch is streamed with COPY, the server's cheapest way
/// in: under load the database shares the API's cores, and parsing a JSON
/// batch cost it more than the rows themselves.
async fn copy_postgres(
    db: &DatabaseConnection,
    batch: &[AccessRecord],
    checkpoint: Option<&Checkpoint>,
) -> Result<(), sea_orm::DbErr> {
    let failed =
        |e: sea_orm::sqlx::Error| sea_orm::DbErr::Custom(format!("COPY into api_access_log: {e}"));
    let rows = copy_rows(batch);
    let mut tx = db
        .get_postgres_connection_pool()
        .begin()
        .await
        .map_err(failed)?;
    let mut copy = tx.copy_in_raw(POSTGRES_COPY).await.map_err(failed)?;
    if let Err(e) = copy.send(rows.as_bytes()).await {
        let _ = copy.abort(e.to_string()).await;
        return Err(failed(e));
    }
    copy.finish().await.map_err(failed)?;
    if let Some(settled) = checkpoint {
        sea_orm::sqlx::query(SETTLE)
            .bind(settled.instance)
            .bind(settled.seq as i64)
            .bind(settled.at)
            .execute(&mut *tx)
            .await
            .map_err(failed)?;
    }
    tx.commit().await.map_err(failed)
}

/// On SQLite a batch is one transaction of multi-row INSERTs with bound
/// values. (It used to be one JSON parameter the database expanded itself:
/// re-parsing each record's JSON for every column took ~17% of the server's
/// CPU under load.)
async fn insert_sqlite(
    db: &DatabaseConnection,
    batch: &[AccessRecord],
    checkpoint: Option<&Checkpoint>,
) -> Result<(), sea_orm::DbErr> {
    static FULL_CHUNK: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| sqlite_insert(SQLITE_ROWS));
    let failed = |e: sea_orm::sqlx::Error| {
        sea_orm::DbErr::Custom(format!("INSERT into api_access_log: {e}"))
    };
    let uuid = |id: Option<Uuid>| id.map(|u| u.as_bytes().to_vec());
    let mut tx = db
        .get_sqlite_connection_pool()
        .begin()
        .await
        .map_err(failed)?;
    for chunk in batch.chunks(SQLITE_ROWS) {
        let partial;
        let sql = if chunk.len() == SQLITE_ROWS {
            FULL_CHUNK.as_str()
        } else {
            partial = sqlite_insert(chunk.len());
            partial.as_str()
        };
        let mut query = sea_orm::sqlx::query(sea_orm::sqlx::AssertSqlSafe(sql));
        for r in chunk {
            query = query
                .bind(r.at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, false))
                .bind(uuid(r.token_id))
                .bind(uuid(r.application_id))
                .bind(uuid(r.beneficiary_id))
                .bind(r.method.clone())
                .bind(r.path.clone())
                .bind(r.resource.to_string())
                .bind(r.interaction.to_string())
                .bind(i64::from(r.status))
                .bind(r.result_count.map(|c| c as i64))
                .bind(r.request_id.clone())
                .bind(r.ip.clone());
        }
        query.execute(&mut *tx).await.map_err(failed)?;
    }
    if let Some(settled) = checkpoint {
        sea_orm::sqlx::query(SETTLE)
            .bind(settled.instance.as_bytes().to_vec())
            .bind(settled.seq as i64)
            .bind(
                settled
                    .at
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            )
            .execute(&mut *tx)
            .await
            .map_err(failed)?;
    }
    tx.commit().await.map_err(failed)
}

/// Writes `batch` in one transaction, with `checkpoint` if given.
pub(crate) async fn insert(
    db: &DatabaseConnection,
    batch: &[AccessRecord],
    checkpoint: Option<&Checkpoint>,
) -> Result<(), sea_orm::DbErr> {
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => copy_postgres(db, batch, checkpoint).await,
        _ => insert_sqlite(db, batch, checkpoint).await,
    }
}

/// Writes `batch` (at most [`BATCH`] records), retrying with growing delays
/// (at most 5 s apart) until it is in; `writing` is false meanwhile. Only
/// when `stopping` does it give up, after 5 attempts, since shutdown has a
/// deadline; returns whether the batch was written. `settled` is the spool
/// number of its last spooled record.
async fn write(
    db: &DatabaseConnection,
    batch: &mut Vec<AccessRecord>,
    settled: Option<u64>,
    spool: Option<&Spool>,
    writing: &AtomicBool,
    stopping: bool,
) -> bool {
    if batch.is_empty() {
        return true;
    }
    let checkpoint = match (spool, settled, batch.last()) {
        (Some(spool), Some(seq), Some(last)) => Some(Checkpoint {
            instance: spool.instance(),
            seq,
            at: last.at,
        }),
        _ => None,
    };
    let mut attempt = 0u64;
    let written = loop {
        attempt += 1;
        match insert(db, batch, checkpoint.as_ref()).await {
            Ok(()) => {
                if !writing.swap(true, Ordering::SeqCst) {
                    tracing::info!(attempt, "the access log is written again; API reads resume");
                }
                break true;
            }
            Err(error) if stopping && attempt >= 5 => {
                tracing::error!(%error, records = batch.len(), "shutting down with access-log records that could not be written; they stay in the spool for the next start");
                break false;
            }
            Err(error) => {
                if writing.swap(false, Ordering::SeqCst) {
                    tracing::error!(%error, "the access log cannot be written; API reads answer 503 until it can");
                } else {
                    tracing::warn!(%error, attempt, "writing the access log failed again; retrying");
                }
                tokio::time::sleep(Duration::from_millis((200 * attempt).min(5_000))).await;
            }
        }
    };
    if let (true, Some(spool), Some(seq)) = (written, spool, settled) {
        spool.settled(seq);
    }
    batch.clear();
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_cut_to_the_columns_on_a_character_boundary() {
        let long = format!("/v2/fhir/Patient/?q={}", "é".repeat(2000));
        let fitted = record(&long).fitted();
        assert_eq!(fitted.path.chars().count(), 512);
        assert!(long.starts_with(&fitted.path));
        assert_eq!(record("/short").fitted().path, "/short");
    }

    fn record(path: &str) -> AccessRecord {
        AccessRecord {
            at: chrono::DateTime::parse_from_rfc3339("2026-11-24T15:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            token_id: Some(Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef)),
            application_id: None,
            beneficiary_id: None,
            method: "GET".into(),
            path: path.into(),
            resource: "Patient".into(),
            interaction: "read".into(),
            status: 200,
            result_count: Some(1),
            request_id: None,
            ip: Some("127.0.0.1".into()),
        }
    }

    #[test]
    fn copy_rows_keep_every_field_in_its_column() {
        let text = copy_rows(&[record("/v2/fhir/Patient/1")]);
        let fields: Vec<&str> = text.trim_end_matches('\n').split('\t').collect();
        assert_eq!(fields.len(), 12);
        assert_eq!(fields[1], "01234567-89ab-cdef-0123-456789abcdef");
        assert_eq!(fields[2], "\\N");
        assert_eq!(fields[5], "/v2/fhir/Patient/1");
        assert_eq!(fields[9], "1");
    }

    #[test]
    fn separators_in_a_path_cannot_split_a_row() {
        let text = copy_rows(&[record("/a\tb\nc\\d\re")]);
        assert_eq!(text.matches('\n').count(), 1, "{text}");
        assert_eq!(text.matches('\t').count(), 11, "{text}");
        assert!(text.contains("/a\\tb\\nc\\\\d\\re"), "{text}");
    }
}

//! The data API's access log: one row per FHIR or userinfo response (token,
//! app, beneficiary, resource, result count, status), so that every read of
//! an enrollee's data can be accounted for.
//!
//! A read is served only after its record is committed (issue 19): the
//! handler hands the record to a background writer and waits
//! ([`AccessLog::record_before_serving`]). The writer commits whatever has
//! queued while the previous write ran as one transaction (group commit), so
//! under load a write carries many records and each response waits for about
//! one commit, and a process killed outright (SIGKILL, OOM) has served no read
//! that is not in the table. The bench measures what the wait costs.
//!
//! It fails closed. When a write fails, its readers answer 503 instead of
//! serving, [`AccessLog::is_writing`] turns false (so handlers refuse at once
//! and `/readyz` sends traffic elsewhere), and the records are kept, marked
//! with the 503 their requests got, and retried until they are in. Refusals
//! (a bad token, a rate limit, these 503s) carry no enrollee data, so they are
//! queued without waiting ([`AccessLog::record`]).
use std::{
    borrow::Cow,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use tokio::sync::{mpsc, oneshot, watch, Mutex};
use tracing::Instrument;
use uuid::Uuid;

const QUEUE: usize = 20_000;
/// Most records in one write; also the most kept while writes fail.
const BATCH: usize = 2_000;

/// One API response to record.
#[derive(Clone, Debug)]
pub struct AccessRecord {
    pub at: DateTime<Utc>,
    pub token_id: Option<Uuid>,
    pub application_id: Option<Uuid>,
    pub beneficiary_id: Option<Uuid>,
    pub method: String,
    pub path: String,
    pub resource: &'static str,
    pub interaction: &'static str,
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

    /// What the request got instead of its data once the write failed.
    fn refused(mut self) -> Self {
        self.status = 503;
        self.result_count = None;
        self
    }
}

/// The record of a read could not be committed: answer 503, serve nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotRecorded;

/// A queued record, with whoever waits for its commit.
struct Queued {
    record: AccessRecord,
    committed: Option<oneshot::Sender<Result<(), NotRecorded>>>,
}

/// The sending side, shared by every handler. Cheap to clone.
#[derive(Clone)]
pub struct AccessLog {
    sender: mpsc::Sender<Queued>,
    receiver: Arc<Mutex<Option<mpsc::Receiver<Queued>>>>,
    /// False from a failed write until the next one succeeds.
    writing: Arc<AtomicBool>,
}

impl Default for AccessLog {
    fn default() -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE);
        Self {
            sender,
            receiver: Arc::new(Mutex::new(Some(receiver))),
            writing: Arc::new(AtomicBool::new(true)),
        }
    }
}

impl AccessLog {
    /// Whether records reach the database: false while a write is failing.
    pub fn is_writing(&self) -> bool {
        self.writing.load(Ordering::SeqCst)
    }

    /// Records queued and not yet written.
    pub fn queue_depth(&self) -> usize {
        QUEUE - self.sender.capacity()
    }

    /// Queues the record of a response that carries no enrollee data (a
    /// refusal) without waiting for its commit; waits only while the queue
    /// is full, so a flood of refusals slows itself down.
    pub async fn record(&self, record: AccessRecord) {
        let queued = Queued {
            record: record.fitted(),
            committed: None,
        };
        if self.sender.send(queued).await.is_err() {
            tracing::error!("the access log writer has stopped; a record could not be queued");
        }
    }

    /// Queues the record of a read and waits until it is committed. On
    /// `Err` the caller must not serve the read: answer 503 instead (the
    /// record is kept, as a 503, and written once the log can be).
    pub async fn record_before_serving(&self, record: AccessRecord) -> Result<(), NotRecorded> {
        let (committed, written) = oneshot::channel();
        let queued = Queued {
            record: record.fitted(),
            committed: Some(committed),
        };
        if self.sender.send(queued).await.is_err() {
            tracing::error!("the access log writer has stopped; a read was refused");
            return Err(NotRecorded);
        }
        written.await.unwrap_or(Err(NotRecorded))
    }

    /// Starts the writer (once); it stops after `shutdown` turns true and
    /// everything queued is written.
    pub async fn spawn_writer(
        &self,
        db: DatabaseConnection,
        shutdown: watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let receiver = self.receiver.lock().await.take();
        let writing = self.writing.clone();
        tokio::spawn(async move {
            let Some(receiver) = receiver else { return };
            Writer {
                db,
                receiver,
                writing,
                shutdown,
                records: Vec::with_capacity(BATCH),
                waiting: Vec::new(),
                dropped: 0,
            }
            .run()
            .instrument(crate::telemetry::task_span("access log"))
            .await;
        })
    }
}

/// The background side: one write at a time, each taking everything queued.
struct Writer {
    db: DatabaseConnection,
    receiver: mpsc::Receiver<Queued>,
    writing: Arc<AtomicBool>,
    shutdown: watch::Receiver<bool>,
    /// The next write: records already answered (kept after a failure) and
    /// those whose readers wait, each in `waiting` with its index here.
    records: Vec<AccessRecord>,
    waiting: Vec<(usize, oneshot::Sender<Result<(), NotRecorded>>)>,
    /// Refusal records let go while writes failed and `records` was full.
    dropped: u64,
}

impl Writer {
    async fn run(mut self) {
        let mut failures = 0u64;
        loop {
            if failures > 0 {
                self.back_off(failures).await;
            } else if !*self.shutdown.borrow() {
                let received = tokio::select! {
                    received = self.receiver.recv() => Some(received),
                    _ = self.shutdown.wait_for(|stop| *stop) => None,
                };
                match received {
                    Some(Some(queued)) => self.take(queued),
                    Some(None) => return,
                    None => {}
                }
            }
            if *self.shutdown.borrow() {
                // The server has stopped, so nothing new can arrive: take
                // the rest, write it, and stop.
                self.receiver.close();
            }
            while self.records.len() < BATCH {
                match self.receiver.try_recv() {
                    Ok(queued) => self.take(queued),
                    Err(_) => break,
                }
            }
            if self.records.is_empty() {
                if self.receiver.is_closed() {
                    return;
                }
                continue;
            }
            match insert(&self.db, &self.records).await {
                Ok(()) => {
                    if failures > 0 {
                        tracing::info!(
                            attempts = failures + 1,
                            "the access log is written again; API reads resume"
                        );
                    }
                    failures = 0;
                    self.writing.store(true, Ordering::SeqCst);
                    self.records.clear();
                    for (_, reader) in self.waiting.drain(..) {
                        let _ = reader.send(Ok(()));
                    }
                }
                Err(error) => {
                    failures += 1;
                    if self.writing.swap(false, Ordering::SeqCst) {
                        tracing::error!(%error, "the access log cannot be written; API reads answer 503 until it can");
                    } else {
                        tracing::warn!(%error, attempt = failures, "writing the access log failed again; retrying");
                    }
                    // Its readers answer 503, and their records say so.
                    for (at, reader) in self.waiting.drain(..) {
                        self.records[at] = self.records[at].clone().refused();
                        let _ = reader.send(Err(NotRecorded));
                    }
                    if self.receiver.is_closed() && failures >= 5 {
                        tracing::error!(
                            records = self.records.len(),
                            "shutting down with access-log records that could not be written"
                        );
                        return;
                    }
                }
            }
        }
    }

    fn take(&mut self, queued: Queued) {
        let failing = !self.writing.load(Ordering::SeqCst);
        match queued.committed {
            Some(reader) if failing => {
                // Nobody waits on a log that is down: the read is refused now.
                let _ = reader.send(Err(NotRecorded));
                self.keep(queued.record.refused(), failing);
            }
            Some(reader) => {
                self.waiting.push((self.records.len(), reader));
                self.records.push(queued.record);
            }
            None => self.keep(queued.record, failing),
        }
    }

    /// Keeps an answered record, unless writes are failing and `BATCH` are
    /// already kept: then it is counted and let go. Only refusals arrive
    /// then, and a flood of them must not grow memory without bound.
    fn keep(&mut self, record: AccessRecord, failing: bool) {
        if failing && self.records.len() >= BATCH {
            self.dropped += 1;
            if self.dropped.is_power_of_two() {
                tracing::error!(
                    dropped = self.dropped,
                    "access-log records of refused requests let go while the log cannot be written"
                );
            }
            return;
        }
        self.records.push(record);
    }

    /// Waits before retrying (growing, at most 5 s apart), refusing the
    /// reads that arrive meanwhile at once.
    async fn back_off(&mut self, failures: u64) {
        let until =
            tokio::time::Instant::now() + Duration::from_millis((200 * failures).min(5_000));
        loop {
            let received = tokio::select! {
                _ = tokio::time::sleep_until(until) => return,
                received = self.receiver.recv() => received,
            };
            match received {
                Some(queued) => self.take(queued),
                None => {
                    tokio::time::sleep_until(until).await;
                    return;
                }
            }
        }
    }
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
            Some(r.resource.into()),
            Some(r.interaction.into()),
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

/// On PostgreSQL a batch is streamed with COPY, the server's cheapest way
/// in: under load the database shares the API's cores, and parsing a JSON
/// batch cost it more than the rows themselves.
async fn copy_postgres(
    db: &DatabaseConnection,
    batch: &[AccessRecord],
) -> Result<(), sea_orm::DbErr> {
    let failed =
        |e: sea_orm::sqlx::Error| sea_orm::DbErr::Custom(format!("COPY into api_access_log: {e}"));
    let rows = copy_rows(batch);
    let mut connection = db
        .get_postgres_connection_pool()
        .acquire()
        .await
        .map_err(failed)?;
    let mut copy = connection
        .copy_in_raw(POSTGRES_COPY)
        .await
        .map_err(failed)?;
    if let Err(e) = copy.send(rows.as_bytes()).await {
        let _ = copy.abort(e.to_string()).await;
        return Err(failed(e));
    }
    copy.finish().await.map_err(failed)?;
    Ok(())
}

/// On SQLite a batch is one transaction of multi-row INSERTs with bound
/// values. (It used to be one JSON parameter the database expanded itself:
/// re-parsing each record's JSON for every column took ~17% of the server's
/// CPU under load.)
async fn insert_sqlite(
    db: &DatabaseConnection,
    batch: &[AccessRecord],
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
                .bind(r.resource)
                .bind(r.interaction)
                .bind(i64::from(r.status))
                .bind(r.result_count.map(|c| c as i64))
                .bind(r.request_id.clone())
                .bind(r.ip.clone());
        }
        query.execute(&mut *tx).await.map_err(failed)?;
    }
    tx.commit().await.map_err(failed)
}

async fn insert(db: &DatabaseConnection, batch: &[AccessRecord]) -> Result<(), sea_orm::DbErr> {
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => copy_postgres(db, batch).await,
        _ => insert_sqlite(db, batch).await,
    }
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
            resource: "Patient",
            interaction: "read",
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

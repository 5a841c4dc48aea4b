//! The data API's access log: one row per FHIR or userinfo response (token,
//! app, beneficiary, resource, result count, status). Handlers hand records to
//! a bounded queue; a background task writes them in batches, so reads never
//! wait on a database write. On shutdown the task writes whatever is queued.
//!
//! It fails closed: a batch that cannot be written is kept and retried until
//! it is, never dropped, and while it cannot be, [`AccessLog::is_writing`]
//! is false, so the API answers 503 instead of serving reads nobody could
//! account for, and `/readyz` sends traffic elsewhere (issue 19). What is
//! still lost is what sits in memory if the process is killed outright: at
//! most the records of the last few dozen milliseconds.
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
use tokio::sync::{mpsc, watch, Mutex};
use uuid::Uuid;

const QUEUE: usize = 20_000;
const BATCH: usize = 2_000;
/// How long the writer gathers records after the first of a batch arrives.
const GATHER: Duration = Duration::from_millis(50);

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
}

/// The sending side, shared by every handler. Cheap to clone.
#[derive(Clone)]
pub struct AccessLog {
    sender: mpsc::Sender<AccessRecord>,
    receiver: Arc<Mutex<Option<mpsc::Receiver<AccessRecord>>>>,
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
    /// Whether records reach the database: false while a batch is failing.
    pub fn is_writing(&self) -> bool {
        self.writing.load(Ordering::SeqCst)
    }

    /// Records queued and not yet written.
    pub fn queue_depth(&self) -> usize {
        QUEUE - self.sender.capacity()
    }

    /// Queues `record`; waits only if the queue is full (the writer is behind).
    pub async fn record(&self, record: AccessRecord) {
        let record = record.fitted();
        if self.sender.send(record).await.is_err() {
            tracing::error!("the access log writer has stopped; a record could not be queued");
        }
    }

    /// Starts the writer (once); it stops after `shutdown` turns true and the queue is written.
    pub async fn spawn_writer(
        &self,
        db: DatabaseConnection,
        mut shutdown: watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let receiver = self.receiver.lock().await.take();
        let writing = self.writing.clone();
        tokio::spawn(async move {
            let Some(mut receiver) = receiver else { return };
            let mut batch = Vec::with_capacity(BATCH);
            loop {
                tokio::select! {
                    received = receiver.recv() => match received {
                        Some(record) => batch.push(record),
                        None => break,
                    },
                    _ = async { let _ = shutdown.wait_for(|stop| *stop).await; } => {
                        receiver.close();
                        while let Some(record) = receiver.recv().await {
                            batch.push(record);
                        }
                        write(&db, &mut batch, &writing, true).await;
                        return;
                    }
                }
                // Gather what else arrives shortly: fewer, larger transactions
                // cost far less than one per record under load.
                let deadline = tokio::time::Instant::now() + GATHER;
                while batch.len() < BATCH {
                    match tokio::time::timeout_at(deadline, receiver.recv()).await {
                        Ok(Some(record)) => batch.push(record),
                        Ok(None) | Err(_) => break,
                    }
                }
                let stopping = *shutdown.borrow();
                write(&db, &mut batch, &writing, stopping).await;
            }
            write(&db, &mut batch, &writing, true).await;
        })
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

/// Writes `batch`, retrying with growing delays (at most 5 s apart) until it
/// is in; `writing` is false meanwhile. Only when `stopping` does it give up,
/// after 5 attempts, since shutdown has a deadline.
async fn write(
    db: &DatabaseConnection,
    batch: &mut Vec<AccessRecord>,
    writing: &AtomicBool,
    stopping: bool,
) {
    if batch.is_empty() {
        return;
    }
    for records in batch.chunks(BATCH) {
        let mut attempt = 0u64;
        loop {
            attempt += 1;
            match insert(db, records).await {
                Ok(()) => {
                    if !writing.swap(true, Ordering::SeqCst) {
                        tracing::info!(
                            attempt,
                            "the access log is written again; API reads resume"
                        );
                    }
                    break;
                }
                Err(error) if stopping && attempt >= 5 => {
                    tracing::error!(%error, records = records.len(), "shutting down with access-log records that could not be written");
                    break;
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
        }
    }
    batch.clear();
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

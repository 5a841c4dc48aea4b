//! Connecting to the database and keeping its schema current.
use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use sea_orm::{
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

/// How big a pool is and how long its callers wait: set from `Settings`
/// (`DATABASE_*`), defined here so that the database layer depends on no
/// configuration module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolLimits {
    /// Connections at most; `None` for 8 on SQLite, 20 on PostgreSQL.
    pub max_connections: Option<u32>,
    /// How long a request waits for a connection before it is answered 503
    /// rather than queued for half a minute.
    pub acquire_timeout: Duration,
    /// On PostgreSQL, how long one statement may run (zero: no limit).
    pub statement_timeout: Duration,
}

impl Default for PoolLimits {
    fn default() -> Self {
        Self {
            max_connections: None,
            acquire_timeout: Duration::from_millis(2000),
            statement_timeout: Duration::from_secs(30),
        }
    }
}

/// Opens a pool for `url` (`sqlite://…` or `postgres://…`) with the default limits.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, &PoolLimits::default()).await
}

/// Opens a pool for `url` with `limits`.
pub async fn connect_with(url: &str, limits: &PoolLimits) -> Result<DatabaseConnection, DbErr> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let file = path.split('?').next().unwrap_or_default();
        if let Some(dir) = std::path::Path::new(file)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| DbErr::Custom(format!("creating {dir:?}: {e}")))?;
        }
    }
    let mut options = ConnectOptions::new(url);
    let statement_timeout = limits.statement_timeout.as_millis();
    options
        .max_connections(
            limits
                .max_connections
                .unwrap_or(if url.starts_with("sqlite") { 8 } else { 20 }),
        )
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(limits.acquire_timeout)
        .sqlx_logging(false)
        .map_sqlx_postgres_opts(move |o| {
            if statement_timeout > 0 {
                o.options([("statement_timeout", format!("{statement_timeout}ms"))])
            } else {
                o
            }
        })
        // Per connection: WAL lets readers proceed during a write, and a busy
        // timeout makes concurrent writers wait for the lock instead of failing.
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    Database::connect(options).await
}

/// A fresh, migrated SQLite database in memory, for unit tests of the SQL
/// layer. One connection, since each in-memory connection is a database of
/// its own; foreign keys are off, so a test inserts only the rows it is about.
#[cfg(test)]
pub(crate) async fn in_memory() -> DatabaseConnection {
    let mut options = ConnectOptions::new("sqlite::memory:");
    options
        .max_connections(1)
        .min_connections(1)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| o.foreign_keys(false));
    let db = Database::connect(options).await.expect("in-memory SQLite");
    migrate(&db).await.expect("migrations");
    db
}

/// True when `error` says the database could not be reached in time (no
/// connection free within the acquire timeout, none could be opened, or the
/// one in use was cut), rather than that a statement was wrong: callers answer 503, try again,
/// instead of 500.
pub fn is_unavailable(error: &DbErr) -> bool {
    use sea_orm::{RuntimeErr, SqlxError};
    match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match &**e {
                // A pooled connection that the network or a restart cut.
                SqlxError::Io(_)
                | SqlxError::Tls(_)
                | SqlxError::PoolTimedOut
                | SqlxError::PoolClosed
                | SqlxError::WorkerCrashed => true,
                // PostgreSQL: statement timeout, shutting down, starting up.
                SqlxError::Database(db) => {
                    matches!(db.code().as_deref(), Some("57014" | "57P01" | "57P03"))
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// The pool's open connections, the idle ones among them, and its limit.
pub fn pool_levels(db: &DatabaseConnection) -> (u32, u32, u32) {
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (
                pool.size(),
                pool.num_idle() as u32,
                pool.options().get_max_connections(),
            )
        }
        sea_orm::DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (
                pool.size(),
                pool.num_idle() as u32,
                pool.options().get_max_connections(),
            )
        }
        _ => (0, 0, 0),
    }
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// True when the database answers and no migration is pending (`/readyz`).
pub async fn is_ready(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
        && Migrator::get_pending_migrations(db)
            .await
            .map(|p| p.is_empty())
            .unwrap_or(false)
}

/// Opens a transaction that will write. On SQLite it starts `IMMEDIATE`, taking
/// the write lock up front: a deferred transaction that reads and then writes
/// fails at once with SQLITE_BUSY_SNAPSHOT if another connection committed in
/// between, whereas waiting for the lock honours the busy timeout. PostgreSQL
/// ignores the option.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

//! Everything server-side except the UI: settings, database, domain services
//! (accounts, …), mail, audit, and the HTTP endpoints that are not pages.
//! Domain services take a connection and typed input; they know nothing of HTTP.
pub mod accounts;
pub mod apps;
pub mod audit;
pub mod config;
pub mod db;
pub mod demo;
pub mod entities;
pub mod http;
pub mod ids;
pub mod mail;
pub mod passwords;
pub mod secrets;
pub mod telemetry;
pub mod validation;

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

pub use config::Settings;
pub use sea_orm;

/// Shared by every request handler and server function. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    /// Wakes the outbox worker after a transaction queued mail.
    pub mail_wake: Arc<Notify>,
    pub clock: Clock,
}

/// Wall-clock time, or a fixed offset from it in tests that need to jump ahead.
#[derive(Clone, Default)]
pub struct Clock {
    offset: Arc<std::sync::RwLock<chrono::Duration>>,
}

impl Clock {
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now() + *self.offset.read().expect("clock lock")
    }

    /// Moves this clock forward (tests).
    pub fn advance(&self, by: chrono::Duration) {
        *self.offset.write().expect("clock lock") += by;
    }
}

//! Everything server-side except the UI: settings, database, domain services
//! (accounts, …), mail, audit, and the HTTP endpoints that are not pages.
//! Domain services take a connection and typed input; they know nothing of HTTP.
pub mod accounts;
pub mod api_log;
pub mod applications;
pub mod apps;
pub mod audit;
pub mod beneficiaries;
pub mod blobs;
pub mod cache;
pub mod calendar;
pub mod campaigns;
pub mod config;
pub mod db;
pub mod entities;
pub mod environment;
pub mod errors;
pub mod fhir;
pub mod html;
pub mod http;
pub mod ids;
pub mod incidents;
pub mod invalidation;
pub mod jobs;
pub mod mail;
pub mod medicare;
pub mod metrics;
pub mod notifications;
pub mod oauth;
pub mod passwords;
pub mod pdf;
pub mod policy_changes;
pub mod production;
pub mod retention;
pub mod review;
pub mod routes;
pub mod second_factor;
pub mod secrets;
pub mod seed_data;
pub mod sign_in_stage;
pub mod suspensions;
pub mod synthetic;
pub mod telemetry;
#[cfg(test)]
pub(crate) mod testing;
pub mod totp;
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
    /// Request rate limits of the OAuth token endpoint and the API.
    pub limits: Arc<RateLimits>,
    /// Where API handlers record each response (written in batches).
    pub api_log: api_log::ApiLog,
    /// Keeps token checks off the database on the hot path.
    pub token_caches: Arc<oauth::bearer::TokenCaches>,
    /// Keeps enrollees' data and rendered resources off the database.
    pub resource_caches: Arc<fhir::caches::ResourceCaches>,
    /// Uploaded files (policy PDFs), named by SHA-256.
    pub blobs: blobs::BlobStore,
    /// Seals the secrets that cannot be hashed (TOTP).
    pub sealing_key: secrets::SealingKey,
    /// Set when shutdown begins: `/readyz` answers 503 so that the load
    /// balancer stops sending new requests while those in flight finish.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
    /// Requests and background jobs counted for `/metrics`.
    pub metrics: Arc<metrics::Metrics>,
}

impl AppState {
    /// A notifier for one request or job run: links from `PUBLIC_URL`, and
    /// a wake for the mail worker when it is dropped after queuing mail.
    pub fn notifier(&self) -> notifications::Notifier {
        notifications::Notifier::new(&self.settings.public_url, self.mail_wake.clone())
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// The rate limiters shared by every request. See `http::rate_limit` for how
/// their memory stays bounded whoever picks the keys.
pub struct RateLimits {
    /// Per client address, on `o/token`, `o/revoke_token` and `o/introspect`,
    /// before the client has authenticated.
    pub token_per_ip: http::rate_limit::RateLimiter<std::net::IpAddr>,
    /// Per authenticated client on the same endpoints: a confidential client
    /// by its id, a public one (an app on people's devices, which anyone can
    /// name) by its id at the caller's address.
    pub token_per_client: http::rate_limit::RateLimiter<(String, Option<std::net::IpAddr>)>,
    /// Per access token, on the FHIR and userinfo endpoints.
    pub api: http::rate_limit::RateLimiter<uuid::Uuid>,
    /// Per client address, for requests whose bearer token is not valid.
    pub bad_token_per_ip: http::rate_limit::RateLimiter<std::net::IpAddr>,
    /// Per client address: sign-ins, sign-ups, reset requests, verification resends.
    pub account_per_ip: http::rate_limit::RateLimiter<std::net::IpAddr>,
    /// Per app: failed client authentications written to the audit trail
    /// ([`AUDITED_CLIENT_FAILURES_PER_MINUTE`]); the rest are only logged.
    pub audited_client_failures: http::rate_limit::RateLimiter<uuid::Uuid>,
    /// Per access token: its 429s written to the access log
    /// ([`LOGGED_THROTTLES_PER_MINUTE`]); the rest only to the request log.
    pub logged_throttles: http::rate_limit::RateLimiter<uuid::Uuid>,
}

/// Enough to show that a token hit its limit and how hard it kept trying,
/// while its refusals grow the access log by at most this per minute.
pub const LOGGED_THROTTLES_PER_MINUTE: u32 = 10;

/// Enough to show an app's owner that someone is guessing its secret,
/// while the audit trail grows by at most this per app and minute.
pub const AUDITED_CLIENT_FAILURES_PER_MINUTE: u32 = 10;

impl RateLimits {
    pub fn from_settings(settings: &Settings) -> Self {
        use http::rate_limit::RateLimiter;
        /// Enough for every client address active in the last minutes of a
        /// busy day, and a few megabytes at most.
        const KEYS: usize = 65_536;
        Self {
            token_per_ip: RateLimiter::new(settings.token_requests_per_ip_per_minute, KEYS),
            token_per_client: RateLimiter::new(settings.token_requests_per_minute, KEYS),
            api: RateLimiter::new(settings.api_requests_per_minute, KEYS),
            bad_token_per_ip: RateLimiter::new(settings.bad_tokens_per_ip_per_minute, KEYS),
            account_per_ip: RateLimiter::new(settings.account_requests_per_ip_per_minute, KEYS),
            audited_client_failures: RateLimiter::new(AUDITED_CLIENT_FAILURES_PER_MINUTE, KEYS),
            logged_throttles: RateLimiter::new(LOGGED_THROTTLES_PER_MINUTE, KEYS),
        }
    }
}

/// The portal's one source of the current time: wall-clock time, or a fixed
/// offset from it in tests that move through days, weeks or years.
///
/// Every date the portal stores, compares or shows ("now" for an expiry, a due
/// date, an audit record, a cookie's lifetime) is read from here, so that a
/// test which pins a date sees one consistent time everywhere. Reading the
/// wall clock anywhere else is a bug of the kind issue 17 fixed: the session
/// expiry came from this clock while the cookie's Max-Age came from the wall,
/// and every test whose pinned date had passed was signed out at once.
/// The only exception is request signing for S3 (`blobs::s3`), where the
/// remote server checks the wall time. Elapsed time (rate limits, cache TTLs,
/// timeouts) uses `std::time::Instant`, which no date can affect.
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

    /// Sets this clock to read `at` now, then run on from there (tests).
    pub fn set(&self, at: chrono::DateTime<chrono::Utc>) {
        *self.offset.write().expect("clock lock") = at - chrono::Utc::now();
    }
}

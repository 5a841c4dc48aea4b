//! Settings: one struct, read once from environment variables with documented defaults.
use std::{net::SocketAddr, path::PathBuf, time::Duration};

/// Everything the server can be told from outside. See README "Settings".
/// `Debug` (which reaches logs) hides the passwords in the database and SMTP
/// URLs, as `S3Config` hides its secret key.
#[derive(Clone)]
pub struct Settings {
    /// `DATABASE_URL`; default: an SQLite file under `DATA_DIR`.
    pub database_url: String,
    /// `PORTAL_ADDR`; default `127.0.0.1:3000`.
    pub bind_addr: SocketAddr,
    /// `PUBLIC_URL`: the origin users reach us at, for links in emails and the CSRF check.
    pub public_url: String,
    /// `DATA_DIR`; default `./data`.
    pub data_dir: PathBuf,
    /// `BLOB_DIR`; defaults to `data_dir/blobs`.
    pub blob_dir: Option<PathBuf>,
    /// `S3_BUCKET` (with `S3_ENDPOINT`, `S3_REGION`, `S3_ACCESS_KEY_ID`,
    /// `S3_SECRET_ACCESS_KEY`): keep uploads in an S3-compatible bucket instead.
    pub s3: Option<crate::blobs::s3::S3Config>,
    /// `SMTP_URL` (e.g. `smtp://user:pass@host:587?tls=required`); unset → `.eml` files.
    pub smtp_url: Option<String>,
    /// `METRICS_TOKEN`: the bearer token a Prometheus scraper sends to
    /// `/metrics`; unset, there is no `/metrics`.
    pub metrics_token: Option<String>,
    /// `MAIL_FROM`.
    pub mail_from: String,
    /// `SITE_ROOT`: built browser assets (wasm, css, public files).
    pub site_root: PathBuf,
    /// `LOG_FORMAT=json` for JSON logs.
    pub json_logs: bool,
    /// `SESSION_HOURS`; default 12.
    pub session_ttl: Duration,
    /// `OUTBOX_POLL_MS`; default 1000.
    pub outbox_poll: Duration,
    /// `MAX_BODY_BYTES` for forms and API bodies; default 1 MiB.
    pub max_body_bytes: usize,
    /// `RATE_LIMIT_TOKEN_PER_MINUTE`: token-endpoint requests per client per minute; default 300.
    pub token_requests_per_minute: u32,
    /// `RATE_LIMIT_API_PER_MINUTE`: API requests per access token per minute; default 1200.
    pub api_requests_per_minute: u32,
    /// `RATE_LIMIT_TOKEN_PER_IP_PER_MINUTE`: token, revoke and introspect
    /// requests per client address per minute, before the client is known; default 1200.
    pub token_requests_per_ip_per_minute: u32,
    /// `RATE_LIMIT_ACCOUNT_PER_IP_PER_MINUTE`: sign-ins (developer, staff and
    /// enrollee), sign-ups, reset requests and verification resends per client
    /// address per minute; default 20.
    pub account_requests_per_ip_per_minute: u32,
    /// `RATE_LIMIT_BAD_TOKEN_PER_IP_PER_MINUTE`: API requests with an unknown,
    /// expired or revoked bearer token per client address per minute; default 60.
    pub bad_tokens_per_ip_per_minute: u32,
    /// `TRUSTED_PROXIES`: the addresses or networks of our own reverse proxies,
    /// whose `X-Forwarded-*` headers are believed; default none.
    pub trusted_proxies: crate::http::client_address::TrustedProxies,
    /// `SECRETS_KEY`: 64 hex characters that seal TOTP secrets at rest;
    /// default: a key generated once into `DATA_DIR/secrets.key`.
    pub secrets_key: Option<crate::secrets::SealingKey>,
    /// Deadlines, pool and shutdown; see [`Limits`].
    pub limits: Limits,
    /// How long rows that only grow with use are kept.
    pub retention: crate::retention::RetentionPolicy,
}

/// How long things may take and how many may run at once, so that neither
/// overload nor a slow client nor a stuck database holds the server.
#[derive(Clone, Debug)]
pub struct Limits {
    /// `REQUEST_TIMEOUT_SECS`: pages, server functions and the API; default 30.
    pub request_timeout: Duration,
    /// `UPLOAD_TIMEOUT_SECS`: the document upload routes; default 300.
    pub upload_timeout: Duration,
    /// `BODY_IDLE_TIMEOUT_SECS`: the longest wait for the next piece of a
    /// request body; default 10.
    pub body_idle_timeout: Duration,
    /// `MAX_CONCURRENT_REQUESTS`: in flight at once, beyond which requests
    /// are refused 503 at once; default 512.
    pub max_in_flight: usize,
    /// `MAX_CONCURRENT_REQUESTS_PER_IP`: in flight at once from one client
    /// address; default 32.
    pub max_in_flight_per_address: u32,
    /// `DATABASE_MAX_CONNECTIONS` (default 8 on SQLite, 20 on PostgreSQL),
    /// `DATABASE_ACQUIRE_TIMEOUT_MS`: the longest wait for a pooled
    /// connection before a request is answered 503 (default 2000), and
    /// `DATABASE_STATEMENT_TIMEOUT_SECS` (PostgreSQL): the longest one
    /// statement may run, 0 for none (default 30).
    pub db: crate::db::PoolLimits,
    /// `SHUTDOWN_DELAY_MS`: after SIGTERM, how long `/readyz` answers 503
    /// while requests are still served, for the load balancer to notice; default 5000.
    pub shutdown_delay: Duration,
    /// `SHUTDOWN_DEADLINE_SECS`: then, how long requests in flight, the mail
    /// worker and the access log have to finish; default 20.
    pub shutdown_deadline: Duration,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &without_password(&self.database_url))
            .field("bind_addr", &self.bind_addr)
            .field("public_url", &self.public_url)
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "(set)"),
            )
            .field("data_dir", &self.data_dir)
            .field("blob_dir", &self.blob_dir)
            .field("s3", &self.s3)
            .field("smtp_url", &self.smtp_url.as_deref().map(without_password))
            .field("mail_from", &self.mail_from)
            .field("site_root", &self.site_root)
            .field("json_logs", &self.json_logs)
            .field("session_ttl", &self.session_ttl)
            .field("outbox_poll", &self.outbox_poll)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("token_requests_per_minute", &self.token_requests_per_minute)
            .field("api_requests_per_minute", &self.api_requests_per_minute)
            .field(
                "token_requests_per_ip_per_minute",
                &self.token_requests_per_ip_per_minute,
            )
            .field(
                "account_requests_per_ip_per_minute",
                &self.account_requests_per_ip_per_minute,
            )
            .field(
                "bad_tokens_per_ip_per_minute",
                &self.bad_tokens_per_ip_per_minute,
            )
            .field("trusted_proxies", &self.trusted_proxies)
            .field("secrets_key", &self.secrets_key)
            .field("limits", &self.limits)
            .field("retention", &self.retention)
            .finish()
    }
}

/// `url` with any password replaced by `***` (and the whole value hidden if
/// it does not parse, since it might be all secret).
fn without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => "(unparsable, hidden)".to_string(),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("setting {name} is invalid: {reason}")]
pub struct SettingsError {
    name: &'static str,
    reason: String,
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Reads settings through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let data_dir = PathBuf::from(lookup("DATA_DIR").unwrap_or_else(|| "data".into()));
        let pool_defaults = crate::db::PoolLimits::default();
        let bind_addr: SocketAddr = parse(&lookup, "PORTAL_ADDR", "127.0.0.1:3000")?;
        let database_url = lookup("DATABASE_URL").unwrap_or_else(|| {
            format!("sqlite://{}?mode=rwc", data_dir.join("portal.db").display())
        });
        Ok(Self {
            database_url,
            public_url: lookup("PUBLIC_URL")
                .unwrap_or_else(|| format!("http://{bind_addr}"))
                .trim_end_matches('/')
                .to_string(),
            bind_addr,
            smtp_url: lookup("SMTP_URL"),
            metrics_token: lookup("METRICS_TOKEN").filter(|t| !t.is_empty()),
            mail_from: lookup("MAIL_FROM")
                .unwrap_or_else(|| "Blue Button Portal <no-reply@bluebutton.example>".into()),
            site_root: PathBuf::from(lookup("SITE_ROOT").unwrap_or_else(|| "target/site".into())),
            json_logs: lookup("LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json")),
            session_ttl: Duration::from_secs(3600 * parse::<u64>(&lookup, "SESSION_HOURS", "12")?),
            outbox_poll: Duration::from_millis(parse(&lookup, "OUTBOX_POLL_MS", "1000")?),
            max_body_bytes: parse(&lookup, "MAX_BODY_BYTES", "1048576")?,
            token_requests_per_minute: parse(&lookup, "RATE_LIMIT_TOKEN_PER_MINUTE", "300")?,
            api_requests_per_minute: parse(&lookup, "RATE_LIMIT_API_PER_MINUTE", "1200")?,
            token_requests_per_ip_per_minute: parse(
                &lookup,
                "RATE_LIMIT_TOKEN_PER_IP_PER_MINUTE",
                "1200",
            )?,
            account_requests_per_ip_per_minute: parse(
                &lookup,
                "RATE_LIMIT_ACCOUNT_PER_IP_PER_MINUTE",
                "20",
            )?,
            bad_tokens_per_ip_per_minute: parse(
                &lookup,
                "RATE_LIMIT_BAD_TOKEN_PER_IP_PER_MINUTE",
                "60",
            )?,
            trusted_proxies: parse(&lookup, "TRUSTED_PROXIES", "")?,
            blob_dir: lookup("BLOB_DIR").map(PathBuf::from),
            s3: s3_settings(&lookup)?,
            secrets_key: match lookup("SECRETS_KEY") {
                Some(text) => Some(crate::secrets::SealingKey::from_hex(&text).ok_or(
                    SettingsError {
                        name: "SECRETS_KEY",
                        reason: "expected 64 hex characters (32 random bytes)".into(),
                    },
                )?),
                None => None,
            },
            limits: Limits {
                request_timeout: Duration::from_secs(parse(&lookup, "REQUEST_TIMEOUT_SECS", "30")?),
                upload_timeout: Duration::from_secs(parse(&lookup, "UPLOAD_TIMEOUT_SECS", "300")?),
                body_idle_timeout: Duration::from_secs(parse(
                    &lookup,
                    "BODY_IDLE_TIMEOUT_SECS",
                    "10",
                )?),
                max_in_flight: parse(&lookup, "MAX_CONCURRENT_REQUESTS", "512")?,
                max_in_flight_per_address: parse(&lookup, "MAX_CONCURRENT_REQUESTS_PER_IP", "32")?,
                db: crate::db::PoolLimits {
                    max_connections: match lookup("DATABASE_MAX_CONNECTIONS") {
                        Some(_) => Some(parse(&lookup, "DATABASE_MAX_CONNECTIONS", "")?),
                        None => None,
                    },
                    acquire_timeout: Duration::from_millis(parse(
                        &lookup,
                        "DATABASE_ACQUIRE_TIMEOUT_MS",
                        &pool_defaults.acquire_timeout.as_millis().to_string(),
                    )?),
                    statement_timeout: Duration::from_secs(parse(
                        &lookup,
                        "DATABASE_STATEMENT_TIMEOUT_SECS",
                        &pool_defaults.statement_timeout.as_secs().to_string(),
                    )?),
                },
                shutdown_delay: Duration::from_millis(parse(&lookup, "SHUTDOWN_DELAY_MS", "5000")?),
                shutdown_deadline: Duration::from_secs(parse(
                    &lookup,
                    "SHUTDOWN_DEADLINE_SECS",
                    "20",
                )?),
            },
            retention: crate::retention::RetentionPolicy {
                tokens: chrono::Duration::days(parse(&lookup, "RETENTION_TOKEN_DAYS", "30")?),
                mail_attachments: chrono::Duration::days(parse(
                    &lookup,
                    "RETENTION_MAIL_ATTACHMENT_DAYS",
                    "90",
                )?),
                access_log: chrono::Duration::days(parse(
                    &lookup,
                    "RETENTION_ACCESS_LOG_DAYS",
                    "2190",
                )?),
            },
            data_dir,
        })
    }

    /// Where uploaded files are kept: the S3 bucket when `S3_BUCKET` is set,
    /// otherwise `BLOB_DIR`, or `blobs` under the data directory.
    pub fn blob_store(&self) -> crate::blobs::BlobStore {
        match &self.s3 {
            Some(config) => crate::blobs::BlobStore::s3(config.clone()),
            None => crate::blobs::BlobStore::new(
                self.blob_dir
                    .clone()
                    .unwrap_or_else(|| self.data_dir.join("blobs")),
            ),
        }
    }

    /// The key that seals TOTP secrets: `SECRETS_KEY`, or the one kept in
    /// the data directory (created on first start).
    pub fn sealing_key(&self) -> std::io::Result<crate::secrets::SealingKey> {
        match &self.secrets_key {
            Some(key) => Ok(key.clone()),
            None => crate::secrets::SealingKey::load_or_create(&self.data_dir.join("secrets.key")),
        }
    }

    /// Where the file transport writes `.eml` files.
    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }

    /// Session cookies get `Secure` when users reach us over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

fn s3_settings(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<Option<crate::blobs::s3::S3Config>, SettingsError> {
    let Some(bucket) = lookup("S3_BUCKET") else {
        return Ok(None);
    };
    let region = lookup("S3_REGION").unwrap_or_else(|| "us-east-1".into());
    let endpoint =
        lookup("S3_ENDPOINT").unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com"));
    let endpoint = url::Url::parse(&endpoint)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| SettingsError {
            name: "S3_ENDPOINT",
            reason: "must be an http:// or https:// address".into(),
        })?;
    let required = |name: &'static str, fallback: &str| {
        lookup(name)
            .or_else(|| lookup(fallback))
            .ok_or(SettingsError {
                name,
                reason: "is required when S3_BUCKET is set".into(),
            })
    };
    Ok(Some(crate::blobs::s3::S3Config {
        endpoint,
        bucket,
        region,
        access_key_id: required("S3_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID")?,
        secret_access_key: required("S3_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY")?,
    }))
}

fn parse<T: std::str::FromStr>(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: &str,
) -> Result<T, SettingsError>
where
    T::Err: std::fmt::Display,
{
    let raw = lookup(name).unwrap_or_else(|| default.to_string());
    raw.parse().map_err(|e: T::Err| SettingsError {
        name,
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_point_at_embedded_sqlite_and_localhost() {
        let s = Settings::from_lookup(|_| None).unwrap();
        assert_eq!(s.database_url, "sqlite://data/portal.db?mode=rwc");
        assert_eq!(s.public_url, "http://127.0.0.1:3000");
        assert!(!s.secure_cookies());
        assert!(s.smtp_url.is_none());
    }

    #[test]
    fn debug_output_hides_passwords() {
        let s = Settings::from_lookup(|n| match n {
            "SMTP_URL" => Some("smtp://mailer:smtp-Secret-1@mail.example:587?tls=required".into()),
            "DATABASE_URL" => Some("postgres://portal:db-Secret-2@db.example/portal".into()),
            _ => None,
        })
        .unwrap();
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("smtp-Secret-1") && !shown.contains("db-Secret-2"),
            "{shown}"
        );
        assert!(
            shown.contains("smtp://mailer:***@mail.example:587"),
            "{shown}"
        );
        assert!(
            shown.contains("postgres://portal:***@db.example/portal"),
            "{shown}"
        );
    }

    #[test]
    fn proxies_are_trusted_only_when_named() {
        let s = Settings::from_lookup(|_| None).unwrap();
        assert!(s.trusted_proxies.is_empty());
        let err =
            Settings::from_lookup(|n| (n == "TRUSTED_PROXIES").then(|| "10.0.0.0/8, lb".into()))
                .unwrap_err();
        assert!(err.to_string().contains("TRUSTED_PROXIES"), "{err}");
    }

    #[test]
    fn bad_numbers_are_reported_by_name() {
        let err =
            Settings::from_lookup(|n| (n == "SESSION_HOURS").then(|| "soon".into())).unwrap_err();
        assert!(err.to_string().contains("SESSION_HOURS"), "{err}");
    }
}

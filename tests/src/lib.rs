//! Test harness: the real portal on a random port with a fresh database (SQLite
//! file, or a new PostgreSQL database when `TEST_DATABASE_URL` is set) and a
//! real SMTP server, plus an HTTP client that behaves like a browser.
pub mod access;
pub mod browser;
pub mod fhir;
pub mod oauth;
pub mod process;
pub mod proxy;
pub mod smtp;

use std::time::Duration;

use reqwest::{header, redirect::Policy, Client, Response};
use server::{mail::worker::RetryPolicy, sea_orm::ConnectionTrait, AppState, Settings};

pub use smtp::SmtpSink;

/// Which database a test runs against.
#[derive(Clone, Debug)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

impl Backend {
    /// PostgreSQL when `TEST_DATABASE_URL` names a server (e.g.
    /// `postgres://postgres@127.0.0.1:5432/postgres`). With `REQUIRE_POSTGRES=1`
    /// a missing URL is a failure, not a skip.
    pub fn postgres() -> Option<Self> {
        match std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            Some(url) => Some(Backend::Postgres(url)),
            None if std::env::var("REQUIRE_POSTGRES").as_deref() == Ok("1") => {
                panic!("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
            }
            None => None,
        }
    }
}

/// Declares each listed `async fn name(backend: Backend)` as two tests,
/// `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! db_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::Backend::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                match $crate::Backend::postgres() {
                    Some(backend) => super::$name(backend).await,
                    None => eprintln!("skipped: TEST_DATABASE_URL is not set"),
                }
            })*
        }
    };
}

/// A running portal for one test.
pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub smtp: SmtpSink,
    running: Option<app::serve::Running>,
    _dir: tempfile::TempDir,
    drop_database: Option<(String, String)>,
    /// The authenticator apps of accounts that set one up in this test, by email.
    authenticators: std::sync::Mutex<std::collections::HashMap<String, Authenticator>>,
}

/// What a person's authenticator app and desk drawer hold for one account.
#[derive(Clone, Debug)]
pub struct Authenticator {
    pub secret: server::totp::TotpSecret,
    pub recovery_codes: Vec<String>,
    /// The last step whose code was used: the portal accepts each step once.
    last_step: u64,
}

/// Options for [`TestApp::spawn_with`].
#[derive(Clone)]
pub struct TestOptions {
    pub retry: RetryPolicy,
    /// Extra settings, as environment variables would give them.
    pub settings: Vec<(&'static str, String)>,
    /// On PostgreSQL, the portal connects through this address (a
    /// [`proxy::TcpProxy`] in front of the server) instead of directly.
    pub database_through: Option<std::net::SocketAddr>,
}

impl Default for TestOptions {
    fn default() -> Self {
        Self {
            retry: RetryPolicy {
                base: Duration::from_millis(200),
                max_delay: Duration::from_secs(1),
                give_up_after: Duration::from_secs(72 * 3600),
            },
            settings: Vec::new(),
            database_through: None,
        }
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, TestOptions::default()).await
    }

    pub async fn spawn_with(backend: Backend, options: TestOptions) -> Self {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("warn")
            .with_test_writer()
            .try_init();
        let dir = tempfile::tempdir().expect("temp dir");
        let smtp = SmtpSink::start().await;
        let (database_url, drop_database) = match backend {
            Backend::Sqlite => (
                format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("portal.db").display()
                ),
                None,
            ),
            Backend::Postgres(admin_url) => {
                let name = format!("portal_test_{}", uuid::Uuid::new_v4().simple());
                let admin = server::sea_orm::Database::connect(&admin_url)
                    .await
                    .expect("connect TEST_DATABASE_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
                url.set_path(&name);
                if let Some(through) = options.database_through {
                    url.set_ip_host(through.ip()).expect("a host URL");
                    url.set_port(Some(through.port())).expect("a host URL");
                }
                (url.to_string(), Some((admin_url, name)))
            }
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let site_root = std::env::var("SITE_ROOT")
            .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../target/site").to_string());
        let (smtp_url, data_dir) = (smtp.url(), dir.path().to_path_buf());
        let settings = Settings::from_lookup(|name| match name {
            "DATABASE_URL" => Some(database_url.clone()),
            "PORTAL_ADDR" => Some(addr.to_string()),
            "DATA_DIR" => Some(data_dir.display().to_string()),
            "SMTP_URL" => Some(smtp_url.clone()),
            "SITE_ROOT" => Some(site_root.clone()),
            "OUTBOX_POLL_MS" => Some("100".into()),
            other => options
                .settings
                .iter()
                .find(|(name, _)| *name == other)
                .map(|(_, value)| value.clone())
                // Every test signs in from 127.0.0.1, often many times and
                // at once; the tests of the per-address limits set them.
                .or_else(|| match other {
                    "RATE_LIMIT_ACCOUNT_PER_IP_PER_MINUTE" => Some("100000".into()),
                    "MAX_CONCURRENT_REQUESTS_PER_IP" => Some("100000".into()),
                    // Every test stops its portal; the shutdown test sets a delay.
                    "SHUTDOWN_DELAY_MS" => Some("0".into()),
                    _ => None,
                }),
        })
        .expect("test settings");
        let state = app::serve::prepare(settings).await.expect("prepare portal");
        let running = app::serve::start_on(listener, state.clone(), options.retry)
            .await
            .expect("start portal");
        // The retention run at start-up reads the clock when it begins; a
        // test that then sets the clock years back would have its fresh
        // sessions deleted as long expired by a run still going. So tests
        // begin once it is done.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while state.metrics.job_runs("retention") == 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "the start-up retention run finished"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Self {
            base: format!("http://{addr}"),
            state,
            smtp,
            running: Some(running),
            _dir: dir,
            drop_database,
            authenticators: Default::default(),
        }
    }

    /// Remembers the authenticator set up for `email`, with the step its
    /// first code used.
    pub fn remember_authenticator(
        &self,
        email: &str,
        secret: server::totp::TotpSecret,
        recovery_codes: Vec<String>,
        used_step: u64,
    ) {
        self.authenticators.lock().unwrap().insert(
            email.to_string(),
            Authenticator {
                secret,
                recovery_codes,
                last_step: used_step,
            },
        );
    }

    pub fn authenticator(&self, email: &str) -> Option<Authenticator> {
        self.authenticators.lock().unwrap().get(email).cloned()
    }

    /// The code a person would type now for `email`'s second step: the
    /// app's current code, or the next step's (within the portal's drift
    /// window) when the current one was used. Waits for the next step when
    /// both were, and uses a recovery code when the test moved the clock
    /// back behind codes already used.
    pub async fn sign_in_code(&self, email: &str) -> String {
        loop {
            let now = self.state.clock.now();
            let current = server::totp::step_at(now).expect("after 1970");
            let mut authenticators = self.authenticators.lock().unwrap();
            let found = authenticators
                .get_mut(email)
                .unwrap_or_else(|| panic!("{email} has set up no authenticator"));
            let next = found.last_step + 1;
            if next <= current + 1 {
                let step = next.max(current);
                found.last_step = step;
                let at = chrono::DateTime::from_timestamp(
                    i64::try_from(step).unwrap() * server::totp::STEP_SECONDS,
                    0,
                )
                .unwrap();
                return server::totp::code_at(&found.secret, at).unwrap();
            }
            if next > current + 2 {
                return found.recovery_codes.pop().expect("a recovery code left");
            }
            drop(authenticators);
            let into_step = now.timestamp().rem_euclid(server::totp::STEP_SECONDS);
            tokio::time::sleep(Duration::from_secs(
                (server::totp::STEP_SECONDS - into_step + 1) as u64,
            ))
            .await;
        }
    }

    /// How many emails with `subject_part` in their subject were queued
    /// (delivered or not): counts mail however the job that sent it ran.
    pub async fn queued_mail(&self, subject_part: &str) -> usize {
        use server::sea_orm::EntityTrait;
        server::entities::outbox_message::Entity::find()
            .all(&self.state.db)
            .await
            .unwrap()
            .iter()
            .filter(|m| m.subject.contains(subject_part))
            .count()
    }

    /// Wakes the outbox worker and waits until it has attempted every
    /// message that is due by the portal's clock (20 s at most).
    pub async fn settle_mail(&self) {
        use server::{
            entities::outbox_message,
            sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter},
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            self.state.mail_wake.notify_one();
            let due = outbox_message::Entity::find()
                .filter(outbox_message::Column::Status.eq("pending"))
                .filter(outbox_message::Column::NextAttemptAt.lte(self.state.clock.now()))
                .count(&self.state.db)
                .await
                .unwrap();
            if due == 0 {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the outbox worker did not attempt what was due"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sets the portal's clock to `at` (it keeps running from there).
    /// One retention run (rows and stored files) at `now`. `spawn` waited
    /// for the start-up run, so the claim is free.
    pub async fn run_retention(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> server::retention::Pruned {
        server::retention::run(
            &self.state.db,
            &self.state.blobs,
            &self.state.settings.retention,
            now,
        )
        .await
        .expect("retention run")
        .expect("no other run holds the claim")
    }

    pub fn set_clock(&self, at: chrono::DateTime<chrono::Utc>) {
        self.state.clock.set(at);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A client with its own cookie jar that does not follow redirects and,
    /// like a browser, asks for HTML when it loads a page.
    pub fn client(&self) -> Client {
        let mut headers = header::HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            header::HeaderValue::from_static("text/html,application/xhtml+xml,*/*;q=0.8"),
        );
        Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .default_headers(headers)
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
    }

    /// Posts a form to a server function the way a page does (same Origin).
    pub async fn post_form(
        &self,
        client: &Client,
        function: &str,
        form: &[(&str, &str)],
    ) -> Response {
        client
            .post(self.url(&format!("/api/{function}")))
            .header(header::ORIGIN, &self.base)
            .header(header::ACCEPT, "application/json")
            .form(form)
            .send()
            .await
            .expect("request")
    }

    pub async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await;
        }
        self.state.db.clone().close().await.ok();
        if let Some((admin_url, name)) = self.drop_database.take() {
            let admin = server::sea_orm::Database::connect(&admin_url)
                .await
                .expect("connect admin");
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await
                .ok();
        }
    }
}

/// The `Location` header of a redirect.
pub fn location(response: &Response) -> String {
    response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Asserts that a document is served the way an uploaded or generated PDF
/// must be (issue 18): as a PDF, inline, and under a sandboxing
/// Content-Security-Policy, so nothing a file holds can run with the portal's
/// origin.
pub fn assert_sandboxed_pdf(res: &reqwest::Response) {
    let headers = res.headers();
    assert_eq!(headers["content-type"], "application/pdf");
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("inline"));
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(
        policy.starts_with("default-src 'none'") && policy.contains("sandbox"),
        "{policy}"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
}

/// The text of every page of a PDF the portal sent (panics if it is not a valid PDF).
pub fn pdf_text(bytes: &[u8]) -> String {
    let pdf = lopdf::Document::load_mem(bytes).expect("a valid PDF");
    let pages: Vec<u32> = pdf.get_pages().keys().copied().collect();
    pdf.extract_text(&pages).expect("text in the PDF")
}

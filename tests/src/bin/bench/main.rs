//! Benchmarks that print their figures (they assert nothing: speed is
//! measured, not asserted). Run them optimised:
//!
//! ```text
//! cargo run --release -p portal-tests --bin bench -- refresh
//! cargo build --release --bin portal --bin bench && target/release/bench fhir
//! target/release/bench flood
//! target/release/bench mixed
//! ```
//!
//! Each runs on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set,
//! at 16 and 64 concurrent connections. `refresh` starts the server in this
//! process; `fhir` runs the `portal` binary as its own process (so its memory
//! can be read) next to a second process that serves the same bytes from
//! memory (the ceiling). `flood` measures Patient reads while sign-in
//! attempts arrive, and `mixed` 60 s of reads, refreshes and form posts
//! together, against the same `portal` binary.
mod fhir;
mod mixed;
use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use portal_tests::{
    oauth::{authorize_url, consent, param, Answer, AppSpec, RegisteredApp},
    Backend, TestApp, TestOptions,
};
use tokio::sync::Mutex;

pub const CONNECTION_COUNTS: [usize; 2] = [16, 64];
const WARM_UP: Duration = Duration::from_secs(2);
const MEASURE: Duration = Duration::from_secs(10);

/// Latencies of one run.
pub struct Figures {
    requests: usize,
    errors: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Figures {
    pub fn requests_per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    /// The latency at quantile `q` (0..1); call after [`Figures::print`] sorted them.
    pub fn quantile(&self, q: f64) -> Duration {
        let i = ((self.latencies.len() as f64 - 1.0) * q).round() as usize;
        self.latencies.get(i).copied().unwrap_or_default()
    }

    pub fn empty() -> Self {
        Self {
            requests: 0,
            errors: 0,
            elapsed: Duration::ZERO,
            latencies: Vec::new(),
        }
    }

    /// Counts one request of a run whose length is set afterwards.
    pub fn add(&mut self, latency: Duration, ok: bool) {
        self.requests += 1;
        self.errors += usize::from(!ok);
        self.latencies.push(latency);
    }

    pub fn set_elapsed(&mut self, elapsed: Duration) {
        self.elapsed = elapsed;
    }

    pub fn errors(&self) -> usize {
        self.errors
    }

    /// Pools another run's requests and latencies with these.
    pub fn absorb(&mut self, other: Figures) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.elapsed += other.elapsed;
        self.latencies.extend(other.latencies);
    }

    pub fn p50(&mut self) -> Duration {
        self.latencies.sort();
        self.quantile(0.5)
    }

    pub fn print(&mut self, label: &str) {
        self.latencies.sort();
        println!(
            "{label:<52} {:>8.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   ({} requests, {} errors)",
            self.requests_per_second(),
            self.quantile(0.50).as_secs_f64() * 1000.0,
            self.quantile(0.99).as_secs_f64() * 1000.0,
            self.requests,
            self.errors,
        );
    }
}

fn settings() -> TestOptions {
    let mut options = TestOptions::default();
    // The limits protect production; here they would only measure themselves.
    options
        .settings
        .push(("RATE_LIMIT_TOKEN_PER_MINUTE", "100000000".into()));
    options
        .settings
        .push(("RATE_LIMIT_API_PER_MINUTE", "100000000".into()));
    // All the bench's clients share one address.
    options
        .settings
        .push(("RATE_LIMIT_TOKEN_PER_IP_PER_MINUTE", "100000000".into()));
    options
}

/// Runs `connections` loops of `request` for the warm-up and then the measured period.
pub async fn drive<F, Fut>(connections: usize, request: F) -> Figures
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    drive_for(connections, WARM_UP, MEASURE, request).await
}

/// [`drive`] with its own warm-up and measured periods.
pub async fn drive_for<F, Fut>(
    connections: usize,
    warm_up: Duration,
    measure: Duration,
    request: F,
) -> Figures
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let request = Arc::new(request);
    let started = Instant::now();
    let measuring_from = started + warm_up;
    let until = measuring_from + measure;
    let mut workers = Vec::new();
    for connection in 0..connections {
        let request = request.clone();
        workers.push(tokio::spawn(async move {
            let (mut latencies, mut errors) = (Vec::new(), 0usize);
            loop {
                let sent = Instant::now();
                if sent >= until {
                    break;
                }
                let ok = request(connection).await;
                if sent >= measuring_from {
                    latencies.push(sent.elapsed());
                    errors += usize::from(!ok);
                }
            }
            (latencies, errors)
        }));
    }
    let mut figures = Figures {
        elapsed: measure,
        ..Figures::empty()
    };
    for worker in workers {
        let (latencies, errors) = worker.await.expect("bench worker");
        figures.requests += latencies.len();
        figures.errors += errors;
        figures.latencies.extend(latencies);
    }
    figures
}

/// One refresh-token chain per connection: each request spends the chain's
/// refresh token and keeps the new one it gets back.
async fn refresh(backend: Backend, label: &str) {
    let app = TestApp::spawn_with(backend, settings()).await;
    let max = *CONNECTION_COUNTS.iter().max().expect("counts");
    app.enrollees(0..max as u32).await;
    let registered: RegisteredApp = app.register(AppSpec::confidential("Bench App")).await;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(max)
        .build()
        .expect("client");
    let mut chains = Vec::new();
    for n in 0..max {
        let url = authorize_url(
            &app,
            "v2",
            &[
                ("client_id", &registered.client_id),
                ("redirect_uri", &registered.redirect_uri),
                ("response_type", "code"),
            ],
        );
        let callback = consent(&app, &url, &format!("BBUser{n:05}"), Answer::ALLOW).await;
        let token: serde_json::Value = client
            .post(app.url("/v2/o/token/"))
            .basic_auth(&registered.client_id, Some(&registered.client_secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", param(&callback, "code").expect("code").as_str()),
                ("redirect_uri", registered.redirect_uri.as_str()),
                ("code_verifier", portal_tests::oauth::PKCE_VERIFIER),
            ])
            .send()
            .await
            .expect("token")
            .json()
            .await
            .expect("token json");
        chains.push(Mutex::new(
            token["refresh_token"]
                .as_str()
                .expect("refresh token")
                .to_string(),
        ));
    }
    let chains = Arc::new(chains);
    let url = app.url("/v2/o/token/");
    for connections in CONNECTION_COUNTS {
        let (chains, client, url, registered) = (
            chains.clone(),
            client.clone(),
            url.clone(),
            registered.clone(),
        );
        let mut figures = drive(connections, move |connection| {
            let (chains, client, url, registered) = (
                chains.clone(),
                client.clone(),
                url.clone(),
                registered.clone(),
            );
            async move {
                let mut current = chains[connection].lock().await;
                let response = client
                    .post(&url)
                    .basic_auth(&registered.client_id, Some(&registered.client_secret))
                    .form(&[
                        ("grant_type", "refresh_token"),
                        ("refresh_token", current.as_str()),
                    ])
                    .send()
                    .await;
                let Ok(response) = response else { return false };
                if !response.status().is_success() {
                    return false;
                }
                match response.json::<serde_json::Value>().await {
                    Ok(body) => match body["refresh_token"].as_str() {
                        Some(next) => {
                            *current = next.to_string();
                            true
                        }
                        None => false,
                    },
                    Err(_) => false,
                }
            }
        })
        .await;
        figures.print(&format!(
            "refresh grant, {label}, {connections} connections"
        ));
    }
    app.stop().await;
}

/// SQLite, and PostgreSQL when `TEST_DATABASE_URL` is set; `BENCH_ONLY=sqlite`
/// or `BENCH_ONLY=postgres` keeps one (for quicker runs while tuning).
pub fn backends() -> Vec<(Backend, &'static str)> {
    let mut list = vec![(Backend::Sqlite, "SQLite")];
    if let Some(pg) = Backend::postgres() {
        list.push((pg, "PostgreSQL"));
    }
    match std::env::var("BENCH_ONLY").as_deref() {
        Ok("sqlite") => list.retain(|(b, _)| matches!(b, Backend::Sqlite)),
        Ok("postgres") => list.retain(|(b, _)| !matches!(b, Backend::Sqlite)),
        _ => {}
    }
    list
}

fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        match which.as_str() {
            "refresh" => {
                println!(
                    "Refresh-token grant ({}s warm-up, {}s measured per row)",
                    WARM_UP.as_secs(),
                    MEASURE.as_secs()
                );
                for (backend, label) in backends() {
                    refresh(backend, label).await;
                }
            }
            "fhir" => fhir::run().await,
            "flood" => fhir::run_flood().await,
            "mixed" => mixed::run().await,
            "ceiling" => fhir::serve_ceiling().await,
            _ => {
                eprintln!("usage: bench refresh | bench fhir | bench flood | bench mixed");
                std::process::exit(2);
            }
        }
    });
}

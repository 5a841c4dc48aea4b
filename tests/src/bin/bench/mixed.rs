//! `bench mixed`: the load test of issue 19. 64 connections for 60 s of the
//! traffic a day mixes, against the real `portal` binary on 1,000 enrollees:
//! FHIR reads (Patient, Coverage, an EOB page) each with the next of 1,000
//! enrollees' tokens, refresh-token grants (each connection spends its own
//! chain), and developers saving a section of their production-access
//! application (the form's page, then its post). Prints, per kind, requests,
//! errors (anything but the expected answer; the target is 0), p50 and p99,
//! and the server's memory at the end.
use std::{
    collections::BTreeMap,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use portal_tests::Backend;
use server::{apps, audit::AuditContext};
use tokio::sync::Mutex;

use super::{
    backends,
    fhir::{grants_for, load, memory_mb, peak_rss_mb, serve_with, Target, FIRST_LOAD},
    Figures,
};

const CONNECTIONS: usize = 64;
const WARM_UP: Duration = Duration::from_secs(5);
const MEASURE: Duration = Duration::from_secs(60);
/// Developers signed in at once; each connection edits its own application.
const DEVELOPERS: usize = 8;
const PASSWORD: &str = "tangerine-kettle-42";

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Kind {
    Patient,
    Coverage,
    EobPage,
    Refresh,
    FormPage,
    FormPost,
}

impl Kind {
    /// Of every 10 requests a connection sends: 7 reads, 1 refresh, and one
    /// form (its page and its post, counted apart).
    fn of(turn: usize) -> Option<Kind> {
        Some(match turn % 10 {
            0 | 3 | 6 => Kind::Patient,
            1 | 4 => Kind::Coverage,
            2 | 5 => Kind::EobPage,
            7 => Kind::Refresh,
            8 => Kind::FormPage,
            _ => return None,
        })
    }
}

/// A developer's signed-in browser and one draft application per connection.
struct Developer {
    client: reqwest::Client,
}

pub async fn run() {
    println!(
        "Mixed load: {CONNECTIONS} connections, {}s warm-up, {}s measured",
        WARM_UP.as_secs(),
        MEASURE.as_secs()
    );
    for (backend, label) in backends() {
        run_backend(backend, label).await;
    }
}

async fn run_backend(backend: Backend, label: &str) {
    println!("\n== {label} ==");
    let target = Target::create(&backend).await;
    load(&target, &["--first", &FIRST_LOAD.to_string()]);
    target.settle().await;
    let (server, base) = serve_with(&target, &[]).await;
    let readers: Vec<u32> = (0..FIRST_LOAD).collect();
    let grants = grants_for(&target.url, &readers).await;
    let (developers, applications) = drafts(&target.url, &base).await;
    println!(
        "  {} enrollees with a token each, {DEVELOPERS} developers with {CONNECTIONS} draft applications",
        grants.access.len()
    );

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()
        .expect("client");
    let shared = Arc::new(Shared {
        base: base.clone(),
        http,
        access: grants.access,
        chains: grants
            .refresh
            .into_iter()
            .take(CONNECTIONS)
            .map(Mutex::new)
            .collect(),
        client_id: grants.client_id,
        client_secret: grants.client_secret,
        developers,
        applications,
        next_token: AtomicUsize::new(0),
    });

    let started = Instant::now();
    let measuring_from = started + WARM_UP;
    let until = measuring_from + MEASURE;
    let mut workers = Vec::new();
    for connection in 0..CONNECTIONS {
        let shared = shared.clone();
        workers.push(tokio::spawn(async move {
            let mut seen: Vec<(Kind, Duration, bool)> = Vec::new();
            let mut turn = connection;
            while Instant::now() < until {
                for (kind, latency, ok) in shared.one_turn(connection, turn).await {
                    if Instant::now() >= measuring_from {
                        seen.push((kind, latency, ok));
                    }
                }
                turn += 1;
            }
            seen
        }));
    }
    let mut by_kind: BTreeMap<Kind, Figures> = BTreeMap::new();
    let mut all = Figures::empty();
    for worker in workers {
        for (kind, latency, ok) in worker.await.expect("worker") {
            let figures = by_kind.entry(kind).or_insert_with(Figures::empty);
            figures.add(latency, ok);
            all.add(latency, ok);
        }
    }
    for (kind, mut figures) in by_kind {
        figures.set_elapsed(MEASURE);
        figures.print(&format!("  {kind:?}"));
    }
    all.set_elapsed(MEASURE);
    all.print("  all requests");
    println!(
        "  => errors {} (target 0); p99 {:.1} ms; server memory now {:.0} MB, peak {:.0} MB",
        all.errors(),
        all.quantile(0.99).as_secs_f64() * 1000.0,
        memory_mb(server.0.id(), "VmRSS:"),
        peak_rss_mb(server.0.id())
    );
    drop(server);
    target.remove().await;
}

struct Shared {
    base: String,
    http: reqwest::Client,
    access: Vec<String>,
    chains: Vec<Mutex<String>>,
    client_id: String,
    client_secret: String,
    developers: Vec<Developer>,
    applications: Vec<String>,
    next_token: AtomicUsize,
}

impl Shared {
    async fn one_turn(&self, connection: usize, turn: usize) -> Vec<(Kind, Duration, bool)> {
        let Some(kind) = Kind::of(turn) else {
            return Vec::new();
        };
        let sent = Instant::now();
        match kind {
            Kind::Patient | Kind::Coverage | Kind::EobPage => {
                let n = self.next_token.fetch_add(1, Ordering::Relaxed) % self.access.len();
                let path = match kind {
                    Kind::Patient => {
                        format!("/v2/fhir/Patient/{}", server::synthetic::fhir_id(n as u32))
                    }
                    Kind::Coverage => "/v2/fhir/Coverage/".to_string(),
                    _ => "/v2/fhir/ExplanationOfBenefit/?_count=10".to_string(),
                };
                let ok = whole(
                    self.http
                        .get(format!("{}{path}", self.base))
                        .bearer_auth(&self.access[n]),
                )
                .await;
                vec![(kind, sent.elapsed(), ok)]
            }
            Kind::Refresh => {
                let mut chain = self.chains[connection].lock().await;
                let response = self
                    .http
                    .post(format!("{}/v2/o/token/", self.base))
                    .basic_auth(&self.client_id, Some(&self.client_secret))
                    .form(&[
                        ("grant_type", "refresh_token"),
                        ("refresh_token", chain.as_str()),
                    ])
                    .send()
                    .await;
                let next = match response {
                    Ok(r) if r.status().is_success() => r
                        .json::<serde_json::Value>()
                        .await
                        .ok()
                        .and_then(|b| b["refresh_token"].as_str().map(str::to_string)),
                    _ => None,
                };
                let ok = next.is_some();
                if let Some(next) = next {
                    *chain = next;
                }
                vec![(kind, sent.elapsed(), ok)]
            }
            Kind::FormPage | Kind::FormPost => {
                let developer = &self.developers[connection % DEVELOPERS];
                let id = &self.applications[connection];
                let page = developer
                    .client
                    .get(format!("{}/access/{id}/organization", self.base))
                    .send()
                    .await;
                let html = match page {
                    Ok(r) if r.status().is_success() => r.text().await.ok(),
                    _ => None,
                };
                let revision = html.as_deref().and_then(revision_in);
                let page_seen = (Kind::FormPage, sent.elapsed(), revision.is_some());
                let Some(revision) = revision else {
                    return vec![page_seen];
                };
                let posted = Instant::now();
                let mut form: Vec<(String, String)> = vec![
                    ("id".into(), id.clone()),
                    ("section".into(), "organization".into()),
                    ("revision".into(), revision),
                ];
                form.extend(
                    portal_tests::access::organization()
                        .into_iter()
                        .map(|(k, v)| (format!("answers[{k}]"), v.to_string())),
                );
                let ok = developer
                    .client
                    .post(format!("{}/api/access/save_section", self.base))
                    .header("Origin", &self.base)
                    .header("Accept", "application/json")
                    .form(&form)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                vec![page_seen, (Kind::FormPost, posted.elapsed(), ok)]
            }
        }
    }
}

/// The revision a section's form carries, as a browser would send it back.
fn revision_in(html: &str) -> Option<String> {
    let marker = "name=\"revision\" value=\"";
    let from = html.find(marker)? + marker.len();
    let to = html[from..].find('"')?;
    Some(html[from..from + to].to_string())
}

/// Sends `request`; true when it answered 2xx and its whole body arrived.
async fn whole(request: reqwest::RequestBuilder) -> bool {
    match request.send().await {
        Ok(res) if res.status().is_success() => res.bytes().await.is_ok(),
        _ => false,
    }
}

/// Developers, each signed in over HTTP, and a draft production-access
/// application per connection (spread over them), started as the portal does.
async fn drafts(url: &str, base: &str) -> (Vec<Developer>, Vec<String>) {
    let db = server::db::connect(url).await.expect("connect");
    let now = server::Clock::default().now();
    let ctx = AuditContext::default();
    let mut developers = Vec::new();
    let mut owners = Vec::new();
    for d in 0..DEVELOPERS {
        let email = format!(
            "bench-dev-{d}-{}@example.com",
            uuid::Uuid::new_v4().simple()
        );
        server::accounts::create_verified_account(
            &db,
            server::accounts::NewStaffAccount {
                email: email.clone(),
                name: format!("Bench Developer {d}"),
                organization: "Bench".into(),
                role: server::ids::Role::Developer,
            },
            PASSWORD,
            now,
        )
        .await
        .expect("account");
        owners.push((
            email.clone(),
            server::accounts::find_user(&db, &email)
                .await
                .expect("read")
                .expect("the account"),
        ));
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(CONNECTIONS)
            .build()
            .expect("client");
        let signed_in = client
            .post(format!("{base}/api/log_in"))
            .header("Origin", base)
            .header("Accept", "application/json")
            .form(&[
                ("email", email.as_str()),
                ("password", PASSWORD),
                ("next", ""),
            ])
            .send()
            .await
            .expect("sign in");
        assert!(
            signed_in.status().is_success() || signed_in.status().is_redirection(),
            "signed in: {}",
            signed_in.status()
        );
        developers.push(Developer { client });
    }
    let mut applications = Vec::new();
    for connection in 0..CONNECTIONS {
        let (email, owner) = &owners[connection % DEVELOPERS];
        let registration = apps::Registration::scripted(
            &format!("Bench draft {connection}"),
            "confidential",
            "authorization-code",
            "http://localhost:8080/bench/callback",
            true,
            email,
        );
        let app = apps::register(&db, &ctx, owner, registration, now)
            .await
            .expect("register");
        let id = server::applications::start(&db, &ctx, owner, app.app.id, now)
            .await
            .expect("start an application");
        applications.push(id.to_string());
    }
    db.close().await.ok();
    (developers, applications)
}

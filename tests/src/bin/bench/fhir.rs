//! `bench fhir`: Patient read and an ExplanationOfBenefit page of 50 against
//! the real `portal` binary, beside a "ceiling" process that answers the same
//! bytes from memory; then the EOB page's latency with 1,000 enrollees against
//! a second server with all 30,000, in alternating rounds; and the servers'
//! peak memory.
use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::Arc,
    time::Duration,
};

use portal_tests::Backend;
use server::{
    apps::{self, Environment, Registration},
    audit::AuditContext,
    beneficiaries,
    oauth::{
        authorize::{self, AuthorizeParams, Decision},
        clients::{self, PresentedClient},
        tokens, ApiVersion,
    },
    synthetic,
};

use super::{backends, drive_for, Figures, CONNECTION_COUNTS};

pub(crate) const FIRST_LOAD: u32 = 1_000;
const REDIRECT: &str = "http://localhost:8080/bench/callback";

/// A database for one run: a SQLite file, or a fresh PostgreSQL database.
pub(crate) struct Target {
    dir: tempfile::TempDir,
    pub(crate) url: String,
    drop: Option<(String, String)>,
}

impl Target {
    pub(crate) async fn create(backend: &Backend) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        match backend {
            Backend::Sqlite => {
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("bench.db").display()
                );
                Self {
                    dir,
                    url,
                    drop: None,
                }
            }
            Backend::Postgres(admin) => {
                use server::sea_orm::ConnectionTrait;
                let name = format!("portal_bench_{}", uuid::Uuid::new_v4().simple());
                let db = server::sea_orm::Database::connect(admin)
                    .await
                    .expect("connect TEST_DATABASE_URL");
                db.execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create database");
                let mut url = url::Url::parse(admin).expect("URL");
                url.set_path(&name);
                Self {
                    dir,
                    url: url.to_string(),
                    drop: Some((admin.clone(), name)),
                }
            }
        }
    }

    /// After a load: the database writes its dirty pages and the kernel its
    /// page cache back now, so the next measurements do not pay for them.
    pub(crate) async fn settle(&self) {
        if self.drop.is_some() {
            use server::sea_orm::ConnectionTrait;
            let db = server::sea_orm::Database::connect(&self.url)
                .await
                .expect("connect");
            db.execute_unprepared("CHECKPOINT")
                .await
                .expect("checkpoint");
            db.close().await.ok();
        }
        let _ = Command::new("sync").status();
        tokio::time::sleep(Duration::from_secs(5)).await;
    }

    pub(crate) async fn remove(self) {
        if let Some((admin, name)) = self.drop {
            use server::sea_orm::ConnectionTrait;
            if let Ok(db) = server::sea_orm::Database::connect(&admin).await {
                let _ = db
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            }
        }
    }
}

fn sibling(name: &str) -> PathBuf {
    let path = std::env::current_exe().expect("exe").with_file_name(name);
    assert!(
        path.exists(),
        "{} is missing: cargo build --release --bin portal --bin bench",
        path.display()
    );
    path
}

fn portal(target: &Target, port: u16) -> Command {
    let mut command = Command::new(sibling("portal"));
    command
        .env("DATABASE_URL", &target.url)
        .env("DATA_DIR", target.dir.path())
        .env("PORTAL_ADDR", format!("127.0.0.1:{port}"))
        .env("RATE_LIMIT_API_PER_MINUTE", "1000000000")
        .env("RATE_LIMIT_TOKEN_PER_MINUTE", "1000000000")
        .env("RATE_LIMIT_TOKEN_PER_IP_PER_MINUTE", "1000000000")
        // The load comes from one address; the per-address cap is for the internet.
        .env("MAX_CONCURRENT_REQUESTS_PER_IP", "100000")
        .env("RATE_LIMIT_ACCOUNT_PER_IP_PER_MINUTE", "100000")
        .env("RUST_LOG", "warn")
        .env_remove("SMTP_URL");
    command
}

pub(crate) fn load(target: &Target, args: &[&str]) {
    let started = std::time::Instant::now();
    let output = portal(target, 0)
        .args(["beneficiaries", "load"])
        .args(args)
        .output()
        .expect("run portal");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    print!("  {}", String::from_utf8_lossy(&output.stdout));
    println!("  (wall time {:.1} s)", started.elapsed().as_secs_f64());
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_until_up(base: &str) {
    for _ in 0..200 {
        if reqwest::get(format!("{base}/healthz"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{base} did not start");
}

/// Peak resident memory of a process, in MB.
pub(crate) fn peak_rss_mb(pid: u32) -> f64 {
    memory_mb(pid, "VmHWM:")
}

/// A memory figure of `/proc/<pid>/status` (`VmHWM:`, `VmRSS:`), in MB.
pub(crate) fn memory_mb(pid: u32, key: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// Access tokens for `numbers`, issued through the real authorization code path.
async fn tokens_for(url: &str, numbers: &[u32]) -> Vec<String> {
    grants_for(url, numbers).await.access
}

/// What [`grants_for`] issued: one app, and a token pair per enrollee.
pub(crate) struct Grants {
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) access: Vec<String>,
    pub(crate) refresh: Vec<String>,
}

/// Access and refresh tokens for `numbers`, each through the real
/// authorization code path, for one new confidential app.
pub(crate) async fn grants_for(url: &str, numbers: &[u32]) -> Grants {
    let db = server::db::connect(url).await.expect("connect");
    let now = server::Clock::default().now();
    let ctx = AuditContext::default();
    let email = format!("bench-{}@example.com", uuid::Uuid::new_v4().simple());
    server::accounts::create_verified_account(
        &db,
        server::accounts::NewStaffAccount {
            email: email.clone(),
            name: "Bench".into(),
            organization: "Bench".into(),
            role: server::ids::Role::Developer,
        },
        "tangerine-kettle-42",
        now,
    )
    .await
    .expect("account");
    let owner = server::accounts::find_user(&db, &email)
        .await
        .unwrap()
        .unwrap();
    let registration = Registration::scripted(
        &format!("Bench {}", uuid::Uuid::new_v4().simple()),
        "confidential",
        "authorization-code",
        REDIRECT,
        true,
        &email,
    );
    let app = apps::register(&db, &ctx, &owner, registration, now)
        .await
        .expect("register");
    let presented = PresentedClient {
        client_id: Some(app.app.client_id.clone()),
        client_secret: Some(app.client_secret.expose().to_string()),
        via_basic: true,
    };
    let client = clients::authenticate(&db, &ctx, Environment::Sandbox, &presented, now, |_| true)
        .await
        .expect("the bench app authenticates");
    let (mut access, mut refresh) = (Vec::new(), Vec::new());
    for n in numbers {
        let who = beneficiaries::sign_in(
            &db,
            &ctx,
            &synthetic::username(*n),
            &synthetic::password(*n),
            now,
        )
        .await
        .expect("sign in");
        let params = AuthorizeParams {
            client_id: Some(app.app.client_id.clone()),
            redirect_uri: Some(REDIRECT.into()),
            response_type: Some("code".into()),
            code_challenge: Some(portal_tests::oauth::pkce_challenge()),
            code_challenge_method: Some("S256".into()),
            ..Default::default()
        };
        let request =
            authorize::begin(&db, &ctx, Environment::Sandbox, ApiVersion::V2, params, now)
                .await
                .expect("authorize");
        let target = authorize::decide(
            &db,
            &ctx,
            request,
            &who.signed_in,
            Decision {
                allow: true,
                share_demographics: true,
            },
            now,
        )
        .await
        .expect("consent");
        let code = portal_tests::oauth::param(&target, "code").expect("code");
        let issued = tokens::exchange_code(
            &db,
            &ctx,
            Environment::Sandbox,
            &client,
            Some(&code),
            Some(REDIRECT),
            Some(portal_tests::oauth::PKCE_VERIFIER),
            now,
        )
        .await
        .expect("token");
        access.push(issued.access_token);
        refresh.push(issued.refresh_token.expect("a refresh token"));
    }
    db.close().await.ok();
    Grants {
        client_id: app.app.client_id.clone(),
        client_secret: app.client_secret.expose().to_string(),
        access,
        refresh,
    }
}

type PathOf = Arc<dyn Fn(usize) -> String + Send + Sync>;

/// Requests `path_of(n)` with the `n`th token (in turn) until the run ends.
async fn measure_for(
    base: &str,
    tokens: Arc<Vec<String>>,
    path_of: PathOf,
    connections: usize,
    warm_up: Duration,
    measure: Duration,
) -> Figures {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .build()
        .unwrap();
    let base = base.to_string();
    // Requests take the tokens in turn, so even one connection reads every
    // enrollee's data; `path_of` gets the same index as the token.
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    drive_for(connections, warm_up, measure, move |_connection| {
        let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let url = format!("{base}{}", path_of(n));
        let token = tokens[n % tokens.len()].clone();
        let client = client.clone();
        async move { read_whole(client.get(url).bearer_auth(token)).await }
    })
    .await
}

/// Sends `request` and reads the whole body; true when that succeeded with a 2xx.
async fn read_whole(request: reqwest::RequestBuilder) -> bool {
    match request.send().await {
        Ok(res) if res.status().is_success() => res.bytes().await.is_ok(),
        _ => false,
    }
}

/// `bench ceiling PORT PATIENT_FILE EOB_FILE`: answers /patient and /eob with
/// those files' bytes from memory, with the same headers the API sends.
pub async fn serve_ceiling() {
    let args: Vec<String> = std::env::args().collect();
    let port: u16 = args[2].parse().expect("port");
    let patient = axum::body::Bytes::from(std::fs::read(&args[3]).expect("patient file"));
    let eob = axum::body::Bytes::from(std::fs::read(&args[4]).expect("eob file"));
    let reply = |bytes: axum::body::Bytes| {
        move || {
            let bytes = bytes.clone();
            async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "application/fhir+json;charset=UTF-8",
                    )],
                    bytes,
                )
            }
        }
    };
    let app = axum::Router::new()
        .route("/patient", axum::routing::get(reply(patient)))
        .route("/eob", axum::routing::get(reply(eob)))
        .route("/healthz", axum::routing::get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind");
    axum::serve(listener, app).await.expect("serve");
}

pub(crate) struct Kill(pub(crate) Child);

/// Starts `portal serve` on `target`; returns the process and its base URL.
async fn serve(target: &Target) -> (Kill, String) {
    serve_with(target, &[]).await
}

/// [`serve`] with extra settings.
pub(crate) async fn serve_with(target: &Target, settings: &[(&str, &str)]) -> (Kill, String) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let server = Kill(
        portal(target, port)
            .envs(settings.iter().copied())
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start portal"),
    );
    wait_until_up(&base).await;
    (server, base)
}

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn run_backend(backend: Backend, label: &str) {
    println!("\n== {label} ==");
    let target = Target::create(&backend).await;
    load(&target, &["--first", &FIRST_LOAD.to_string()]);
    target.settle().await;
    let (server, base) = serve(&target).await;

    let readers: Vec<u32> = (0..64).collect();
    let rich: Vec<u32> = (0..FIRST_LOAD)
        .filter(|n| synthetic::claims::claim_count(*n) >= 50)
        .take(64)
        .collect();
    let patient_tokens = Arc::new(tokens_for(&target.url, &readers).await);
    let eob_tokens = Arc::new(tokens_for(&target.url, &rich).await);
    println!(
        "  {} readers, {} enrollees with 50+ claims",
        readers.len(),
        rich.len()
    );

    // The bytes the ceiling serves: real responses of the API.
    let fetch = |path: String, token: String| {
        let base = base.clone();
        async move {
            reqwest::Client::new()
                .get(format!("{base}{path}"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap()
        }
    };
    let dir = target.dir.path().to_path_buf();
    let patient_file = dir.join("patient.json");
    let eob_file = dir.join("eob.json");
    std::fs::write(
        &patient_file,
        fetch(
            format!("/v2/fhir/Patient/{}", synthetic::fhir_id(0)),
            patient_tokens[0].clone(),
        )
        .await,
    )
    .unwrap();
    std::fs::write(
        &eob_file,
        fetch(
            "/v2/fhir/ExplanationOfBenefit/?_count=50".into(),
            eob_tokens[0].clone(),
        )
        .await,
    )
    .unwrap();
    println!(
        "  response sizes: Patient {} bytes, EOB page of 50 {} bytes",
        std::fs::metadata(&patient_file).unwrap().len(),
        std::fs::metadata(&eob_file).unwrap().len()
    );
    let ceiling_port = free_port();
    let ceiling_base = format!("http://127.0.0.1:{ceiling_port}");
    let _ceiling = Kill(
        Command::new(std::env::current_exe().unwrap())
            .args([
                "ceiling",
                &ceiling_port.to_string(),
                path_str(&patient_file),
                path_str(&eob_file),
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("start the ceiling server"),
    );
    wait_until_up(&ceiling_base).await;

    let patient_path: PathOf =
        Arc::new(move |n| format!("/v2/fhir/Patient/{}", synthetic::fhir_id(n as u32 % 64)));
    let eob_path: PathOf = Arc::new(|_| "/v2/fhir/ExplanationOfBenefit/?_count=50".to_string());
    let fixed = |p: &'static str| -> PathOf { Arc::new(move |_| p.to_string()) };
    let side = |label: String, base: &str, tokens: &Arc<Vec<String>>, path: &PathOf| Side {
        label,
        base: base.to_string(),
        tokens: tokens.clone(),
        path: path.clone(),
    };
    let ceiling_patient = side(
        "ceiling (Patient bytes)".into(),
        &ceiling_base,
        &patient_tokens,
        &fixed("/patient"),
    );
    let patient = side(
        format!("Patient read, {label}"),
        &base,
        &patient_tokens,
        &patient_path,
    );
    let ceiling_eob = side(
        "ceiling (EOB page bytes)".into(),
        &ceiling_base,
        &eob_tokens,
        &fixed("/eob"),
    );
    let eob = side(
        format!("EOB page of 50, {label}"),
        &base,
        &eob_tokens,
        &eob_path,
    );
    // BENCH_QUICK=1: only the throughput rows (Patient and the EOB page
    // against their ceilings at 16 and 64 connections), for comparisons
    // while tuning; no 30,000-enrollee database.
    if std::env::var("BENCH_QUICK").as_deref() == Ok("1") {
        for connections in CONNECTION_COUNTS {
            let [ceiling_patient, patient] =
                alternate([&ceiling_patient, &patient], connections).await;
            let [ceiling_eob, eob] = alternate([&ceiling_eob, &eob], connections).await;
            println!(
                "  => at {connections} conn: Patient at {:.0}% of its ceiling, EOB page at {:.0}%\n",
                100.0 * patient.requests_per_second() / ceiling_patient.requests_per_second(),
                100.0 * eob.requests_per_second() / ceiling_eob.requests_per_second()
            );
        }
        println!("  => peak memory {:.0} MB", peak_rss_mb(server.0.id()));
        drop(server);
        target.remove().await;
        return;
    }

    // 30,000 enrollees: a second database loaded with all of them and its own
    // server, measured against this one before the throughput runs, so both
    // servers and their databases have the same history (measured after those
    // runs, the 1,000-enrollee side on PostgreSQL was ~10% slower, with
    // ~750,000 more access-log rows behind it).
    println!("\n  loading all 30,000 enrollees into a second database …");
    let large_target = Target::create(&backend).await;
    load(&large_target, &["--all"]);
    large_target.settle().await;
    let (large_server, large_base) = serve(&large_target).await;
    let large_eob_tokens = Arc::new(tokens_for(&large_target.url, &rich).await);
    let small = side(
        format!("EOB page of 50, {label}, 1,000 enrollees"),
        &base,
        &eob_tokens,
        &eob_path,
    );
    let large = side(
        format!("EOB page of 50, {label}, 30,000 enrollees"),
        &large_base,
        &large_eob_tokens,
        &eob_path,
    );
    let mut ratios = Vec::new();
    for connections in [1, CONNECTION_COUNTS[0]] {
        let [mut small, mut large] = alternate([&small, &large], connections).await;
        ratios.push((
            connections,
            large.p50().as_secs_f64() / small.p50().as_secs_f64().max(1e-9),
        ));
    }

    // The same enrollees' first requests, which nothing has cached: the token,
    // the enrollee's claim index and the rendered claims all come from the
    // database, so this is where the size of the tables could show.
    let cold: Vec<u32> = (0..FIRST_LOAD)
        .filter(|n| !rich.contains(n) && synthetic::claims::claim_count(*n) >= 6)
        .take(COLD_ENROLLEES)
        .collect();
    let small_cold = tokens_for(&target.url, &cold).await;
    let large_cold = tokens_for(&large_target.url, &cold).await;
    let cold_ratio = first_request_p50s([(&small, small_cold), (&large, large_cold)]).await;

    println!();
    for connections in CONNECTION_COUNTS {
        let [ceiling_patient, patient] = alternate([&ceiling_patient, &patient], connections).await;
        let [ceiling_eob, eob] = alternate([&ceiling_eob, &eob], connections).await;
        println!(
            "  => at {connections} conn: Patient at {:.0}% of its ceiling (target ≥ 50%), EOB page at {:.0}% (target ≥ 25%)\n",
            100.0 * patient.requests_per_second() / ceiling_patient.requests_per_second(),
            100.0 * eob.requests_per_second() / ceiling_eob.requests_per_second()
        );
    }
    let small_memory = peak_rss_mb(server.0.id());
    for (connections, ratio) in ratios {
        println!(
            "  => EOB p50 with 30,000 enrollees is {:.0}% of that with 1,000 at {connections} conn (target within ±10%)",
            ratio * 100.0
        );
    }
    println!(
        "  => first (uncached) EOB request: p50 with 30,000 is {:.0}% of that with 1,000",
        cold_ratio * 100.0
    );
    println!(
        "  server peak memory (VmHWM): {small_memory:.0} MB with 1,000 enrollees, {:.0} MB with 30,000 (target < 150 MB)",
        peak_rss_mb(large_server.0.id())
    );
    drop(server);
    drop(large_server);
    target.remove().await;
    large_target.remove().await;
}

/// How many enrollees' first requests [`first_request_p50s`] times.
const COLD_ENROLLEES: usize = 200;
/// Every comparison runs its two sides in alternating rounds, so whatever
/// else the two shared cores are doing falls on both alike: measured one
/// after the other for 10 s each, the same ratio moved by ±10 points.
const ROUNDS: usize = 6;
const ROUND_WARM_UP: Duration = Duration::from_millis(500);
const ROUND_MEASURE: Duration = Duration::from_millis(2500);

/// One side of a comparison: a server, the tokens to present in turn, and the path to ask for.
struct Side {
    label: String,
    base: String,
    tokens: Arc<Vec<String>>,
    path: PathOf,
}

/// Measures both sides in [`ROUNDS`] alternating rounds (a, b, b, a, a, b, …,
/// so neither always goes first), pools each side's rounds and prints them.
async fn alternate(sides: [&Side; 2], connections: usize) -> [Figures; 2] {
    let mut pooled = [Figures::empty(), Figures::empty()];
    let mut by_round: [Vec<String>; 2] = Default::default();
    for round in 0..ROUNDS {
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for i in order {
            let mut figures = measure_for(
                &sides[i].base,
                sides[i].tokens.clone(),
                sides[i].path.clone(),
                connections,
                ROUND_WARM_UP,
                ROUND_MEASURE,
            )
            .await;
            by_round[i].push(format!(
                "{:.0}/{:.2}",
                figures.requests_per_second(),
                figures.p50().as_secs_f64() * 1000.0
            ));
            pooled[i].absorb(figures);
        }
    }
    for i in 0..2 {
        pooled[i].print(&format!("{}, {connections} conn", sides[i].label));
        println!(
            "      by round (req/s / p50 ms): {}",
            by_round[i].join(", ")
        );
    }
    pooled
}

/// One request per token on each side, alternating sides; prints each side's
/// p50 and returns large ÷ small.
async fn first_request_p50s(sides: [(&Side, Vec<String>); 2]) -> f64 {
    let client = reqwest::Client::new();
    for (side, _) in &sides {
        // Opens the connection, so no timed request pays for it.
        let _ = client.get(format!("{}/healthz", side.base)).send().await;
    }
    let mut latencies: [Vec<Duration>; 2] = Default::default();
    let mut errors = 0;
    for n in 0..sides[0].1.len().min(sides[1].1.len()) {
        let order = if n % 2 == 0 { [0, 1] } else { [1, 0] };
        for i in order {
            let (side, tokens) = &sides[i];
            let sent = std::time::Instant::now();
            let url = format!("{}{}", side.base, (side.path)(n));
            let ok = read_whole(client.get(url).bearer_auth(&tokens[n])).await;
            latencies[i].push(sent.elapsed());
            errors += usize::from(!ok);
        }
    }
    let mut p50s = [Duration::ZERO; 2];
    for i in 0..2 {
        latencies[i].sort();
        p50s[i] = latencies[i][latencies[i].len() / 2];
        println!(
            "{:<52} p50 {:>7.2} ms   p90 {:>7.2} ms   ({} requests)",
            format!("first request: {}", sides[i].0.label),
            p50s[i].as_secs_f64() * 1000.0,
            latencies[i][latencies[i].len() * 9 / 10].as_secs_f64() * 1000.0,
            latencies[i].len(),
        );
    }
    if errors > 0 {
        println!("      {errors} of those requests failed");
    }
    p50s[1].as_secs_f64() / p50s[0].as_secs_f64().max(1e-9)
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

pub async fn run() {
    println!("FHIR API: Patient read and EOB page of 50 vs a server answering the same bytes from memory");
    for (backend, label) in backends() {
        run_backend(backend, label).await;
    }
}

/// Sign-in attempts per second in `bench flood`: the figure.
const FLOOD_PER_SECOND: u64 = 200;

/// `bench flood`: Patient reads at 16 connections, in rounds alternating
/// between a quiet server and one receiving [`FLOOD_PER_SECOND`] sign-in
/// attempts, each for a different unknown email (so each costs a full
/// password hash, the decoy). The per-address limit is lifted, as if the
/// attempts came from many addresses: this measures the hashing pool, which
/// must keep the API answering, not the per-address limit.
pub async fn run_flood() {
    println!(
        "FHIR Patient read, quiet vs while {FLOOD_PER_SECOND} sign-in attempts per second arrive"
    );
    for (backend, label) in backends() {
        println!("\n== {label} ==");
        let target = Target::create(&backend).await;
        load(&target, &["--first", "200"]);
        target.settle().await;
        let (_server, base) = serve_with(
            &target,
            &[("RATE_LIMIT_ACCOUNT_PER_IP_PER_MINUTE", "1000000000")],
        )
        .await;
        let readers: Vec<u32> = (0..64).collect();
        let tokens = Arc::new(tokens_for(&target.url, &readers).await);
        let path: PathOf =
            Arc::new(|n| format!("/v2/fhir/Patient/{}", synthetic::fhir_id((n % 64) as u32)));

        let (mut quiet, mut flooded) = (Figures::empty(), Figures::empty());
        let mut answers = FloodAnswers::default();
        for round in 0..ROUNDS {
            let flood = round % 2 == 1;
            let attack = flood
                .then(|| tokio::spawn(sign_in_flood(base.clone(), ROUND_WARM_UP + ROUND_MEASURE)));
            let figures = measure_for(
                &base,
                tokens.clone(),
                path.clone(),
                16,
                ROUND_WARM_UP,
                ROUND_MEASURE,
            )
            .await;
            match attack {
                Some(attack) => {
                    answers.absorb(attack.await.expect("flood task"));
                    flooded.absorb(figures);
                }
                None => quiet.absorb(figures),
            }
        }
        quiet.print("Patient read, 16 conn, quiet");
        flooded.print(&format!(
            "Patient read, 16 conn, {FLOOD_PER_SECOND} sign-ins/s"
        ));
        let statuses: Vec<String> = answers
            .by_status
            .iter()
            .map(|(status, count)| format!("{count} × {status}"))
            .collect();
        // A wrong password is answered 500 until server functions answer 4xx (issue 19).
        println!(
            "      sign-in attempts: {} sent; answers: {}; {} unanswered within 10 s",
            answers.sent,
            statuses.join(", "),
            answers.unanswered
        );
        target.remove().await;
    }
}

/// What the sign-in attempts of a flood got back: the count of each status,
/// and of attempts that got no answer within 10 s.
#[derive(Default)]
struct FloodAnswers {
    sent: usize,
    by_status: std::collections::BTreeMap<u16, usize>,
    unanswered: usize,
}

impl FloodAnswers {
    fn absorb(&mut self, other: FloodAnswers) {
        self.sent += other.sent;
        for (status, count) in other.by_status {
            *self.by_status.entry(status).or_default() += count;
        }
        self.unanswered += other.unanswered;
    }
}

/// Sends [`FLOOD_PER_SECOND`] sign-in attempts a second for `length`, each
/// on its own, then waits (up to 10 s) for the last answers, so the next
/// round starts quiet.
async fn sign_in_flood(base: String, length: Duration) -> FloodAnswers {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / FLOOD_PER_SECOND));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let until = std::time::Instant::now() + length;
    let mut attempts = tokio::task::JoinSet::new();
    let mut answers = FloodAnswers::default();
    let mut n = 0u64;
    while std::time::Instant::now() < until {
        tick.tick().await;
        n += 1;
        answers.sent += 1;
        let request = client
            .post(format!("{base}/api/log_in"))
            .header("origin", &base)
            .header("accept", "application/json")
            .form(&[
                ("email", format!("flood-{n}@example.com")),
                ("password", "not the password".to_string()),
            ]);
        attempts.spawn(async move { request.send().await.map(|r| r.status().as_u16()) });
    }
    while let Some(done) = attempts.join_next().await {
        match done.expect("attempt task") {
            Ok(status) => *answers.by_status.entry(status).or_default() += 1,
            Err(_) => answers.unanswered += 1,
        }
    }
    answers
}

//! Faults and hostile input (issue 19): a panic anywhere becomes a 500 with
//! the request id instead of a dropped connection, the inputs that used to
//! panic get the answer they deserve, slow clients and an exhausted pool get
//! a quick 503 instead of stalling everyone, and shutdown drains on time.
use axum::{routing::get, Router};
use portal_tests::{access::*, db_tests, fhir, location, Backend, TestApp};
use server::ids::Role;

async fn boom() -> &'static str {
    panic!("on purpose")
}

/// Routes that panic on purpose, inside the portal's own layer stack.
async fn panicking_server(app: &TestApp) -> String {
    let routes = Router::new()
        .route("/boom", get(boom))
        .route("/v2/fhir/Patient/boom", get(boom))
        .route("/fine", get(|| async { "still serving" }));
    let router = app::serve::with_common_layers(routes, &app.state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_answers_500_with_its_request_id() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let base = panicking_server(&app).await;
    // One client, so later requests reuse the connection the panic happened on.
    let client = reqwest::Client::new();
    let page = client
        .get(format!("{base}/boom"))
        .send()
        .await
        .expect("an answer, not a dropped connection");
    assert_eq!(page.status(), 500);
    let id = page.headers()["x-request-id"].to_str().unwrap().to_string();
    assert!(
        page.headers()["content-security-policy"].to_str().is_ok(),
        "headers still set"
    );
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Something went wrong") && html.contains(&id),
        "{html}"
    );

    let fhir = client
        .get(format!("{base}/v2/fhir/Patient/boom"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(fhir.status(), 500);
    let outcome: serde_json::Value = fhir.json().await.unwrap();
    assert_eq!(outcome["resourceType"], "OperationOutcome");
    assert_eq!(outcome["issue"][0]["code"], "exception");

    let after = client.get(format!("{base}/fine")).send().await.unwrap();
    assert_eq!(after.text().await.unwrap(), "still serving");
    app.stop().await;
}

async fn inputs_that_used_to_panic_get_a_clear_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.enrollees(0..1).await;
    let token = fhir::enrollee_token(&app, "BBUser00000").await;
    let (status, _, outcome) = fhir::get(
        &app,
        &token,
        "/v2/fhir/ExplanationOfBenefit/?startIndex=18446744073709551615",
    )
    .await;
    assert_eq!(status, 400, "{outcome}");
    assert_eq!(outcome["resourceType"], "OperationOutcome");
    assert!(outcome.to_string().contains("startIndex must be at most"));
    // The largest offset there is is a valid, empty page without a next link.
    let (status, _, bundle) = fhir::get(
        &app,
        &token,
        "/v2/fhir/ExplanationOfBenefit/?startIndex=9223372036854775807&_count=50",
    )
    .await;
    assert_eq!(status, 200, "{bundle}");
    assert!(fhir::entries(&bundle).is_empty());
    assert_eq!(fhir::link(&bundle, "next"), None);

    // The test client with an app that is not one of yours: 404, said plainly.
    let dev = account(&app, "dev@acme.example.com", Role::Developer).await;
    let other = account(&app, "eve@other.example.com", Role::Developer).await;
    let res = app
        .post_form(
            &other,
            "apps/register",
            &[
                ("name", "Eve's App"),
                ("description", "Not yours."),
                ("website_url", "https://eve.example.com"),
                ("privacy_policy_url", "https://eve.example.com/privacy"),
                ("terms_url", "https://eve.example.com/terms"),
                ("support_email", "help@eve.example.com"),
                ("support_phone", "+1 410-555-0101"),
                ("client_type", "confidential"),
                ("grant_type", "authorization-code"),
                ("redirect_uris", "https://eve.example.com/callback"),
                ("requires_demographics", "yes"),
                ("accept_terms", "yes"),
            ],
        )
        .await;
    let eves = location(&res)
        .trim_start_matches("/apps/")
        .trim_end_matches("?created=1")
        .to_string();
    start_application(&app, &dev, "Acme Claims Viewer").await;
    for app_param in [
        eves.as_str(),
        "not-an-id",
        "00000000-0000-0000-0000-000000000000",
    ] {
        let res = dev
            .get(app.url(&format!("/test-client?app={app_param}")))
            .send()
            .await
            .expect("an answer, not a dropped connection");
        assert_eq!(res.status(), 404, "app={app_param}");
        let html = res.text().await.unwrap();
        assert!(
            html.contains("That app is not one of your sandbox apps"),
            "{html}"
        );
        assert!(!html.contains("Eve"), "nothing of the other app is shown");
    }

    // Staff forms: chrono reads years up to 262,143, where date arithmetic
    // overflowed, and page numbers multiplied past what the database takes.
    let admin = account(&app, "ada@cms.example.gov", Role::Admin).await;
    let reviewer = account(&app, "rae@cms.example.gov", Role::Reviewer).await;
    let far = app
        .post_form(
            &admin,
            "admin/calendar/add",
            &[("day", "+262143-12-31"), ("reason", "x")],
        )
        .await;
    assert_eq!(far.status(), 400);
    assert!(far.text().await.unwrap().contains("Enter a date"));
    let far = app
        .post_form(
            &reviewer,
            "review/publish_slot",
            &[
                ("starts_at", "+262143-12-31T23:59"),
                ("meeting_link", "https://meet.example.gov/rae"),
                ("tz_offset_minutes", "840"),
            ],
        )
        .await;
    assert_eq!(far.status(), 400);
    assert!(far.text().await.unwrap().contains("Enter a date and time"));
    let starts = (app.state.clock.now() + chrono::Duration::days(3))
        .format("%Y-%m-%dT10:00")
        .to_string();
    let odd_offset = app
        .post_form(
            &reviewer,
            "review/publish_slot",
            &[
                ("starts_at", &starts),
                ("meeting_link", "https://meet.example.gov/rae"),
                ("tz_offset_minutes", "-9223372036854775808"),
            ],
        )
        .await;
    assert_eq!(
        location(&odd_offset),
        "/review/slots?published=1",
        "an impossible offset is ignored (Eastern time is assumed)"
    );
    let form = [
        ("title", "Re-review"),
        ("terms_version", "2099-01"),
        ("terms_text", "Terms."),
        ("attestations", "We never sell Medicare data."),
        ("deadline", "+262143-12-31"),
        ("confirm", "yes"),
    ];
    let far = app.post_form(&admin, "admin/campaigns/start", &form).await;
    assert_eq!(far.status(), 400);
    for (client, path) in [
        (&admin, "/admin/audit?page=184467440737095517"),
        (&reviewer, "/review?page=18446744073709551615"),
    ] {
        let page = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(page.status(), 200, "{path}");
    }
    let audit = app
        .post_form(&admin, "admin/audit", &[("page", "184467440737095517")])
        .await;
    assert_eq!(audit.status(), 200);
    app.stop().await;
}

/// A refusal or a field error is the caller's (4xx), so that a 5xx alert
/// means something broke on our side.
async fn server_functions_answer_with_the_status_of_their_error(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    verified_account(&app, "dev@acme.example.com", Role::Developer).await;
    let anonymous = app.client();
    let wrong = app
        .post_form(
            &anonymous,
            "log_in",
            &[
                ("email", "dev@acme.example.com"),
                ("password", "not-it-at-all"),
                ("next", ""),
            ],
        )
        .await;
    assert_eq!(
        wrong.status(),
        400,
        "a wrong password is the caller's fault"
    );
    assert!(wrong.text().await.unwrap().contains("do not match"));
    let fields = app
        .post_form(
            &anonymous,
            "sign_up",
            &[
                ("name", ""),
                ("email", "not an email"),
                ("organization", ""),
                ("password", "short"),
                ("password_confirm", "short"),
            ],
        )
        .await;
    assert_eq!(fields.status(), 400);
    assert!(fields.text().await.unwrap().contains("email"));
    let garbled = app
        .post_form(&anonymous, "log_in", &[("nothing", "useful")])
        .await;
    assert_eq!(garbled.status(), 400, "arguments that do not parse");
    let signed_out = app.post_form(&anonymous, "admin/audit", &[]).await;
    assert_eq!(signed_out.status(), 401);
    let dev = sign_in(&app, "dev@acme.example.com").await;
    let forbidden = app.post_form(&dev, "admin/audit", &[]).await;
    assert_eq!(forbidden.status(), 403);
    assert!(forbidden.text().await.unwrap().contains("Forbidden"));
    // Success is untouched.
    let viewer = app.post_form(&dev, "viewer", &[]).await;
    assert_eq!(viewer.status(), 200);
    app.stop().await;
}

/// A raw HTTP/1.1 request whose body is sent only in part, as a slow or
/// hostile client does: it holds its place until the rest comes or the
/// server gives up.
struct SlowRequest {
    stream: tokio::net::TcpStream,
    rest: Vec<u8>,
}

impl SlowRequest {
    async fn start(app: &TestApp, forwarded_for: Option<&str>) -> Self {
        use tokio::io::AsyncWriteExt;
        let body = b"email=slow%40example.com&password=not-the-password&next=".to_vec();
        let addr = app.base.trim_start_matches("http://").to_string();
        let forwarded = forwarded_for
            .map(|ip| format!("X-Forwarded-For: {ip}\r\n"))
            .unwrap_or_default();
        let head = format!(
            "POST /api/log_in HTTP/1.1\r\nHost: {addr}\r\nOrigin: {}\r\nAccept: application/json\r\n{forwarded}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            app.base,
            body.len()
        );
        let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        let (first, rest) = body.split_at(10);
        stream.write_all(first).await.unwrap();
        // Let the server take the request in before anyone counts it.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        Self {
            stream,
            rest: rest.to_vec(),
        }
    }

    /// Sends the rest of the body and reads the whole answer.
    async fn finish(mut self) -> String {
        use tokio::io::AsyncWriteExt;
        self.stream.write_all(&self.rest).await.unwrap();
        self.answer().await
    }

    /// Whatever the server answers without the rest of the body.
    async fn answer(&mut self) -> String {
        use tokio::io::AsyncReadExt;
        let mut answer = Vec::new();
        let _ = self.stream.read_to_end(&mut answer).await;
        String::from_utf8_lossy(&answer).to_string()
    }
}

async fn metadata_from(app: &TestApp, address: &str) -> reqwest::Response {
    app.client()
        .get(app.url("/v2/fhir/metadata"))
        .header("x-forwarded-for", address)
        .send()
        .await
        .unwrap()
}

/// Slow requests from one address cannot take every place: that address is
/// refused at once (503, Retry-After, in the API's shape) while others are
/// served, the total is capped as well, and `/healthz` always answers.
async fn requests_in_flight_are_capped_per_address_and_overall(backend: Backend) {
    let mut options = portal_tests::TestOptions::default();
    options.settings.extend([
        ("TRUSTED_PROXIES", "127.0.0.1".to_string()),
        ("MAX_CONCURRENT_REQUESTS_PER_IP", "2".to_string()),
        ("MAX_CONCURRENT_REQUESTS", "3".to_string()),
    ]);
    let app = TestApp::spawn_with(backend, options).await;
    let attacker = "203.0.113.66";
    let first = SlowRequest::start(&app, Some(attacker)).await;
    let second = SlowRequest::start(&app, Some(attacker)).await;
    let refused = metadata_from(&app, attacker).await;
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");
    let outcome: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(outcome["resourceType"], "OperationOutcome");
    assert_eq!(outcome["issue"][0]["code"], "transient");
    assert_eq!(
        metadata_from(&app, "198.51.100.7").await.status(),
        200,
        "another client is served"
    );

    let third = SlowRequest::start(&app, Some("198.51.100.8")).await;
    assert_eq!(
        metadata_from(&app, "198.51.100.9").await.status(),
        503,
        "the total is reached"
    );
    let health = app.client().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200, "liveness is never refused");

    for slow in [first, second, third] {
        let answer = slow.finish().await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
        assert!(answer.contains("do not match"));
    }
    assert_eq!(
        metadata_from(&app, attacker).await.status(),
        200,
        "places are given back"
    );
    app.stop().await;
}

/// A body that stalls is cut off when the next piece is late, and one that
/// trickles in is cut off at the request's deadline: neither holds its place.
async fn slow_bodies_are_cut_off_by_their_deadlines(backend: Backend) {
    let mut options = portal_tests::TestOptions::default();
    options.settings.extend([
        ("BODY_IDLE_TIMEOUT_SECS", "1".to_string()),
        ("REQUEST_TIMEOUT_SECS", "3".to_string()),
        ("MAX_CONCURRENT_REQUESTS_PER_IP", "1".to_string()),
    ]);
    let app = TestApp::spawn_with(backend, options).await;
    let began = std::time::Instant::now();
    let mut stalled = SlowRequest::start(&app, None).await;
    let answer = stalled.answer().await;
    assert!(
        began.elapsed() < std::time::Duration::from_secs(3),
        "answered when the next piece was a second late, not held: {:?}",
        began.elapsed()
    );
    assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");

    use tokio::io::AsyncWriteExt;
    let began = std::time::Instant::now();
    let mut trickle = SlowRequest::start(&app, None).await;
    let rest = std::mem::take(&mut trickle.rest);
    let mut answer = String::new();
    for byte in rest {
        let cut_off = trickle.stream.write_all(&[byte]).await.is_err();
        if cut_off || began.elapsed() > std::time::Duration::from_millis(3300) {
            answer = trickle.answer().await;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    }
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(began.elapsed() < std::time::Duration::from_secs(6));
    let page = app.client().get(app.url("/login")).send().await.unwrap();
    assert_eq!(
        page.status(),
        200,
        "the one place for this address is free again"
    );
    app.stop().await;
}

/// With every pooled connection taken, a FHIR read, `/readyz` and a server
/// function answer 503 within about the acquire timeout instead of queueing for half a minute,
/// and both recover without a restart when connections free up.
async fn an_exhausted_pool_answers_503_at_once_and_recovers(backend: Backend) {
    let mut options = portal_tests::TestOptions::default();
    options.settings.extend([
        ("DATABASE_MAX_CONNECTIONS", "3".to_string()),
        ("DATABASE_ACQUIRE_TIMEOUT_MS", "1000".to_string()),
    ]);
    let app = TestApp::spawn_with(backend, options).await;
    app.enrollees(0..2).await;
    let token = fhir::enrollee_token(&app, "BBUser00001").await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(
            server::sea_orm::TransactionTrait::begin(&app.state.db)
                .await
                .unwrap(),
        );
    }
    let began = std::time::Instant::now();
    let (status, headers, outcome) =
        fhir::get(&app, &token, "/v2/fhir/ExplanationOfBenefit/").await;
    assert_eq!(status, 503, "{outcome}");
    assert_eq!(outcome["issue"][0]["code"], "transient");
    assert!(
        began.elapsed() < std::time::Duration::from_secs(4),
        "answered within the acquire timeout: {:?}",
        began.elapsed()
    );
    drop(headers);
    let ready = app.client().get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    // A server function (signing in) answers 503 as well, with Retry-After
    // and the error its form shows, not a 500 that pages someone.
    let res = app
        .post_form(
            &app.client(),
            "log_in",
            &[
                ("email", "dev@acme.example.com"),
                ("password", "a-password-of-some-kind"),
                ("next", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["retry-after"], "1");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        body["Refused"]["error"], "Unavailable",
        "the form keeps what was typed: {body}"
    );

    for txn in held {
        txn.rollback().await.unwrap();
    }
    // If the access log could not write meanwhile, reads stay paused until
    // its next attempt (at most 5 s later): fail closed, then recover.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (status, _, bundle) = fhir::get(&app, &token, "/v2/fhir/ExplanationOfBenefit/").await;
        if status == 200 {
            break;
        }
        assert_eq!(status, 503, "{bundle}");
        assert!(
            std::time::Instant::now() < deadline,
            "reads recover: {bundle}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let ready = app.client().get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    app.stop().await;
}

/// Shutdown (SIGTERM in the binary, `stop` here): `/readyz` answers 503 at
/// once while requests are still served; a request in flight finishes with
/// its real answer; one that never would is cut off at the deadline, so
/// shutdown ends on time; then connections are refused.
async fn shutdown_drains_requests_in_flight_within_its_deadline(backend: Backend) {
    let mut options = portal_tests::TestOptions::default();
    options.settings.extend([
        ("SHUTDOWN_DELAY_MS", "1500".to_string()),
        ("SHUTDOWN_DEADLINE_SECS", "2".to_string()),
    ]);
    let app = TestApp::spawn_with(backend, options).await;
    let base = app.base.clone();
    let in_flight = SlowRequest::start(&app, None).await;
    let _never_finishes = SlowRequest::start(&app, None).await;
    let began = std::time::Instant::now();
    let stopping = tokio::spawn(app.stop());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let ready = reqwest::get(format!("{base}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 503, "draining");
    assert_eq!(ready.text().await.unwrap(), r#"{"status":"draining"}"#);
    let healthz = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(healthz.status(), 200, "still serving during the delay");

    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let answer = in_flight.finish().await;
    assert!(
        answer.starts_with("HTTP/1.1 400") && answer.contains("do not match"),
        "the request in flight got its real answer: {answer}"
    );
    stopping.await.unwrap();
    let took = began.elapsed();
    assert!(
        took >= std::time::Duration::from_millis(1500) && took < std::time::Duration::from_secs(6),
        "shutdown waited for the delay and ended at the deadline: {took:?}"
    );
    assert!(
        reqwest::get(format!("{base}/healthz")).await.is_err(),
        "connections are refused once stopped"
    );
}

/// PostgreSQL out of reach for a few seconds (every connection dropped, new
/// ones refused): FHIR reads, `/readyz` and server functions answer 503
/// within about the acquire timeout instead of hanging, and once the
/// database is back everything recovers without a restart, with the read
/// served before the outage in the access log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_out_of_reach_answers_503_and_recovers_without_a_restart() {
    let Some(Backend::Postgres(admin_url)) = Backend::postgres() else {
        eprintln!("skipped: TEST_DATABASE_URL is not set");
        return;
    };
    let target = {
        let url = url::Url::parse(&admin_url).unwrap();
        let host = url.host_str().unwrap_or("127.0.0.1").to_string();
        let port = url.port().unwrap_or(5432);
        let found = tokio::net::lookup_host((host.as_str(), port))
            .await
            .unwrap()
            .next();
        found.unwrap()
    };
    let proxy = portal_tests::proxy::TcpProxy::start(target).await;
    let mut options = portal_tests::TestOptions {
        database_through: Some(proxy.addr),
        ..Default::default()
    };
    options
        .settings
        .push(("DATABASE_ACQUIRE_TIMEOUT_MS", "1000".to_string()));
    let app = TestApp::spawn_with(Backend::Postgres(admin_url), options).await;
    app.enrollees(0..3).await;
    let before = fhir::enrollee_token(&app, "BBUser00001").await;
    let during = fhir::enrollee_token(&app, "BBUser00002").await;
    let (status, _, _) = fhir::get(&app, &before, "/v2/fhir/Patient/").await;
    assert_eq!(status, 200);

    proxy.cut();
    let began = std::time::Instant::now();
    // A token nobody has used yet, so nothing about it is cached.
    let (status, _, outcome) = fhir::get(&app, &during, "/v2/fhir/ExplanationOfBenefit/").await;
    assert_eq!(status, 503, "{outcome}");
    assert_eq!(outcome["issue"][0]["code"], "transient");
    assert!(
        began.elapsed() < std::time::Duration::from_secs(5),
        "answered about when the acquire timeout ran out: {:?}",
        began.elapsed()
    );
    let ready = app.client().get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let res = app
        .post_form(
            &app.client(),
            "log_in",
            &[
                ("email", "dev@acme.example.com"),
                ("password", "a-password-of-some-kind"),
                ("next", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 503);
    let healthz = app.client().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(healthz.status(), 200, "the process itself is alive");

    proxy.restore();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (status, _, _) = fhir::get(&app, &during, "/v2/fhir/ExplanationOfBenefit/").await;
        let ready = app.client().get(app.url("/readyz")).send().await.unwrap();
        if status == 200 && ready.status() == 200 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "recovered once the database was back (last: {status}, readyz {})",
            ready.status()
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    use server::{
        entities::api_access,
        sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter},
    };
    let served = |path: &'static str| {
        api_access::Entity::find()
            .filter(api_access::Column::Path.eq(path))
            .filter(api_access::Column::Status.eq(200))
            .count(&app.state.db)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while served("/v2/fhir/Patient/").await.unwrap() < 1
        || served("/v2/fhir/ExplanationOfBenefit/").await.unwrap() < 1
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the read before the outage and the one after are in the access log"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    app.stop().await;
}

/// kill -9 while reads are being answered, three times, then a restart:
/// every read a client received whole is in the access log exactly once.
/// The records still queued at each kill were in the process's spool, and
/// the next process to start wrote them. (Before the spool, each kill lost
/// the records of the last few dozen milliseconds.)
async fn a_killed_server_logged_every_read_it_served(backend: Backend) {
    use portal_tests::process::PortalProcess;
    use server::{
        entities::api_access,
        sea_orm::{ColumnTrait, EntityTrait, QueryFilter},
    };
    let app = TestApp::spawn(backend).await;
    app.enrollees(0..4).await;
    let mut tokens = Vec::new();
    for n in 0..4 {
        tokens.push(fhir::enrollee_token(&app, &format!("BBUser{n:05}")).await);
    }
    let mut served = Vec::new();
    for delay_ms in [150u64, 400, 700] {
        let portal = PortalProcess::start(&app).await;
        let mut readers = tokio::task::JoinSet::new();
        for reader in 0..16 {
            let (base, token) = (portal.base.clone(), tokens[reader % 4].clone());
            readers.spawn(async move {
                let client = reqwest::Client::new();
                let mut served = Vec::new();
                // Until the process is gone and the connection fails.
                while let Ok(res) = client
                    .get(format!("{base}/v2/fhir/ExplanationOfBenefit/?_count=5"))
                    .bearer_auth(&token)
                    .send()
                    .await
                {
                    let id = res
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    if res.status() == 200 && res.bytes().await.is_ok() {
                        served.push(id.expect("every response has its request id"));
                    }
                }
                served
            });
        }
        tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
        portal.kill();
        while let Some(found) = readers.join_next().await {
            served.extend(found.unwrap());
        }
    }
    assert!(
        served.len() >= 30,
        "reads were served before the kills: {}",
        served.len()
    );
    // The restart writes what the last killed process left.
    let restarted = PortalProcess::start(&app).await;
    let logged = || async {
        let mut times = std::collections::HashMap::<String, usize>::new();
        for row in api_access::Entity::find()
            .filter(api_access::Column::Status.eq(200))
            .all(&app.state.db)
            .await
            .unwrap()
        {
            *times.entry(row.request_id.unwrap_or_default()).or_default() += 1;
        }
        times
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut times = logged().await;
    while served.iter().any(|id| !times.contains_key(id)) && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        times = logged().await;
    }
    let spool = app.state.settings.data_dir.join("access-log-spool");
    let locks = std::fs::read_dir(&spool)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".lock"))
        })
        .count();
    assert_eq!(locks, 2, "only the live processes' spools are left");
    drop(restarted);
    let twice: Vec<&String> = served
        .iter()
        .filter(|id| times.get(*id) > Some(&1))
        .collect();
    assert!(twice.is_empty(), "written more than once: {twice:?}");
    let missing: Vec<&String> = served
        .iter()
        .filter(|id| !times.contains_key(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} reads were served but are not in the access log, such as {:?}",
        missing.len(),
        served.len(),
        &missing[..missing.len().min(5)]
    );
    app.stop().await;
}

/// Sends `bytes` as the `file` of an upload to `base` (another server on
/// the same database), as the page's script does.
async fn upload_at(
    base: &str,
    client: &reqwest::Client,
    id: &str,
    kind: &str,
    bytes: Vec<u8>,
) -> Result<reqwest::Response, reqwest::Error> {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes)
            .file_name("document.pdf")
            .mime_str("application/pdf")
            .unwrap(),
    );
    client
        .post(format!("{base}/access/{id}/documents/{kind}"))
        .header("origin", base)
        .header("accept", "application/json")
        .multipart(form)
        .send()
        .await
}

/// Every recorded document's and letter's file is in the store, byte for byte.
async fn every_recorded_file_is_whole(app: &TestApp) {
    use server::{
        entities::{access_document, decision_letter},
        sea_orm::EntityTrait,
    };
    let documents = access_document::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    let letters = decision_letter::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    let files = documents
        .into_iter()
        .map(|d| (d.filename, d.sha256))
        .chain(letters.into_iter().map(|l| (l.filename, l.sha256)));
    for (filename, sha256) in files {
        let bytes = app
            .state
            .blobs
            .get(&sha256)
            .await
            .unwrap_or_else(|e| panic!("{filename} is recorded but its file is gone: {e}"));
        assert_eq!(hex_sha256(&bytes), sha256, "{filename} is whole");
    }
}

/// kill -9 of the real `portal` binary in the middle of uploads and of a
/// submission, at points spread over each request's life, then a restart:
/// each time, either the whole change is there (with its file, its events,
/// its audit row and its mail) or none of it is, and a later collection
/// leaves every recorded file in place.
async fn a_server_killed_mid_request_leaves_nothing_half_written(backend: Backend) {
    use portal_tests::process::PortalProcess;
    use server::{
        entities::{
            access_document, access_request, access_request_version, audit_event, outbox_message,
        },
        sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter},
    };
    let app = TestApp::spawn(backend).await;
    let db = &app.state.db;
    account(&app, "reviewer@cms.example.gov", Role::Reviewer).await;
    let dev = account(&app, "dev@acme.example.com", Role::Developer).await;
    let id = start_application(&app, &dev, "Acme Claims Viewer").await;
    complete(&app, &dev, &id).await;
    let uploads = || {
        access_document::Entity::find()
            .filter(access_document::Column::Kind.eq("terms_of_service"))
            .count(db)
    };
    let audited = |action: &'static str| {
        audit_event::Entity::find()
            .filter(audit_event::Column::Action.eq(action))
            .count(db)
    };

    // Uploads of the terms (6 pages of text to check and analyse).
    let mut recorded = 0;
    for delay_ms in [0u64, 5, 10, 20, 30, 45, 60, 90, 150, 300] {
        let portal = PortalProcess::start(&app).await;
        let before = (
            uploads().await.unwrap(),
            audited("access_request.document_uploaded").await.unwrap(),
        );
        let sending = {
            let (base, dev, id) = (portal.base.clone(), dev.clone(), id.clone());
            tokio::spawn(async move {
                upload_at(&base, &dev, &id, "terms_of_service", terms_pdf()).await
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
        portal.kill();
        let answered = sending.await.unwrap().map(|r| r.status().as_u16()).ok();
        let after = (
            uploads().await.unwrap(),
            audited("access_request.document_uploaded").await.unwrap(),
        );
        if after == before {
            assert_ne!(
                answered,
                Some(200),
                "an upload answered 200 was lost ({delay_ms} ms)"
            );
        } else {
            assert_eq!(
                after,
                (before.0 + 1, before.1 + 1),
                "recorded whole with its audit row ({delay_ms} ms)"
            );
            recorded += 1;
        }
        every_recorded_file_is_whole(&app).await;
    }
    eprintln!("uploads recorded before the kill: {recorded} of 10");

    // The submission: one transaction (state, version, events, audit, mail).
    let outbox = || outbox_message::Entity::find().count(db);
    let mut submitted_at = None;
    for delay_ms in [
        0u64, 2, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 150, 250, 400, 800,
    ] {
        let portal = PortalProcess::start(&app).await;
        let mail_before = outbox().await.unwrap();
        let sending = {
            let (base, dev, id) = (portal.base.clone(), dev.clone(), id.clone());
            tokio::spawn(async move {
                dev.post(format!("{base}/api/access/submit"))
                    .header("origin", &base)
                    .header("accept", "application/json")
                    .form(&[
                        ("id", id.as_str()),
                        ("version", "0"),
                        ("attest_name", "Pat Applicant"),
                        ("attest_title", "Chief Privacy Officer"),
                        ("attest_terms", "yes"),
                    ])
                    .send()
                    .await
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
        portal.kill();
        let answered = sending.await.unwrap().map(|r| r.status().as_u16()).ok();
        let request = access_request::Entity::find_by_id(uuid::Uuid::parse_str(&id).unwrap())
            .one(db)
            .await
            .unwrap()
            .unwrap();
        let versions = access_request_version::Entity::find()
            .filter(access_request_version::Column::RequestId.eq(request.id))
            .count(db)
            .await
            .unwrap();
        let audits = audited("access_request.submitted").await.unwrap();
        let mail = outbox().await.unwrap() - mail_before;
        if request.state == "draft" {
            assert_eq!(
                (versions, audits, mail),
                (0, 0, 0),
                "nothing of a submission that did not commit ({delay_ms} ms)"
            );
            assert_ne!(
                answered,
                Some(200),
                "a submission answered as done was lost ({delay_ms} ms)"
            );
        } else {
            assert_eq!(request.state, "submitted");
            assert_eq!(
                (versions, audits),
                (1, 1),
                "the whole submission ({delay_ms} ms)"
            );
            assert!(mail > 0, "with its mail queued ({delay_ms} ms)");
            submitted_at = Some(delay_ms);
            break;
        }
    }
    eprintln!("the submission committed when killed after {submitted_at:?} ms");
    if submitted_at.is_none() {
        let res = submit(&app, &dev, &id, "0").await;
        assert_eq!(
            location(&res),
            format!("/access/{id}?submitted=1"),
            "it can still be submitted"
        );
    }

    // The decision: the letter's PDF is stored, then one transaction records
    // the state, the letter, the audit row and the mail with the letter.
    let reviewer = account(&app, "rae@cms.example.gov", Role::Reviewer).await;
    let (_, decided) =
        ready_for_decision(&app, &reviewer, "second@acme.example.com", "Acme Second").await;
    let decided_id = uuid::Uuid::parse_str(&decided).unwrap();
    let state_before = access_request::Entity::find_by_id(decided_id)
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .state;
    let mut approved_at = None;
    for delay_ms in [0u64, 5, 10, 20, 40, 80, 160, 320, 640] {
        let portal = PortalProcess::start(&app).await;
        let mail_before = outbox().await.unwrap();
        let sending = {
            let (base, reviewer, id) = (portal.base.clone(), reviewer.clone(), decided.clone());
            tokio::spawn(async move {
                reviewer
                    .post(format!("{base}/api/review/approve"))
                    .header("origin", &base)
                    .header("accept", "application/json")
                    .form(&[("id", id.as_str()), ("data_access_type", "13-month")])
                    .send()
                    .await
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
        portal.kill();
        let answered = sending.await.unwrap().map(|r| r.status().as_u16()).ok();
        let state = access_request::Entity::find_by_id(decided_id)
            .one(db)
            .await
            .unwrap()
            .unwrap()
            .state;
        let letters = server::entities::decision_letter::Entity::find()
            .filter(server::entities::decision_letter::Column::RequestId.eq(decided_id))
            .all(db)
            .await
            .unwrap();
        let audits = audited("access_request.approved").await.unwrap();
        let mail = outbox().await.unwrap() - mail_before;
        if state == state_before {
            assert_eq!(
                (letters.len(), audits, mail),
                (0, 0, 0),
                "nothing of a decision that did not commit ({delay_ms} ms)"
            );
            assert_ne!(
                answered,
                Some(200),
                "a decision answered as made was lost ({delay_ms} ms)"
            );
        } else {
            assert_eq!(state, "approved");
            assert_eq!(
                (letters.len(), audits),
                (1, 1),
                "the whole decision ({delay_ms} ms)"
            );
            assert!(mail > 0, "with the letter's mail queued ({delay_ms} ms)");
            let file = app
                .state
                .blobs
                .get(&letters[0].sha256)
                .await
                .expect("the letter's file");
            assert_eq!(hex_sha256(&file), letters[0].sha256);
            approved_at = Some(delay_ms);
            break;
        }
    }
    eprintln!("the decision committed when killed after {approved_at:?} ms");

    // A day on, the collector keeps every recorded file. (A killed
    // process's claim lasts until PostgreSQL notices it gone: retried.)
    app.state.clock.advance(chrono::Duration::hours(25));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while server::retention::run(
        db,
        &app.state.blobs,
        &app.state.settings.retention,
        app.state.clock.now(),
    )
    .await
    .unwrap()
    .is_none()
    {
        assert!(std::time::Instant::now() < deadline);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    every_recorded_file_is_whole(&app).await;
    assert!(
        app.state
            .blobs
            .files()
            .iter()
            .all(|f| !f.to_string_lossy().ends_with(".part")),
        "no partial file is left"
    );
    app.stop().await;
}

db_tests!(
    a_server_killed_mid_request_leaves_nothing_half_written,
    a_killed_server_logged_every_read_it_served,
    inputs_that_used_to_panic_get_a_clear_answer,
    server_functions_answer_with_the_status_of_their_error,
    requests_in_flight_are_capped_per_address_and_overall,
    slow_bodies_are_cut_off_by_their_deadlines,
    an_exhausted_pool_answers_503_at_once_and_recovers,
    shutdown_drains_requests_in_flight_within_its_deadline,
);

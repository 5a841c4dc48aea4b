//! After approval, over HTTP on both databases: the post-approval listing and
//! its review, the public directory, the credential handoff (single use, 24
//! hours, only for the signed-in point of contact, reissue rotates), the
//! separate production environment, secret rotation with a grace period,
//! usage counts and renewal reminders. The production secret must never
//! reach the logs, the audit trail or any email.
use std::sync::{Arc, Mutex, OnceLock};

use portal_tests::{
    access::*,
    db_tests, location,
    oauth::{authorize_url_at, client_post, consent, param, Answer, AppSpec, PKCE_VERIFIER},
    Backend, TestApp,
};
use server::{
    entities::{audit_event, outbox_message},
    ids::Role,
    sea_orm::EntityTrait,
};

/// Everything the portal logs in this test process, at debug level for our
/// crates, so that tests can look for secrets in it.
fn captured_logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        let _ = tracing_subscriber::fmt()
            .with_env_filter("info,server=debug,app=debug,sqlx=debug,tower_http=debug")
            .with_ansi(false)
            .with_writer(move || Capture(sink.clone()))
            .try_init();
        buffer
    })
    .clone()
}

/// Every test here starts its portal through this, so the capture is in
/// place before any portal in the process logs a line.
async fn spawn(backend: Backend) -> TestApp {
    captured_logs();
    TestApp::spawn(backend).await
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const POC: &str = "privacy@acme.example.com";

/// The path of the handoff link in the newest credentials email to the point of contact.
async fn handoff_link(app: &TestApp, count: usize) -> String {
    for _ in 0..100 {
        let links: Vec<String> = app
            .smtp
            .messages()
            .await
            .into_iter()
            .filter(|m| {
                m.to.iter().any(|t| t == POC) && m.subject().contains("production credentials")
            })
            .filter_map(|m| m.link_containing("/handoff/"))
            .collect();
        if links.len() >= count {
            let url = links[count - 1].clone();
            return url[url.find("/handoff/").unwrap()..].to_string();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no handoff email number {count}");
}

async fn the_listing_is_reviewed_listed_and_the_credentials_work_in_production_only(
    backend: Backend,
) {
    let logs = captured_logs();
    let app = spawn(backend).await;
    app.enrollees(0..2).await;
    let reviewer = account(&app, "rae@cms.example.gov", Role::Reviewer).await;
    let (dev, id) = approved(&app, &reviewer, "dev@acme.example.com", "Acme Sandbox").await;

    // The post-approval form starts from the application's answers.
    let form_page = page(&app, &dev, &format!("/access/{id}/listing")).await;
    assert!(
        form_page.contains("value=\"Acme Claims Viewer\""),
        "{form_page}"
    );
    assert!(form_page.contains("Post-approval form"));

    // Bad input: every problem named, nothing saved.
    let mut bad = listing(&id, "0");
    for (k, v) in bad.iter_mut() {
        if k == "website_url" {
            *v = "http://acme.example.com".into();
        }
    }
    bad.retain(|(k, _)| !k.starts_with("platforms"));
    let body = post_owned(&app, &dev, "production/save_listing", &bad)
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("Use an https:// address"), "{body}");
    assert!(body.contains("Choose at least one platform."), "{body}");
    assert!(server::entities::app_listing::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .is_empty());

    let res = post_owned(&app, &dev, "production/save_listing", &listing(&id, "0")).await;
    assert_eq!(location(&res), format!("/access/{id}?listing_submitted=1"));
    app.smtp
        .wait_for("rae@cms.example.gov", "Directory listing to review")
        .await;
    // Not in the directory before a reviewer approves it.
    let directory = page(&app, &app.client(), "/directory").await;
    assert!(!directory.contains("Acme Claims Viewer"), "{directory}");

    // The reviewer sends it back with a comment the applicant sees.
    let no_comment = app
        .post_form(
            &reviewer,
            "production/evaluate_listing",
            &[("id", &id), ("verdict[listing.logo]", "needs_change")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        no_comment.contains("Say what needs to change"),
        "{no_comment}"
    );
    app.post_form(
        &reviewer,
        "production/evaluate_listing",
        &[
            ("id", &id),
            ("verdict[listing.logo]", "needs_change"),
            ("comment[listing.logo]", "Please upload a logo."),
        ],
    )
    .await;
    let res = app
        .post_form(
            &reviewer,
            "production/request_listing_changes",
            &[("id", &id)],
        )
        .await;
    assert_eq!(
        location(&res),
        format!("/review/{id}?listing_returned=1#listing")
    );
    let mail = app
        .smtp
        .wait_for(POC, "Changes requested to your directory listing")
        .await;
    assert!(
        mail.text().contains("Logo: Please upload a logo."),
        "{}",
        mail.text()
    );
    let form_page = page(&app, &dev, &format!("/access/{id}/listing")).await;
    assert!(form_page.contains("Please upload a logo."));
    // A stale tab (revision 0) cannot overwrite the submitted listing.
    let stale = post_owned(&app, &dev, "production/save_listing", &listing(&id, "0"))
        .await
        .text()
        .await
        .unwrap();
    assert!(stale.contains("saved in another tab"), "{stale}");
    let res = post_owned(&app, &dev, "production/save_listing", &listing(&id, "1")).await;
    assert_eq!(location(&res), format!("/access/{id}?listing_submitted=1"));

    // Every part must pass before approval.
    let refused = app
        .post_form(&reviewer, "production/approve_listing", &[("id", &id)])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        refused.contains("Every part of the listing must pass before approval. Still open:")
            && refused.contains("Logo"),
        "{refused}"
    );
    let mut checks = vec![("id".to_string(), id.clone())];
    for (key, _) in server::production::listing::REVIEW_ITEMS {
        checks.push((format!("verdict[{key}]"), "pass".into()));
    }
    let res = post_owned(&app, &reviewer, "production/evaluate_listing", &checks).await;
    assert_eq!(
        location(&res),
        format!("/review/{id}?listing_saved=1#listing"),
        "{}",
        res.text().await.unwrap()
    );
    let res = app
        .post_form(&reviewer, "production/approve_listing", &[("id", &id)])
        .await;
    assert_eq!(
        location(&res),
        format!("/review/{id}?listing_approved=1#listing")
    );

    // The public directory lists it (search and category filter), naming Medicare as the data source.
    let anonymous = app.client();
    let directory = page(&app, &anonymous, "/directory?q=claims").await;
    assert!(directory.contains("Acme Claims Viewer"), "{directory}");
    assert!(directory.contains("Data source: Medicare"), "{directory}");
    let filtered = page(&app, &anonymous, "/directory?category=research").await;
    assert!(!filtered.contains("Acme Claims Viewer"), "{filtered}");
    assert!(filtered.contains("No apps match"));
    let miss = page(&app, &anonymous, "/directory?q=zebra").await;
    assert!(!miss.contains("Acme Claims Viewer"));
    let entry = page(&app, &anonymous, &format!("/directory/{id}")).await;
    assert!(
        entry.contains("<dd id=\"data-source\">Medicare</dd>"),
        "{entry}"
    );

    // The handoff: the production app gets the approved redirect URIs.
    let res = app
        .post_form(&reviewer, "production/start_handoff", &[("id", &id)])
        .await;
    assert_eq!(location(&res), format!("/review/{id}?handoff=1#handoff"));
    let link = handoff_link(&app, 1).await;
    let notice = app
        .smtp
        .wait_for("cto@acme.example.com", "Production credentials are ready")
        .await;
    assert!(
        !notice.text().contains("/handoff/"),
        "only the point of contact gets the link"
    );

    // The applicant is signed in, but is not the point of contact.
    let refused = page(&app, &dev, &link).await;
    assert!(
        refused
            .contains("This link is for the app&#x27;s point of contact (p***@acme.example.com)")
            || refused
                .contains("This link is for the app's point of contact (p***@acme.example.com)"),
        "{refused}"
    );
    let token = link.trim_start_matches("/handoff/");
    let attempt = app
        .post_form(&dev, "production/reveal", &[("token", token)])
        .await
        .text()
        .await
        .unwrap();
    assert!(attempt.contains("point of contact"), "{attempt}");
    // Signed out: sent to sign in first.
    let res = anonymous.get(app.url(&link)).send().await.unwrap();
    assert!(
        location(&res).starts_with("/login?next="),
        "{}",
        location(&res)
    );

    let poc = account(&app, POC, Role::Developer).await;
    let ready = page(&app, &poc, &link).await;
    assert!(ready.contains("Show the production credentials"), "{ready}");
    let res = app
        .post_form(&poc, "production/reveal", &[("token", token)])
        .await;
    assert_eq!(location(&res), format!("{link}?revealed=1"));
    let shown = page(&app, &poc, &format!("{link}?revealed=1")).await;
    let grab = |id: &str| code_text(&shown, id);
    let (client_id, secret, base) = (
        grab("client-id"),
        grab("client-secret"),
        grab("api-base-url"),
    );
    assert_eq!(secret.len(), 43);
    assert_eq!(base, format!("{}/production", app.base));
    // Once: a reload shows no secret, and the link is spent.
    let again = page(&app, &poc, &format!("{link}?revealed=1")).await;
    assert!(!again.contains(&secret));
    assert!(again.contains("This link was already used"), "{again}");
    let reuse = app
        .post_form(&poc, "production/reveal", &[("token", token)])
        .await
        .text()
        .await
        .unwrap();
    assert!(reuse.contains("already used"), "{reuse}");
    app.smtp
        .wait_for("cto@acme.example.com", "Production credentials collected")
        .await;
    let overview = page(&app, &dev, &format!("/access/{id}")).await;
    assert!(
        overview.contains("<dd id=\"access-state\">Live</dd>"),
        "{overview}"
    );

    // An authorization-code flow against production works...
    let authorize = authorize_url_at(
        &app,
        "/production/v2/o/authorize/",
        &[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", "https://app.example.com/callback"),
            ("state", "s1"),
        ],
    );
    let back = consent(&app, &authorize, "BBUser00000", Answer::ALLOW).await;
    let code = param(&back, "code").expect("a code");
    let (status, tokens) = client_post(
        &app,
        "/production/v2/o/token/",
        &client_id,
        &secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://app.example.com/callback"),
            ("code_verifier", PKCE_VERIFIER),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["environment"], "production");
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let patient = tokens["patient"].as_str().unwrap().to_string();
    let fhir = |path: String| {
        let (app, access) = (&app, access.clone());
        async move {
            reqwest::Client::new()
                .get(app.url(&path))
                .bearer_auth(access)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        fhir(format!("/production/v2/fhir/Patient/{patient}")).await,
        200
    );
    assert_eq!(
        fhir("/production/v2/fhir/ExplanationOfBenefit/".into()).await,
        200
    );
    // The owner sees the calls by endpoint on the app's page (the access log is written in batches).
    let request =
        server::entities::access_request::Entity::find_by_id(uuid::Uuid::parse_str(&id).unwrap())
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
    let prod_app = request.production_app_id.expect("the production app");
    let mut usage = String::new();
    for _ in 0..50 {
        usage = page(&app, &dev, &format!("/apps/{prod_app}")).await;
        if usage.contains("<td>Patient read</td><td>1</td><td>0</td>") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        usage.contains("<td>Patient read</td><td>1</td><td>0</td>"),
        "{usage}"
    );
    assert!(
        usage.contains("<td>ExplanationOfBenefit search</td><td>1</td><td>0</td>"),
        "{usage}"
    );
    let (status, introspected) = client_post(
        &app,
        "/production/v2/o/introspect/",
        &client_id,
        &secret,
        &[("token", &access)],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(introspected["active"], true);
    assert_eq!(introspected["environment"], "production");

    // ...and the same credentials and token fail against the sandbox.
    assert_eq!(
        fhir(format!("/v2/fhir/Patient/{patient}")).await,
        401,
        "a production token is not a sandbox token"
    );
    let (status, body) = client_post(
        &app,
        "/v2/o/token/",
        &client_id,
        &secret,
        &[("grant_type", "authorization_code"), ("code", "x")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let sandbox_authorize = page(&app, &app.client(), &format!("/v2/o/authorize/?response_type=code&client_id={client_id}&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback")).await;
    assert!(
        sandbox_authorize.contains("registered in the sandbox environment"),
        "{sandbox_authorize}"
    );
    // Sandbox credentials do not work against production either.
    let sandbox = app.register(AppSpec::confidential("Sandbox Only")).await;
    let (status, _) = client_post(
        &app,
        "/production/v2/o/token/",
        &sandbox.client_id,
        &sandbox.client_secret,
        &[("grant_type", "authorization_code"), ("code", "x")],
    )
    .await;
    assert_eq!(status, 401);
    let (status, sandbox_tokens) = client_post(
        &app,
        "/v2/o/token/",
        &sandbox.client_id,
        &sandbox.client_secret,
        &[("grant_type", "authorization_code"), ("code", "x")],
    )
    .await;
    assert_eq!(
        status, 400,
        "the sandbox knows its own app: {sandbox_tokens}"
    );
    // Each environment is its own issuer.
    let discovery: serde_json::Value =
        reqwest::get(app.url("/production/.well-known/openid-configuration"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(
        discovery["issuer"],
        format!("{}/production", app.state.settings.public_url)
    );
    assert_eq!(
        discovery["token_endpoint"],
        format!("{}/production/v2/o/token/", app.state.settings.public_url)
    );

    // The secret never reached the audit trail, an email or the logs.
    for row in audit_event::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
    {
        let text = format!("{row:?}");
        assert!(
            !text.contains(&secret),
            "audit row holds the secret: {text}"
        );
    }
    for message in app.smtp.messages().await {
        assert!(
            !message.text().contains(&secret) && !message.html().contains(&secret),
            "email holds the secret"
        );
    }
    for row in outbox_message::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
    {
        assert!(!format!("{row:?}").contains(&secret));
    }
    // A reset link, requested and followed, so that its token passes through
    // the request log too.
    let res = app
        .post_form(&app.client(), "request_password_reset", &[("email", POC)])
        .await;
    assert_eq!(location(&res), "/forgot-password?sent=1");
    let reset_link = app
        .smtp
        .wait_for(POC, "Reset your")
        .await
        .link_containing("/reset-password?token=")
        .unwrap();
    let reset_token = reset_link.split("token=").nth(1).unwrap().to_string();
    let reset_page = app.client().get(&reset_link).send().await.unwrap();
    assert_eq!(reset_page.status(), 200);

    let logged = String::from_utf8_lossy(&logs.lock().unwrap()).to_string();
    // One-time links are bearer secrets: the log shows neither the handoff
    // token (in the path) nor the reset token (in the query).
    assert!(
        logged.contains("/handoff/{token}"),
        "the handoff visit is logged, redacted"
    );
    assert!(
        logged.lines().any(|l| l.contains(" response ")
            && l.contains("status=200")
            && l.contains("latency_ms=")),
        "each response is logged with its status and how long it took"
    );
    assert!(!logged.contains(token), "the logs hold the handoff token");
    assert!(
        !logged.contains(&reset_token),
        "the logs hold the reset token"
    );
    assert!(
        logged.contains("production"),
        "the capture works: it saw this test's requests: {} bytes: {}",
        logged.len(),
        logged.chars().take(2000).collect::<String>()
    );
    assert!(!logged.contains(&secret), "the logs hold the secret");
    app.stop().await;
}

async fn handoff_links_are_single_use_expire_and_reissue_rotates_the_secret(backend: Backend) {
    let app = spawn(backend).await;
    let reviewer = account(&app, "rae@cms.example.gov", Role::Reviewer).await;
    let (dev, id) = listed(&app, &reviewer).await;
    // Developers cannot start a handoff.
    let res = app
        .post_form(&dev, "production/start_handoff", &[("id", &id)])
        .await;
    assert!(res.text().await.unwrap().contains("Forbidden"));
    app.post_form(&reviewer, "production/start_handoff", &[("id", &id)])
        .await;
    let first = handoff_link(&app, 1).await;

    // After 24 hours the link is dead (the contact signs in after that).
    app.state.clock.advance(chrono::Duration::hours(25));
    let reviewer = account(&app, "rae2@cms.example.gov", Role::Reviewer).await;
    let dev = {
        let client = app.client();
        app.post_form(
            &client,
            "log_in",
            &[
                ("email", "dev@acme.example.com"),
                ("password", PASSWORD),
                ("next", ""),
            ],
        )
        .await;
        client
    };
    let poc = account(&app, POC, Role::Developer).await;
    let expired = page(&app, &poc, &first).await;
    assert!(expired.contains("This link has expired"), "{expired}");

    // A reissue (confirmed) sends a new link; the old one says it was replaced.
    let unconfirmed = app
        .post_form(&reviewer, "production/reissue_handoff", &[("id", &id)])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        unconfirmed.contains("Tick the box to confirm"),
        "{unconfirmed}"
    );
    let res = app
        .post_form(
            &reviewer,
            "production/reissue_handoff",
            &[("id", &id), ("confirm", "yes")],
        )
        .await;
    assert_eq!(location(&res), format!("/review/{id}?reissued=1#handoff"));
    let second = handoff_link(&app, 2).await;
    assert_ne!(first, second);
    let token = second.trim_start_matches("/handoff/");
    app.post_form(&poc, "production/reveal", &[("token", token)])
        .await;
    let shown = page(&app, &poc, &format!("{second}?revealed=1")).await;
    let old_secret = code_text(&shown, "client-secret");
    let client_id = code_text(&shown, "client-id");
    let works = |secret: String| {
        let (app, client_id) = (&app, client_id.clone());
        async move {
            client_post(
                app,
                "/production/v2/o/introspect/",
                &client_id,
                &secret,
                &[("token", "nothing")],
            )
            .await
            .0
        }
    };
    assert_eq!(works(old_secret.clone()).await, 200);

    // Reissuing again stops that secret at once and replaces the link.
    app.post_form(
        &reviewer,
        "production/reissue_handoff",
        &[("id", &id), ("confirm", "yes")],
    )
    .await;
    assert_eq!(
        works(old_secret.clone()).await,
        401,
        "the reissued credentials replace the old secret"
    );
    let third = handoff_link(&app, 3).await;
    let old = page(&app, &poc, &second).await;
    assert!(old.contains("already used"), "{old}");
    let reviewer_view = page(&app, &reviewer, &format!("/review/{id}")).await;
    assert!(
        reviewer_view.contains("Replaced by a newer link"),
        "{reviewer_view}"
    );
    assert!(reviewer_view.contains("Waiting to be used"));
    let audit: Vec<String> = audit_event::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for action in [
        "production.handoff_started",
        "production.handoff_reissued",
        "production.credentials_revealed",
        "listing.approved",
    ] {
        assert!(
            audit.iter().any(|a| a == action),
            "{action} audited: {audit:?}"
        );
    }

    // The owner rotates the production secret with a 1-hour grace period.
    let token = third.trim_start_matches("/handoff/");
    app.post_form(&poc, "production/reveal", &[("token", token)])
        .await;
    let shown = page(&app, &poc, &format!("{third}?revealed=1")).await;
    let current = code_text(&shown, "client-secret");
    let request =
        server::entities::access_request::Entity::find_by_id(uuid::Uuid::parse_str(&id).unwrap())
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
    let prod_app = request
        .production_app_id
        .expect("the production app")
        .to_string();
    let too_long = app
        .post_form(
            &dev,
            "apps/rotate_secret",
            &[("id", &prod_app), ("confirm", "yes"), ("grace_hours", "48")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(too_long.contains("from none to 24 hours"), "{too_long}");
    let res = app
        .post_form(
            &dev,
            "apps/rotate_secret",
            &[("id", &prod_app), ("confirm", "yes"), ("grace_hours", "1")],
        )
        .await;
    assert_eq!(location(&res), format!("/apps/{prod_app}?rotated=1"));
    let app_page = page(&app, &dev, &format!("/apps/{prod_app}?rotated=1")).await;
    assert!(
        app_page.contains("The old one keeps working until"),
        "{app_page}"
    );
    let rotated = code_text(&app_page, "client-secret");
    assert_eq!(
        works(current.clone()).await,
        200,
        "the old secret works during the grace period"
    );
    assert_eq!(works(rotated.clone()).await, 200);
    app.state.clock.advance(chrono::Duration::minutes(61));
    assert_eq!(works(current).await, 401, "and stops after it");
    assert_eq!(works(rotated).await, 200);

    // The app page shows production details, renewal a year out, and usage.
    assert!(app_page.contains("<dd id=\"app-environment\">Production</dd>"));
    assert!(app_page.contains(&format!(
        "<code id=\"api-base-url\">{}/production</code>",
        app.state.settings.public_url
    )));
    assert!(app_page.contains("id=\"renewal-due\""));
    // Another developer sees nothing of it.
    let eve = account(&app, "eve@other.example.com", Role::Developer).await;
    let theirs = page(&app, &eve, &format!("/apps/{prod_app}")).await;
    assert!(theirs.contains("App not found") && !theirs.contains(&client_id));
    let listing_page = page(&app, &eve, &format!("/access/{id}/listing")).await;
    assert!(!listing_page.contains("Acme Claims Viewer"));
    app.stop().await;
}

async fn renewal_reminders_go_out_30_and_7_days_ahead_once_each(backend: Backend) {
    let app = spawn(backend).await;
    let reviewer = account(&app, "rae@cms.example.gov", Role::Reviewer).await;
    let (_dev, id) = listed(&app, &reviewer).await;
    let poc = account(&app, POC, Role::Developer).await;
    app.post_form(&reviewer, "production/start_handoff", &[("id", &id)])
        .await;
    let link = handoff_link(&app, 1).await;
    app.post_form(
        &poc,
        "production/reveal",
        &[("token", link.trim_start_matches("/handoff/"))],
    )
    .await;
    let page_text = page(&app, &poc, &format!("{link}?revealed=1")).await;
    assert!(page_text.contains("client-secret"));
    // The app's own clock moves on, so the reminders also fall due for the
    // mail worker, which the job's notifier wakes.
    let send_after = |days: i64| {
        let app = &app;
        async move {
            app.state.clock.advance(chrono::Duration::days(days));
            let sent = server::production::renewal::send_reminders(
                &app.state.db,
                &app.state.notifier(),
                app.state.clock.now(),
            )
            .await
            .unwrap();
            sent
        }
    };
    assert_eq!(send_after(300).await, 0, "not yet");
    assert_eq!(send_after(36).await, 1, "30 days ahead");
    assert_eq!(send_after(1).await, 0, "once");
    let mail = app
        .smtp
        .wait_for("dev@acme.example.com", "up for renewal in 30 days")
        .await;
    assert!(mail.text().contains("audit"), "{}", mail.text());
    assert!(
        mail.to.iter().any(|t| t == "help@acme.example.com"),
        "the listing's support address too: {:?}",
        mail.to
    );
    assert_eq!(send_after(22).await, 1, "7 days ahead");
    assert_eq!(send_after(1).await, 0);
    app.smtp
        .wait_for("dev@acme.example.com", "up for renewal in 7 days")
        .await;
    // The mail worker's lines name their pass and message, as a request's
    // name their request: one delivery can be followed through the log.
    let logged = String::from_utf8_lossy(&captured_logs().lock().unwrap()).to_string();
    assert!(
        logged
            .lines()
            .any(|line| line.contains("task{task=\"outbox\" task_id=")
                && line.contains("message{message_id=")
                && line.contains("email sent")),
        "a delivery logged within its task span"
    );
    app.stop().await;
}

db_tests!(
    the_listing_is_reviewed_listed_and_the_credentials_work_in_production_only,
    handoff_links_are_single_use_expire_and_reissue_rotates_the_secret,
    renewal_reminders_go_out_30_and_7_days_ahead_once_each,
);

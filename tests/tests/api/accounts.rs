//! Accounts end to end over HTTP: sign-up, verification by email, sign-in,
//! lockout, password reset and change, roles, CSRF, and the audit trail.
use portal_tests::{db_tests, location, Backend, TestApp};
use server::{
    entities::{account, audit_event},
    sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder},
};

const PASSWORD: &str = "tangerine-kettle-42";

async fn sign_up(app: &TestApp, email: &str) -> reqwest::Response {
    let client = app.client();
    app.post_form(
        &client,
        "sign_up",
        &[
            ("name", "Jane Developer"),
            ("email", email),
            ("organization", "Acme Health"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
            ("accept_terms", "yes"),
        ],
    )
    .await
}

/// Signs up and verifies `email`; returns nothing, leaves the account ready to sign in.
async fn verified_developer(app: &TestApp, email: &str) {
    assert_eq!(location(&sign_up(app, email).await), "/signup/check-email");
    let mail = app.smtp.wait_for(email, "Confirm your email").await;
    let link = mail
        .link_containing("/verify-email?token=")
        .expect("verification link");
    let token = link.split("token=").nth(1).unwrap();
    let res = app
        .post_form(&app.client(), "verify_email", &[("token", token)])
        .await;
    assert_eq!(location(&res), "/login?verified=1");
}

async fn log_in(
    app: &TestApp,
    client: &reqwest::Client,
    email: &str,
    password: &str,
) -> reqwest::Response {
    app.post_form(
        client,
        "log_in",
        &[("email", email), ("password", password), ("next", "")],
    )
    .await
}

async fn audit_actions(app: &TestApp) -> Vec<String> {
    audit_event::Entity::find()
        .order_by_asc(audit_event::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

async fn sign_up_verify_sign_in_and_out(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "Jane@Example.com";

    let res = sign_up(&app, email).await;
    assert!(res.status().is_success());
    assert_eq!(location(&res), "/signup/check-email");

    let mail = app
        .smtp
        .wait_for("jane@example.com", "Confirm your email")
        .await;
    assert!(mail.html().contains("Confirm my email address"));
    let link = mail
        .link_containing("/verify-email?token=")
        .expect("link in email");
    assert!(
        link.starts_with(&app.base),
        "link points at this portal: {link}"
    );
    let token = link.split("token=").nth(1).unwrap().to_string();

    // The page behind the link asks for a click rather than verifying on GET.
    let page = app
        .client()
        .get(&link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Confirm my email address"));
    let client = app.client();
    let res = app
        .post_form(&client, "verify_email", &[("token", &token)])
        .await;
    assert_eq!(location(&res), "/login?verified=1");
    let again = app
        .post_form(&client, "verify_email", &[("token", &token)])
        .await;
    assert!(again.text().await.unwrap().contains("already used"));

    let res = log_in(&app, &client, "jane@example.com", PASSWORD).await;
    assert_eq!(location(&res), "/account");
    let cookie = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.starts_with("bb_session=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );

    let account_page = client.get(app.url("/account")).send().await.unwrap();
    assert_eq!(account_page.status(), 200);
    let html = account_page.text().await.unwrap();
    assert!(
        html.contains("Jane Developer") && html.contains("Acme Health"),
        "account page shows the profile"
    );

    let res = app.post_form(&client, "log_out", &[]).await;
    assert_eq!(location(&res), "/login?signed_out=1");
    let after = client.get(app.url("/account")).send().await.unwrap();
    assert_eq!(
        after.status(),
        302,
        "signed-out visitors are sent to sign in"
    );
    assert_eq!(location(&after), "/login?next=/account");

    // One audit row per state change, in order; the refused second
    // verification and the page loads changed nothing and wrote nothing.
    assert_eq!(
        audit_actions(&app).await,
        [
            "account.sign_up",
            "account.email_verified",
            "account.login",
            "account.logout"
        ]
    );
    let stored = account::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.tos_version.as_deref(),
        Some(server::accounts::CURRENT_TERMS_VERSION)
    );
    assert!(stored.password_hash.unwrap().starts_with("$argon2id$"));
    app.stop().await;
}

async fn bad_sign_up_input_is_explained_and_nothing_is_saved(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client();
    let res = app
        .post_form(
            &client,
            "sign_up",
            &[
                ("name", ""),
                ("email", "not-an-email"),
                ("organization", "Acme"),
                ("password", "short"),
                ("password_confirm", "different"),
            ],
        )
        .await;
    assert!(!res.status().is_success());
    let body = res.text().await.unwrap();
    for message in [
        "Enter your full name",
        "valid email address",
        "at least 12 characters",
        "do not match",
        "accept the API Terms",
    ] {
        assert!(body.contains(message), "missing {message:?} in {body}");
    }
    assert_eq!(
        account::Entity::find().count(&app.state.db).await.unwrap(),
        0
    );
    assert!(
        audit_actions(&app).await.is_empty(),
        "a refused form changes nothing"
    );

    assert_eq!(
        location(&sign_up(&app, "dup@example.com").await),
        "/signup/check-email"
    );
    // Signing up again with a taken email answers exactly like a new
    // sign-up (so the form cannot be used to find out who has an account);
    // the owner is told by email instead.
    assert_eq!(
        location(&sign_up(&app, "DUP@example.com").await),
        "/signup/check-email"
    );
    let notice = app
        .smtp
        .wait_for("dup@example.com", "Someone tried to create")
        .await;
    assert!(notice.link_containing("/forgot-password").is_some());
    assert_eq!(
        account::Entity::find().count(&app.state.db).await.unwrap(),
        1
    );
    app.stop().await;
}

async fn five_failed_sign_ins_lock_the_account_for_fifteen_minutes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    verified_developer(&app, "lock@example.com").await;
    let client = app.client();
    for attempt in 1..=4 {
        let body = log_in(&app, &client, "lock@example.com", "wrong password!!")
            .await
            .text()
            .await
            .unwrap();
        assert!(body.contains("do not match"), "attempt {attempt}: {body}");
    }
    let fifth = log_in(&app, &client, "lock@example.com", "wrong password!!")
        .await
        .text()
        .await
        .unwrap();
    assert!(fifth.contains("pauses for 15 minutes"), "{fifth}");
    let right_but_locked = log_in(&app, &client, "lock@example.com", PASSWORD).await;
    assert!(right_but_locked.headers().get("set-cookie").is_none());
    // The same answer as a wrong password: a stranger cannot tell a paused
    // account (which exists) from a wrong guess.
    assert_eq!(right_but_locked.text().await.unwrap(), fifth);
    app.smtp.wait_for("lock@example.com", "paused").await;

    app.state.clock.advance(chrono::Duration::minutes(16));
    assert_eq!(
        location(&log_in(&app, &client, "lock@example.com", PASSWORD).await),
        "/account"
    );
    assert!(audit_actions(&app)
        .await
        .iter()
        .any(|a| a == "account.locked"));
    app.stop().await;
}

async fn password_reset_link_works_once_and_expires(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    verified_developer(&app, "reset@example.com").await;
    let client = app.client();
    let res = app
        .post_form(
            &client,
            "request_password_reset",
            &[("email", "reset@example.com")],
        )
        .await;
    assert_eq!(location(&res), "/forgot-password?sent=1");
    // Unknown addresses get the same answer and no email.
    let res = app
        .post_form(
            &client,
            "request_password_reset",
            &[("email", "nobody@example.com")],
        )
        .await;
    assert_eq!(location(&res), "/forgot-password?sent=1");

    let mail = app.smtp.wait_for("reset@example.com", "Reset your").await;
    let token = mail
        .link_containing("/reset-password?token=")
        .unwrap()
        .split("token=")
        .nth(1)
        .unwrap()
        .to_string();
    let weak = app
        .post_form(
            &client,
            "reset_password",
            &[
                ("token", &token),
                ("password", "abc"),
                ("password_confirm", "abc"),
            ],
        )
        .await;
    assert!(weak.text().await.unwrap().contains("at least 12"));
    let new_password = "marigold-lantern-77";
    let res = app
        .post_form(
            &client,
            "reset_password",
            &[
                ("token", &token),
                ("password", new_password),
                ("password_confirm", new_password),
            ],
        )
        .await;
    assert_eq!(
        location(&res),
        "/login?reset=1",
        "a weak first try did not use up the link"
    );
    let reuse = app
        .post_form(
            &client,
            "reset_password",
            &[
                ("token", &token),
                ("password", new_password),
                ("password_confirm", new_password),
            ],
        )
        .await;
    assert!(reuse.text().await.unwrap().contains("already used"));
    assert!(log_in(&app, &client, "reset@example.com", PASSWORD)
        .await
        .text()
        .await
        .unwrap()
        .contains("do not match"));
    assert_eq!(
        location(&log_in(&app, &client, "reset@example.com", new_password).await),
        "/account"
    );

    app.post_form(
        &client,
        "request_password_reset",
        &[("email", "reset@example.com")],
    )
    .await;
    let second = loop {
        let all = app.smtp.messages().await;
        let resets: Vec<_> = all
            .iter()
            .filter(|m| m.subject().contains("Reset your"))
            .cloned()
            .collect();
        if resets.len() == 2 {
            break resets[1].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let token = second
        .link_containing("token=")
        .unwrap()
        .split("token=")
        .nth(1)
        .unwrap()
        .to_string();
    app.state.clock.advance(chrono::Duration::minutes(61));
    let expired = app
        .post_form(
            &client,
            "reset_password",
            &[
                ("token", &token),
                ("password", "another-fine-pass"),
                ("password_confirm", "another-fine-pass"),
            ],
        )
        .await;
    assert!(expired.text().await.unwrap().contains("expired"));
    app.stop().await;
}

async fn changing_password_signs_out_other_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    verified_developer(&app, "change@example.com").await;
    let (laptop, phone) = (app.client(), app.client());
    log_in(&app, &laptop, "change@example.com", PASSWORD).await;
    log_in(&app, &phone, "change@example.com", PASSWORD).await;
    let wrong = app
        .post_form(
            &laptop,
            "change_password",
            &[
                ("current_password", "nope-nope-nope"),
                ("password", "fresh-password-123"),
                ("password_confirm", "fresh-password-123"),
            ],
        )
        .await;
    assert!(wrong
        .text()
        .await
        .unwrap()
        .contains("current password is not right"));
    let res = app
        .post_form(
            &laptop,
            "change_password",
            &[
                ("current_password", PASSWORD),
                ("password", "fresh-password-123"),
                ("password_confirm", "fresh-password-123"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/account?changed=1");
    assert_eq!(
        laptop
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "this device stays signed in"
    );
    assert_eq!(
        phone
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        302,
        "other devices are signed out"
    );
    app.smtp
        .wait_for("change@example.com", "password was changed")
        .await;
    app.stop().await;
}

async fn roles_are_enforced_on_pages_and_server_functions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    verified_developer(&app, "dev@example.com").await;
    let anonymous = app
        .client()
        .get(app.url("/admin/audit"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 302);
    assert_eq!(location(&anonymous), "/login?next=/admin/audit");

    let developer = app.client();
    log_in(&app, &developer, "dev@example.com", PASSWORD).await;
    let page = developer.get(app.url("/admin/audit")).send().await.unwrap();
    assert_eq!(page.status(), 403);
    assert!(page.text().await.unwrap().contains("do not have access"));
    let data = app.post_form(&developer, "admin/audit", &[]).await;
    assert!(!data.status().is_success());
    assert!(data.text().await.unwrap().contains("Forbidden"));

    server::accounts::create_verified_account(
        &app.state.db,
        server::accounts::NewStaffAccount {
            email: "boss@example.com".into(),
            name: "Ada Admin".into(),
            organization: "Program".into(),
            role: server::ids::Role::Admin,
        },
        PASSWORD,
        app.state.clock.now(),
    )
    .await
    .unwrap();
    let admin = portal_tests::access::sign_in(&app, "boss@example.com").await;
    let page = admin
        .get(app.url("/admin/audit?action=account.sign"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("account.sign_up") && !html.contains("account.email_verified"),
        "filtered by action prefix"
    );
    app.stop().await;
}

async fn staff_accounts_choose_their_password_through_a_one_time_link(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, link) = server::accounts::create_account(
        &app.state.db,
        &Default::default(),
        server::accounts::NewStaffAccount {
            email: "rev@example.com".into(),
            name: "Rae Viewer".into(),
            organization: "Program".into(),
            role: server::ids::Role::Reviewer,
        },
        &app.state.notifier(),
        app.state.clock.now(),
    )
    .await
    .unwrap();
    let emailed = app
        .smtp
        .wait_for("rev@example.com", "account is ready")
        .await;
    assert_eq!(
        emailed.link_containing("/reset-password").as_deref(),
        Some(link.as_str())
    );
    let token = link.split("token=").nth(1).unwrap();
    let client = app.client();
    let res = app
        .post_form(
            &client,
            "reset_password",
            &[
                ("token", token),
                ("password", "reviewer-pass-123"),
                ("password_confirm", "reviewer-pass-123"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/login?reset=1");
    // Then, as every reviewer's first sign-in, an authenticator is set up.
    assert_eq!(
        location(&log_in(&app, &client, "rev@example.com", "reviewer-pass-123").await),
        "/login/set-up?next=%2Faccount"
    );
    portal_tests::access::set_up_authenticator(&app, &client, "rev@example.com").await;
    assert_eq!(
        client
            .get(app.url("/review"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    app.stop().await;
}

async fn foreign_origin_posts_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client();
    let forged = client
        .post(app.url("/api/sign_up"))
        .header("origin", "http://evil.example")
        .form(&[("name", "x"), ("email", "x@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let no_origin = client.post(app.url("/api/log_out")).send().await.unwrap();
    assert_eq!(no_origin.status(), 403);
    assert_eq!(
        account::Entity::find().count(&app.state.db).await.unwrap(),
        0
    );
    app.stop().await;
}

async fn oversized_bodies_get_413(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let huge = "x".repeat(2 * 1024 * 1024);
    let res = app
        .post_form(
            &app.client(),
            "log_in",
            &[("email", &huge), ("password", "p")],
        )
        .await;
    assert_eq!(res.status(), 413);
    app.stop().await;
}

async fn audit_rows_carry_request_facts_and_cannot_be_changed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let res = sign_up(&app, "audit@example.com").await;
    let request_id = res
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let row = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("account.sign_up"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.request_id.as_deref(), Some(request_id.as_str()));
    assert_eq!(row.ip.as_deref(), Some("127.0.0.1"));
    assert!(row.after.unwrap().contains("audit@example.com"));
    assert!(app
        .state
        .db
        .execute_unprepared("UPDATE audit_events SET action = 'x'")
        .await
        .is_err());
    assert!(app
        .state
        .db
        .execute_unprepared("DELETE FROM audit_events")
        .await
        .is_err());
    if app.state.db.get_database_backend() == server::sea_orm::DbBackend::Postgres {
        let logged = app
            .state
            .db
            .query_one_raw(server::sea_orm::Statement::from_string(
                server::sea_orm::DbBackend::Postgres,
                "SELECT count(*) AS n, bool_or(new_row ? 'password_hash') AS leaked FROM row_changes WHERE table_name = 'accounts'",
            ))
            .await
            .unwrap()
            .unwrap();
        assert!(
            logged.try_get::<i64>("", "n").unwrap() >= 1,
            "the database logged the account insert"
        );
        assert!(
            !logged.try_get::<bool>("", "leaked").unwrap(),
            "password hashes never enter the row log"
        );
    }
    app.stop().await;
}

async fn health_and_readiness(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client();
    assert_eq!(
        client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let ready = client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(
        ready.json::<serde_json::Value>().await.unwrap()["status"],
        "ready"
    );
    app.stop().await;
}

async fn unknown_addresses_answer_404_in_the_right_shape(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client();
    let page = client.get(app.url("/no-such-page")).send().await.unwrap();
    assert_eq!(page.status(), 404);
    assert!(page.text().await.unwrap().contains("Page not found"));
    let fhir = client
        .get(app.url("/v2/fhir/Nothing/"))
        .send()
        .await
        .unwrap();
    assert_eq!(fhir.status(), 404);
    let outcome: serde_json::Value = fhir.json().await.unwrap();
    assert_eq!(outcome["resourceType"], "OperationOutcome");
    let api = client.get(app.url("/v1/o/nothing")).send().await.unwrap();
    assert_eq!(api.status(), 404);
    assert_eq!(
        api.json::<serde_json::Value>().await.unwrap()["error"],
        "not_found"
    );
    app.stop().await;
}

db_tests!(
    unknown_addresses_answer_404_in_the_right_shape,
    sign_up_verify_sign_in_and_out,
    bad_sign_up_input_is_explained_and_nothing_is_saved,
    five_failed_sign_ins_lock_the_account_for_fifteen_minutes,
    password_reset_link_works_once_and_expires,
    changing_password_signs_out_other_sessions,
    roles_are_enforced_on_pages_and_server_functions,
    staff_accounts_choose_their_password_through_a_one_time_link,
    foreign_origin_posts_are_refused,
    oversized_bodies_get_413,
    audit_rows_carry_request_facts_and_cannot_be_changed,
    health_and_readiness,
);

/// The Terms page (compiled into the browser bundle, which cannot link the
/// server) names the version that sign-up records.
#[test]
fn terms_page_shows_the_version_accounts_accept() {
    assert_eq!(
        app::pages::server_free::TERMS_VERSION,
        server::accounts::CURRENT_TERMS_VERSION
    );
}

//! Attacks an anonymous visitor could make, each shown to fail (issue 18).
//! Everything runs against the real server on SQLite and PostgreSQL.
use portal_tests::{db_tests, location, Backend, TestApp, TestOptions};
use server::{
    entities::{account, application, audit_event, outbox_message, session},
    ids::Role,
    sea_orm::{
        ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
        Set,
    },
};

use portal_tests::access::PASSWORD;

db_tests!(
    sign_in_never_redirects_off_the_site,
    parallel_wrong_passwords_lock_the_account_and_the_right_one_is_refused,
    sandbox_apps_link_only_to_https_addresses,
    using_a_reset_link_ends_every_other_reset_link,
    the_test_client_adds_its_callback_to_sandbox_apps_only,
    answers_do_not_tell_which_emails_have_accounts,
    production_refuses_the_implicit_grant,
    delivered_emails_keep_no_usable_one_time_link,
);

async fn verified_developer(app: &TestApp, email: &str) {
    portal_tests::access::verified_account(app, email, Role::Developer).await;
}

/// Targets that would leave the site if followed, in the shapes attackers use:
/// the tab that browsers strip (the reported bug), protocol-relative and
/// backslash forms, schemes, and percent-encoded versions of each.
const OFF_SITE: &[&str] = &[
    "/\t/evil.example",
    "/%09/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%5Cevil.example",
    "/%2F/evil.example",
    "/%252F%252Fevil.example",
    " //evil.example",
    "https://evil.example/",
    "https:evil.example",
    "javascript:alert(document.cookie)",
    "evil.example",
];

async fn sign_in_never_redirects_off_the_site(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    verified_developer(&app, "next@example.com").await;
    app.enrollees(0..1).await;
    for next in OFF_SITE {
        let res = app
            .post_form(
                &app.client(),
                "log_in",
                &[
                    ("email", "next@example.com"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(
            location(&res),
            "/account",
            "developer sign-in with next={next:?}"
        );
        let res = app
            .post_form(
                &app.client(),
                "mymedicare/log_in",
                &[
                    ("username", "BBUser00000"),
                    ("password", "PW00000!"),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(
            location(&res),
            "/mymedicare/connected-apps",
            "enrollee sign-in with next={next:?}"
        );
    }
    // A path on the site, with its query, is still followed.
    let res = app
        .post_form(
            &app.client(),
            "log_in",
            &[
                ("email", "next@example.com"),
                ("password", PASSWORD),
                ("next", "/apps?created=1"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/apps?created=1");
    let authorize = "/v2/o/authorize/?client_id=x&scope=patient%2FPatient.read%20profile&state=a";
    let res = app
        .post_form(
            &app.client(),
            "mymedicare/log_in",
            &[
                ("username", "BBUser00000"),
                ("password", "PW00000!"),
                ("next", authorize),
            ],
        )
        .await;
    assert_eq!(
        location(&res),
        authorize,
        "the authorize request resumes after sign-in"
    );
    app.stop().await;
}

/// One sign-in attempt posted as the sign-in page does, from its own client.
async fn attempt(base: String, email: &'static str, password: &'static str) -> (String, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = client
        .post(format!("{base}/api/log_in"))
        .header("origin", &base)
        .header("accept", "application/json")
        .form(&[("email", email), ("password", password), ("next", "")])
        .send()
        .await
        .unwrap();
    let cookie = res
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (cookie, res.text().await.unwrap())
}

async fn parallel_wrong_passwords_lock_the_account_and_the_right_one_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "burst@example.com";
    verified_developer(&app, email).await;
    let guesses: Vec<_> = (0..20)
        .map(|_| tokio::spawn(attempt(app.base.clone(), email, "wrong password!!")))
        .collect();
    for guess in guesses {
        let (cookie, body) = guess.await.unwrap();
        assert!(cookie.is_empty(), "a wrong password never signs in");
        assert!(body.contains("do not match"), "{body}");
    }
    let (cookie, body) = attempt(app.base.clone(), email, PASSWORD).await;
    assert!(
        cookie.is_empty(),
        "the right password is refused while locked: {body}"
    );
    // The answer of any wrong guess: a stranger cannot tell it is paused.
    assert!(body.contains("do not match"), "{body}");

    let row = account::Entity::find()
        .filter(account::Column::Email.eq(email))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        row.locked_until
            .is_some_and(|until| until > app.state.clock.now()),
        "the account is locked"
    );
    assert_eq!(
        session::Entity::find()
            .filter(session::Column::AccountId.eq(row.id))
            .count(&app.state.db)
            .await
            .unwrap(),
        0,
        "no session was started"
    );
    assert_eq!(
        audit_event::Entity::find()
            .filter(audit_event::Column::Action.eq("account.locked"))
            .count(&app.state.db)
            .await
            .unwrap(),
        1,
        "one lock, one notice: later guesses neither extend nor repeat it"
    );
    app.smtp.wait_for(email, "paused").await;
    app.stop().await;
}

/// The nonce on the page's inline scripts, as a browser would check it.
fn script_nonces(html: &str) -> Vec<String> {
    html.match_indices("<script")
        .filter_map(|(at, _)| {
            let tag = &html[at..at + html[at..].find('>')?];
            let from = tag.find("nonce=\"")? + "nonce=\"".len();
            Some(tag[from..from + tag[from..].find('"')?].to_string())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_response_carries_the_security_headers() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let anonymous = app.client();
    let mut nonces = Vec::new();
    for (what, path) in [
        ("a page", "/login"),
        ("the enrollee sign-in page", "/mymedicare/login"),
        ("a page that is not there", "/no/such/page"),
        ("an API answer", "/v2/fhir/metadata"),
        ("an API error", "/v2/fhir/Patient/"),
        ("a JSON endpoint", "/healthz"),
        ("an unknown API path", "/v2/nothing"),
        ("a stylesheet", "/pkg/app.css"),
    ] {
        let res = anonymous.get(app.url(path)).send().await.unwrap();
        let headers = res.headers().clone();
        let header = |name: &str| {
            headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_else(|| panic!("{what} ({path}) has no {name}"))
        };
        assert_eq!(header("x-frame-options"), "DENY", "{what}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
        assert_eq!(header("referrer-policy"), "same-origin", "{what}");
        let policy = header("content-security-policy");
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{what}: {policy}"
        );
        assert!(!policy.contains("unsafe-inline"), "{what}: {policy}");
        assert!(
            !headers.contains_key("strict-transport-security"),
            "{what}: no HSTS over plain http"
        );
        let content_type = header("content-type");
        if content_type.starts_with("text/css") {
            assert!(
                !headers.contains_key("cache-control"),
                "static assets may be cached"
            );
            continue;
        }
        assert_eq!(header("cache-control"), "no-store", "{what}");
        if content_type.starts_with("text/html") {
            let html = res.text().await.unwrap();
            let on_page = script_nonces(&html);
            assert!(
                !on_page.is_empty(),
                "{what}: the hydration scripts carry a nonce"
            );
            for nonce in &on_page {
                assert!(
                    policy.contains(&format!("'nonce-{nonce}'")),
                    "{what}: the policy allows exactly this response's scripts: {policy}"
                );
            }
            nonces.extend(on_page);
        } else {
            assert!(policy.starts_with("default-src 'none'"), "{what}: {policy}");
        }
    }
    nonces.sort();
    nonces.dedup();
    assert!(
        nonces.len() >= 3,
        "every page gets a fresh nonce: {nonces:?}"
    );
    // A state-changing post refused for its origin still carries them.
    let refused = anonymous
        .post(app.url("/api/log_out"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(refused.headers()["x-frame-options"], "DENY");
    app.stop().await;

    // Served over https (as PUBLIC_URL says), browsers are told to stay there.
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        TestOptions {
            settings: vec![("PUBLIC_URL", "https://portal.example".to_string())],
            ..TestOptions::default()
        },
    )
    .await;
    let res = app.client().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(
        res.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    app.stop().await;
}

/// The consent page links to an app's privacy policy and terms: a
/// `javascript:` address there would run in the enrollee's session.
async fn sandbox_apps_link_only_to_https_addresses(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dev = portal_tests::access::account(&app, "links@example.com", Role::Developer).await;
    for (field, address) in [
        ("privacy_policy_url", "javascript:alert(document.cookie)"),
        ("terms_url", "data:text/html,<script>alert(1)</script>"),
        ("website_url", "http://app.example.com"),
        (
            "privacy_policy_url",
            "https://medicare.gov@evil.example/privacy",
        ),
    ] {
        let mut form = vec![
            ("name", "Link Check"),
            ("description", "Shows your Medicare claims."),
            ("website_url", "https://app.example.com"),
            ("privacy_policy_url", "https://app.example.com/privacy"),
            ("terms_url", "https://app.example.com/terms"),
            ("support_email", "help@app.example.com"),
            ("support_phone", "+1 410-555-0100"),
            ("client_type", "confidential"),
            ("grant_type", "authorization-code"),
            ("redirect_uris", "https://app.example.com/callback"),
            ("requires_demographics", "yes"),
            ("accept_terms", "yes"),
        ];
        form.retain(|(name, _)| *name != field);
        form.push((field, address));
        let res = app.post_form(&dev, "apps/register", &form).await;
        let body = res.text().await.unwrap();
        assert!(
            body.contains(field) && body.contains("Use an https:// address"),
            "{field}={address} is refused next to its field: {body}"
        );
    }
    assert_eq!(
        application::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        0,
        "no app was registered"
    );
    app.stop().await;
}

async fn using_a_reset_link_ends_every_other_reset_link(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "two-resets@example.com";
    verified_developer(&app, email).await;
    let client = app.client();
    for _ in 0..2 {
        let res = app
            .post_form(&client, "request_password_reset", &[("email", email)])
            .await;
        assert_eq!(location(&res), "/forgot-password?sent=1");
    }
    let tokens = loop {
        let tokens: Vec<String> = app
            .smtp
            .messages()
            .await
            .iter()
            .filter(|m| m.subject().contains("Reset your"))
            .filter_map(|m| m.link_containing("token="))
            .map(|link| link.split("token=").nth(1).unwrap().to_string())
            .collect();
        if tokens.len() == 2 {
            break tokens;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let reset = |token: String, password: &'static str| {
        let (app, client) = (&app, &client);
        async move {
            app.post_form(
                client,
                "reset_password",
                &[
                    ("token", &token),
                    ("password", password),
                    ("password_confirm", password),
                ],
            )
            .await
        }
    };
    let res = reset(tokens[1].clone(), "marigold-lantern-77").await;
    assert_eq!(location(&res), "/login?reset=1");
    let older = reset(tokens[0].clone(), "attacker-chosen-pass-1").await;
    assert!(
        older.text().await.unwrap().contains("already used"),
        "the earlier link no longer sets a password"
    );
    let res = app
        .post_form(
            &client,
            "log_in",
            &[
                ("email", email),
                ("password", "marigold-lantern-77"),
                ("next", ""),
            ],
        )
        .await;
    assert_eq!(location(&res), "/account", "the password chosen stands");
    app.stop().await;
}

async fn the_test_client_adds_its_callback_to_sandbox_apps_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let reviewer = portal_tests::access::account(&app, "rae@cms.example.gov", Role::Reviewer).await;
    let live = portal_tests::access::live_production_app(&app, &reviewer).await;
    let production = portal_tests::access::production_app(&app, &live.client_id).await;
    assert_eq!(production.environment, "production");
    let res = app
        .post_form(
            &live.developer,
            "test_client/add_callback",
            &[("app", &production.id.to_string())],
        )
        .await;
    let body = res.text().await.unwrap();
    assert!(body.contains("sandbox apps only"), "{body}");
    let after = application::Entity::find_by_id(production.id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.redirect_uris, production.redirect_uris, "unchanged");
    app.stop().await;
}

/// Sign-up, password reset and a paused sign-in answer a stranger the same
/// way whether or not the email has an account.
async fn answers_do_not_tell_which_emails_have_accounts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let known = "known@example.com";
    verified_developer(&app, known).await;
    let client = app.client();
    let mut sign_ups = Vec::new();
    for email in [known, "new-person@example.com"] {
        let res = app
            .post_form(
                &client,
                "sign_up",
                &[
                    ("name", "Sam Stranger"),
                    ("email", email),
                    ("organization", "Anywhere"),
                    ("password", "quiet-harbor-lamp-9"),
                    ("password_confirm", "quiet-harbor-lamp-9"),
                    ("accept_terms", "yes"),
                ],
            )
            .await;
        sign_ups.push((res.status().as_u16(), location(&res)));
    }
    assert_eq!(
        sign_ups[0], sign_ups[1],
        "sign-up: taken and free emails alike"
    );
    app.smtp.wait_for(known, "Someone tried to create").await;

    let mut resets = Vec::new();
    for email in [known, "nobody-here@example.com"] {
        let res = app
            .post_form(&client, "request_password_reset", &[("email", email)])
            .await;
        resets.push((res.status().as_u16(), location(&res)));
    }
    assert_eq!(
        resets[0], resets[1],
        "reset: known and unknown emails alike"
    );

    // Six wrong guesses pause the known account; the sixth answer is still
    // the one an address without an account gets.
    let mut last = Vec::new();
    for email in [known, "no-account@example.com"] {
        let mut body = String::new();
        for _ in 0..6 {
            let res = app
                .post_form(
                    &client,
                    "log_in",
                    &[
                        ("email", email),
                        ("password", "not-the-password"),
                        ("next", ""),
                    ],
                )
                .await;
            body = res.text().await.unwrap().replace(email, "EMAIL");
        }
        last.push(body);
    }
    assert_eq!(
        last[0], last[1],
        "a paused account answers like a missing one"
    );
    app.stop().await;
}

/// Production data goes only through the code flow: the handoff gives every
/// production app the code grant, and a token request in the URL (the
/// implicit grant) is refused in production even for an app whose stored row
/// still says implicit.
async fn production_refuses_the_implicit_grant(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let reviewer = portal_tests::access::account(&app, "rae@cms.example.gov", Role::Reviewer).await;
    let live = portal_tests::access::live_production_app(&app, &reviewer).await;
    let production = portal_tests::access::production_app(&app, &live.client_id).await;
    assert_eq!(production.grant_type, "authorization-code");
    let redirect_uri = production.redirect_uris.lines().next().unwrap().to_string();
    let mut row = production.into_active_model();
    row.client_type = Set("public".into());
    row.grant_type = Set("implicit".into());
    row.update(&app.state.db).await.unwrap();

    let mut url = url::Url::parse(&app.url("/production/v2/o/authorize/")).unwrap();
    url.query_pairs_mut().extend_pairs([
        ("response_type", "token"),
        ("client_id", live.client_id.as_str()),
        ("redirect_uri", redirect_uri.as_str()),
        ("state", "s1"),
    ]);
    let res = app.client().get(url.as_str()).send().await.unwrap();
    let target = location(&res);
    assert!(
        target.starts_with(&redirect_uri) && target.contains("error=unauthorized_client"),
        "refused back to the app: {target}"
    );
    assert!(!target.contains("access_token"), "{target}");
    app.stop().await;
}

/// Once a reset or verification email is delivered, the stored copy in the
/// outbox no longer holds its link: reading the table later gives nobody a
/// way in. The recipient's link still works.
async fn delivered_emails_keep_no_usable_one_time_link(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "outbox@example.com";
    verified_developer(&app, email).await;
    let client = app.client();
    app.post_form(&client, "request_password_reset", &[("email", email)])
        .await;
    let mail = app.smtp.wait_for(email, "Reset your").await;
    let link = mail.link_containing("/reset-password?token=").unwrap();
    let token = link.split("token=").nth(1).unwrap().to_string();
    let stored = loop {
        let row = outbox_message::Entity::find()
            .filter(outbox_message::Column::Subject.contains("Reset your"))
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
        if row.status == "sent" {
            break row;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    for body in [&stored.body_text, &stored.body_html] {
        assert!(
            !body.contains(&token),
            "the stored body keeps no token: {body}"
        );
        assert!(
            body.contains("[one-time link removed after delivery]"),
            "{body}"
        );
    }
    assert!(stored
        .body_text
        .contains("SHA-256 of the text as delivered"));
    assert!(
        stored
            .body_text
            .contains("Someone asked to reset the password"),
        "the rest is kept"
    );
    assert_eq!(stored.one_time_links, None);
    let res = app
        .post_form(
            &client,
            "reset_password",
            &[
                ("token", &token),
                ("password", "marigold-lantern-77"),
                ("password_confirm", "marigold-lantern-77"),
            ],
        )
        .await;
    assert_eq!(
        location(&res),
        "/login?reset=1",
        "the emailed link still works"
    );
    app.stop().await;
}

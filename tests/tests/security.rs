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

use portal_tests::{
    access::PASSWORD,
    oauth::{authorize_url, consent, param, token_for, Answer, AppSpec, PKCE_VERIFIER},
};

db_tests!(
    sign_in_never_redirects_off_the_site,
    parallel_wrong_passwords_lock_the_account_and_the_right_one_is_refused,
    sandbox_apps_link_only_to_https_addresses,
    using_a_reset_link_ends_every_other_reset_link,
    the_test_client_adds_its_callback_to_sandbox_apps_only,
    answers_do_not_tell_which_emails_have_accounts,
    production_refuses_the_implicit_grant,
    delivered_emails_keep_no_usable_one_time_link,
    one_address_trying_many_accounts_is_throttled_and_locks_out_no_one,
    forwarding_headers_count_only_from_a_trusted_proxy,
    client_endpoint_limits_are_keyed_on_what_a_caller_cannot_forge,
    bogus_bearer_tokens_are_refused_cheaply_and_logged,
    racing_a_code_or_refresh_token_ends_its_whole_family,
    losing_the_claim_to_a_concurrent_request_is_a_replay,
    many_addresses_cannot_flood_one_inbox_or_grow_the_outbox,
    guessing_client_credentials_cannot_grow_the_audit_trail,
    behind_a_trusted_proxy_the_csrf_check_uses_the_forwarded_host,
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

/// The portal in these tests sits behind a "proxy" at 127.0.0.1 (the test
/// itself), so each request can say which client address it comes from.
fn behind_proxy(extra: &[(&'static str, String)]) -> TestOptions {
    let mut options = TestOptions::default();
    options
        .settings
        .push(("TRUSTED_PROXIES", "127.0.0.1".into()));
    options.settings.extend(extra.iter().cloned());
    options
}

/// Posts `form` to the server function `name` as its page does, forwarded
/// for the client address `from`.
async fn post_from(
    app: &TestApp,
    from: &str,
    name: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url(&format!("/api/{name}")))
        .header("origin", &app.base)
        .header("accept", "application/json")
        .header("x-forwarded-for", from)
        .form(form)
        .send()
        .await
        .unwrap()
}

fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("429 without Retry-After: {:?}", res.headers()))
}

/// One address trying many accounts (here with the production limit) is
/// slowed down on every account action, sign-in of both kinds, sign-up and
/// reset, while the account owners, at their own addresses, sign in as
/// usual: the limit that stops a stranger cannot lock out anyone else.
async fn one_address_trying_many_accounts_is_throttled_and_locks_out_no_one(backend: Backend) {
    let limit = server::Settings::from_lookup(|_| None)
        .unwrap()
        .account_requests_per_ip_per_minute;
    let app = TestApp::spawn_with(
        backend,
        behind_proxy(&[("RATE_LIMIT_ACCOUNT_PER_IP_PER_MINUTE", limit.to_string())]),
    )
    .await;
    let victim = "often-guessed@example.com";
    verified_developer(&app, victim).await;
    app.enrollees(0..1).await;
    let attacker = "203.0.113.7";
    for n in 0..limit {
        let email = format!("guess-{n}@example.com");
        let res = post_from(
            &app,
            attacker,
            "log_in",
            &[
                ("email", &email),
                ("password", "not-the-password"),
                ("next", ""),
            ],
        )
        .await;
        assert_ne!(res.status(), 429, "attempt {n} is within the limit");
        assert!(res.text().await.unwrap().contains("do not match"));
    }
    let refused = [
        post_from(
            &app,
            attacker,
            "log_in",
            &[("email", victim), ("password", PASSWORD), ("next", "")],
        )
        .await,
        post_from(
            &app,
            attacker,
            "mymedicare/log_in",
            &[
                ("username", "BBUser00000"),
                ("password", "PW00000!"),
                ("next", ""),
            ],
        )
        .await,
        post_from(
            &app,
            attacker,
            "sign_up",
            &[
                ("name", "Mallory"),
                ("email", "m@example.com"),
                ("organization", "M"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
                ("accept_terms", "on"),
            ],
        )
        .await,
        post_from(
            &app,
            attacker,
            "request_password_reset",
            &[("email", victim)],
        )
        .await,
    ];
    for res in refused {
        assert_eq!(res.status(), 429, "{}", res.url());
        let wait = retry_after(&res);
        assert!((1..=60).contains(&wait), "Retry-After {wait}");
        let body = res.text().await.unwrap();
        assert!(
            body.contains("Too many attempts from your network"),
            "{body}"
        );
    }
    assert_eq!(
        app.queued_mail("Reset your").await,
        0,
        "a throttled reset sends nothing"
    );

    // The owner, elsewhere, is not affected, and the audit trail has each
    // party's own address.
    let res = post_from(
        &app,
        "198.51.100.2",
        "log_in",
        &[("email", victim), ("password", PASSWORD), ("next", "")],
    )
    .await;
    assert!(
        res.headers().get("set-cookie").is_some(),
        "the owner signs in: {}",
        res.text().await.unwrap()
    );
    let row = account::Entity::find()
        .filter(account::Column::Email.eq(victim))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.locked_until, None);
    let sign_in = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("account.login"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sign_in.ip.as_deref(), Some("198.51.100.2"));
    app.stop().await;
}

/// Without a trusted proxy, `X-Forwarded-*` is just text a stranger wrote:
/// inventing addresses does not escape the limit, and inventing a host does
/// not put it in the API's links. Behind the configured proxy, its word is
/// used for both.
async fn forwarding_headers_count_only_from_a_trusted_proxy(backend: Backend) {
    let mut options = TestOptions::default();
    options
        .settings
        .push(("RATE_LIMIT_ACCOUNT_PER_IP_PER_MINUTE", "4".into()));
    let app = TestApp::spawn_with(backend.clone(), options).await;
    app.enrollees(0..1).await;
    let web = app.register(AppSpec::confidential("Links App")).await;
    let token = token_for(
        &app,
        "",
        &web.client_id,
        &web.client_secret,
        &web.redirect_uri,
        "BBUser00000",
    )
    .await;
    let links = |app_base: String, token: String, headers: Vec<(&'static str, &'static str)>| async move {
        let mut request = reqwest::Client::new()
            .get(format!("{app_base}/v2/fhir/ExplanationOfBenefit/?_count=1"))
            .bearer_auth(token);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let bundle: serde_json::Value = request.send().await.unwrap().json().await.unwrap();
        bundle["link"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["url"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let forged = links(
        app.base.clone(),
        token.clone(),
        vec![
            ("x-forwarded-host", "evil.example"),
            ("x-forwarded-proto", "https"),
            ("host", "evil.example"),
        ],
    )
    .await;
    assert!(!forged.is_empty());
    assert!(
        forged
            .iter()
            .all(|l| l.starts_with(&format!("{}/v2/fhir/", app.base))),
        "{forged:?}"
    );
    // The enrollee's sign-in above spent one of the 4 account actions.
    let mut statuses = Vec::new();
    for n in 0..4 {
        let forged = format!("192.0.2.{n}");
        let res = post_from(
            &app,
            &forged,
            "request_password_reset",
            &[("email", "x@example.com")],
        )
        .await;
        statuses.push(res.status().as_u16());
    }
    assert_eq!(
        statuses[3], 429,
        "a forged address is ignored: {statuses:?}"
    );
    assert!(statuses[..3].iter().all(|s| *s != 429), "{statuses:?}");
    app.stop().await;

    let app = TestApp::spawn_with(backend, behind_proxy(&[])).await;
    app.enrollees(0..1).await;
    let web = app.register(AppSpec::confidential("Links App")).await;
    let token = token_for(
        &app,
        "",
        &web.client_id,
        &web.client_secret,
        &web.redirect_uri,
        "BBUser00000",
    )
    .await;
    let proxied = links(
        app.base.clone(),
        token,
        vec![
            ("x-forwarded-host", "api.bluebutton.example"),
            ("x-forwarded-proto", "https"),
        ],
    )
    .await;
    assert!(
        proxied
            .iter()
            .all(|l| l.starts_with("https://api.bluebutton.example/v2/fhir/")),
        "{proxied:?}"
    );
    app.stop().await;
}

/// A token-endpoint request forwarded for `from`, with HTTP Basic
/// credentials when given: the status, the JSON body and any Retry-After.
async fn token_post(
    app: &TestApp,
    from: &str,
    basic: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let mut request = reqwest::Client::new()
        .post(app.url("/v2/o/token/"))
        .header("x-forwarded-for", from)
        .form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let res = request.send().await.unwrap();
    let status = res.status().as_u16();
    if status == 429 {
        retry_after(&res);
    }
    (status, res.json().await.unwrap_or_default())
}

/// Knowing an app's client id (it is public: it sits in every authorization
/// URL) must not let a stranger use up that app's token-endpoint limit. The
/// stranger spends the limit of its own address; a confidential client's own
/// limit is spent only by requests that proved its secret, and a public
/// client's, which anyone can name, per address.
async fn client_endpoint_limits_are_keyed_on_what_a_caller_cannot_forge(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        behind_proxy(&[
            ("RATE_LIMIT_TOKEN_PER_MINUTE", "3".into()),
            ("RATE_LIMIT_TOKEN_PER_IP_PER_MINUTE", "8".into()),
        ]),
    )
    .await;
    app.enrollees(0..2).await;
    let web = app.register(AppSpec::confidential("Web App")).await;
    let native = app
        .register(AppSpec::public(
            "Native App",
            "http://localhost:8080/native/callback",
        ))
        .await;
    let attacker = "203.0.113.7";
    for _ in 0..4 {
        let (status, body) = token_post(
            &app,
            attacker,
            Some((&web.client_id, "guessed-secret")),
            &[("grant_type", "refresh_token"), ("refresh_token", "junk")],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client"))
        );
    }
    for n in 0..4 {
        let (status, _) = token_post(
            &app,
            attacker,
            None,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", "junk"),
                ("client_id", &native.client_id),
            ],
        )
        .await;
        assert_eq!(
            status,
            if n < 3 { 400 } else { 429 },
            "junk refresh {n} for the public client"
        );
    }
    let (status, _) = token_post(
        &app,
        attacker,
        Some((&web.client_id, &web.client_secret)),
        &[("grant_type", "refresh_token"), ("refresh_token", "junk")],
    )
    .await;
    assert_eq!(
        status, 429,
        "the attacker's address has spent its own limit"
    );

    // The real confidential app, from its server.
    let callback = consent(
        &app,
        &authorize_url(
            &app,
            "v2",
            &[
                ("client_id", &web.client_id),
                ("redirect_uri", &web.redirect_uri),
                ("response_type", "code"),
            ],
        ),
        "BBUser00000",
        Answer::ALLOW,
    )
    .await;
    let code = param(&callback, "code").unwrap();
    let server_address = "198.51.100.2";
    let (status, body) = token_post(
        &app,
        server_address,
        Some((&web.client_id, &web.client_secret)),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &web.redirect_uri),
            ("code_verifier", PKCE_VERIFIER),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Its own limit is real: the authenticated requests spend it.
    let statuses = {
        let mut statuses = Vec::new();
        for _ in 0..3 {
            let (status, _) = token_post(
                &app,
                server_address,
                Some((&web.client_id, &web.client_secret)),
                &[("grant_type", "refresh_token"), ("refresh_token", "junk")],
            )
            .await;
            statuses.push(status);
        }
        statuses
    };
    assert_eq!(statuses, [400, 400, 429]);

    // The real public app, on a user's device.
    let (challenge, verifier) = oauth2::PkceCodeChallenge::new_random_sha256();
    let callback = consent(
        &app,
        &authorize_url(
            &app,
            "v2",
            &[
                ("client_id", &native.client_id),
                ("redirect_uri", &native.redirect_uri),
                ("response_type", "code"),
                ("code_challenge", challenge.as_str()),
                ("code_challenge_method", "S256"),
            ],
        ),
        "BBUser00001",
        Answer::ALLOW,
    )
    .await;
    let code = param(&callback, "code").unwrap();
    let (status, body) = token_post(
        &app,
        "192.0.2.44",
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &native.redirect_uri),
            ("client_id", &native.client_id),
            ("code_verifier", verifier.secret()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    app.stop().await;
}

/// Made-up bearer tokens: each is refused and written to the access log as
/// refused, until the sending address has spent its budget of refusals; then
/// it gets 429 without a lookup, and nothing more is written. A real app
/// elsewhere reads as usual.
async fn bogus_bearer_tokens_are_refused_cheaply_and_logged(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        behind_proxy(&[("RATE_LIMIT_BAD_TOKEN_PER_IP_PER_MINUTE", "5".into())]),
    )
    .await;
    app.enrollees(0..1).await;
    let web = app.register(AppSpec::confidential("Reader")).await;
    let token = token_for(
        &app,
        "",
        &web.client_id,
        &web.client_secret,
        &web.redirect_uri,
        "BBUser00000",
    )
    .await;
    let read = |from: &'static str, token: String| {
        let url = app.url("/v2/fhir/Patient/");
        async move {
            reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .header("x-forwarded-for", from)
                .send()
                .await
                .unwrap()
        }
    };
    let attacker = "203.0.113.7";
    for bogus in [
        "made-up-1",
        "made-up-1",
        "made-up-1",
        "made-up-2",
        "made-up-3",
    ] {
        let res = read(attacker, bogus.into()).await;
        assert_eq!(res.status(), 401);
        assert!(res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token"));
    }
    let res = read(attacker, "made-up-4".into()).await;
    assert_eq!(res.status(), 429);
    retry_after(&res);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["resourceType"], "OperationOutcome");

    let res = read("198.51.100.2", token).await;
    assert_eq!(res.status(), 200, "another address reads as usual");

    // The log is written in batches behind the responses, in order: once the
    // 200 that came last is there, so is everything before it. The wait is
    // long because the suite's floods can starve the writer for seconds.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let refused = loop {
        let rows = server::entities::api_access::Entity::find()
            .filter(server::entities::api_access::Column::Interaction.eq("refused"))
            .all(&app.state.db)
            .await
            .unwrap();
        let served = server::entities::api_access::Entity::find()
            .filter(server::entities::api_access::Column::Status.eq(200))
            .count(&app.state.db)
            .await
            .unwrap();
        if (served > 0 && rows.len() >= 5) || std::time::Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(
        refused.len(),
        5,
        "one row per refusal within the budget, none for the 429"
    );
    assert!(refused.iter().all(|r| r.status == 401
        && r.token_id.is_none()
        && r.resource == "Patient"
        && r.ip.as_deref() == Some(attacker)));
    app.stop().await;
}

/// A code or refresh token sent several times at once (a stolen copy raced
/// against the real app) is a replay however the race falls: at most one
/// request gets tokens, and once all have answered, those tokens are
/// revoked too. On PostgreSQL the losers wait on the winner's row lock and
/// find the token spent only when they try to claim it.
async fn racing_a_code_or_refresh_token_ends_its_whole_family(backend: Backend) {
    const RACERS: usize = 8;
    let app = TestApp::spawn(backend).await;
    app.enrollees(0..1).await;
    let web = app.register(AppSpec::confidential("Raced App")).await;
    let race = |form: Vec<(&'static str, String)>| {
        let (url, id, secret) = (
            app.url("/v2/o/token/"),
            web.client_id.clone(),
            web.client_secret.clone(),
        );
        async move {
            let client = reqwest::Client::new();
            let racers: Vec<_> = (0..RACERS)
                .map(|_| {
                    let request = client.post(&url).basic_auth(&id, Some(&secret)).form(&form);
                    tokio::spawn(async move {
                        let res = request.send().await.unwrap();
                        (
                            res.status().as_u16(),
                            res.json::<serde_json::Value>().await.unwrap(),
                        )
                    })
                })
                .collect();
            let mut answers = Vec::new();
            for racer in racers {
                answers.push(racer.await.unwrap());
            }
            answers
        }
    };
    let winners = |answers: &[(u16, serde_json::Value)]| {
        assert!(
            answers
                .iter()
                .all(|(status, body)| *status == 200 || body["error"] == "invalid_grant"),
            "{answers:?}"
        );
        let won: Vec<serde_json::Value> = answers
            .iter()
            .filter(|(s, _)| *s == 200)
            .map(|(_, b)| b.clone())
            .collect();
        assert_eq!(won.len(), 1, "one exchange wins: {answers:?}");
        won
    };
    let reads = |token: String| {
        let url = app.url("/v2/fhir/Patient/");
        async move {
            reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };

    let callback = consent(
        &app,
        &authorize_url(
            &app,
            "v2",
            &[
                ("client_id", &web.client_id),
                ("redirect_uri", &web.redirect_uri),
                ("response_type", "code"),
            ],
        ),
        "BBUser00000",
        Answer::ALLOW,
    )
    .await;
    let code = param(&callback, "code").unwrap();
    let answers = race(vec![
        ("grant_type", "authorization_code".into()),
        ("code", code),
        ("redirect_uri", web.redirect_uri.clone()),
        ("code_verifier", PKCE_VERIFIER.into()),
    ])
    .await;
    for won in winners(&answers) {
        assert_eq!(
            reads(won["access_token"].as_str().unwrap().into()).await,
            401,
            "the winner's token is revoked"
        );
    }

    // The same for a refresh token.
    let callback = consent(
        &app,
        &authorize_url(
            &app,
            "v2",
            &[
                ("client_id", &web.client_id),
                ("redirect_uri", &web.redirect_uri),
                ("response_type", "code"),
            ],
        ),
        "BBUser00000",
        Answer::ALLOW,
    )
    .await;
    let (status, pair) = portal_tests::oauth::client_post(
        &app,
        "/v2/o/token/",
        &web.client_id,
        &web.client_secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", &param(&callback, "code").unwrap()),
            ("redirect_uri", &web.redirect_uri),
            ("code_verifier", PKCE_VERIFIER),
        ],
    )
    .await;
    assert_eq!(status, 200, "{pair}");
    let answers = race(vec![
        ("grant_type", "refresh_token".into()),
        (
            "refresh_token",
            pair["refresh_token"].as_str().unwrap().into(),
        ),
    ])
    .await;
    let won = winners(&answers);
    assert!(
        answers.iter().any(|(s, _)| *s == 400),
        "the others are refused: {answers:?}"
    );
    assert_eq!(
        reads(pair["access_token"].as_str().unwrap().into()).await,
        401
    );
    for won in won {
        assert_eq!(
            reads(won["access_token"].as_str().unwrap().into()).await,
            401,
            "the winner's new token is revoked"
        );
        let (status, body) = portal_tests::oauth::client_post(
            &app,
            "/v2/o/token/",
            &web.client_id,
            &web.client_secret,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", won["refresh_token"].as_str().unwrap()),
            ],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant"))
        );
    }
    app.stop().await;
}

/// The race made certain: another transaction (standing in for a concurrent
/// request) has spent the code or refresh token but not yet committed when
/// ours reads it. Ours then loses the claim, and must treat that as the
/// replay it is: revoke the family, audit it, say so. (On SQLite, writes
/// queue, so ours reads after the commit and the same answer comes from
/// the first check.)
async fn losing_the_claim_to_a_concurrent_request_is_a_replay(backend: Backend) {
    use server::entities::{authorization_code, refresh_token};
    use server::sea_orm::{sea_query::Expr, TransactionTrait};
    let app = TestApp::spawn(backend).await;
    app.enrollees(0..1).await;
    let web = app.register(AppSpec::confidential("Raced App")).await;
    let new_code = || async {
        let url = authorize_url(
            &app,
            "v2",
            &[
                ("client_id", &web.client_id),
                ("redirect_uri", &web.redirect_uri),
                ("response_type", "code"),
            ],
        );
        param(
            &consent(&app, &url, "BBUser00000", Answer::ALLOW).await,
            "code",
        )
        .unwrap()
    };
    let code_form = |code: &str| {
        vec![
            ("grant_type", "authorization_code".to_string()),
            ("code", code.to_string()),
            ("redirect_uri", web.redirect_uri.clone()),
            ("code_verifier", PKCE_VERIFIER.to_string()),
        ]
    };
    let post = |form: Vec<(&'static str, String)>| {
        let (url, id, secret) = (
            app.url("/v2/o/token/"),
            web.client_id.clone(),
            web.client_secret.clone(),
        );
        async move {
            let res = reqwest::Client::new()
                .post(url)
                .basic_auth(id, Some(secret))
                .form(&form)
                .send()
                .await
                .unwrap();
            (
                res.status().as_u16(),
                res.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    let now = app.state.clock.now();

    // The refresh token first: a new consent would end its family anyway.
    let (status, pair) = post(code_form(&new_code().await)).await;
    assert_eq!(status, 200, "{pair}");
    let refresh = pair["refresh_token"].as_str().unwrap().to_string();
    let other = app.state.db.begin().await.unwrap();
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(
            refresh_token::Column::TokenHash.eq(server::secrets::Secret::from_presented(&refresh)
                .digest()
                .as_str()),
        )
        .exec(&other)
        .await
        .unwrap();
    let ours = tokio::spawn(post(vec![
        ("grant_type", "refresh_token".into()),
        ("refresh_token", refresh.clone()),
    ]));
    // Long enough for ours to read the row and wait on the other's claim.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    other.commit().await.unwrap();
    let (status, body) = ours.await.unwrap();
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("already used; every token"),
        "{body}"
    );

    let code = new_code().await;
    let other = app.state.db.begin().await.unwrap();
    authorization_code::Entity::update_many()
        .col_expr(authorization_code::Column::UsedAt, Expr::value(now))
        .filter(
            authorization_code::Column::CodeHash.eq(server::secrets::Secret::from_presented(&code)
                .digest()
                .as_str()),
        )
        .exec(&other)
        .await
        .unwrap();
    let ours = tokio::spawn(post(code_form(&code)));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    other.commit().await.unwrap();
    let (status, body) = ours.await.unwrap();
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("already used; every token"),
        "{body}"
    );

    for action in ["oauth.code_replayed", "oauth.refresh_reused"] {
        let count = audit_event::Entity::find()
            .filter(audit_event::Column::Action.eq(action))
            .count(&app.state.db)
            .await
            .unwrap();
        assert_eq!(count, 1, "{action} is audited");
    }
    app.stop().await;
}

/// Resets and sign-ups with a taken email, sent from a new address each time
/// (so no per-address limit applies), make us email that account's owner at
/// most `UNREQUESTED_MAIL_PER_HOUR` times an hour. Every attempt is answered
/// as usual, so the cap tells no one which emails have accounts, and the
/// outbox, the reset links and the audit trail stop growing with it.
async fn many_addresses_cannot_flood_one_inbox_or_grow_the_outbox(backend: Backend) {
    let app = TestApp::spawn_with(backend, behind_proxy(&[])).await;
    let victim = "victim@example.com";
    verified_developer(&app, victim).await;
    let cap = server::accounts::UNREQUESTED_MAIL_PER_HOUR as usize;
    let queued_for_victim = || async {
        outbox_message::Entity::find()
            .filter(outbox_message::Column::Recipients.contains(victim))
            .count(&app.state.db)
            .await
            .unwrap() as usize
    };
    let audited = || async {
        audit_event::Entity::find()
            .filter(audit_event::Column::Action.is_in([
                "account.password_reset_requested",
                "account.sign_up_existing_email",
            ]))
            .count(&app.state.db)
            .await
            .unwrap() as usize
    };

    for n in 0..3 * cap {
        let from = format!("198.51.100.{}", n + 1);
        let res = if n % 3 == 2 {
            post_from(
                &app,
                &from,
                "sign_up",
                &[
                    ("name", "Mallory"),
                    ("email", victim),
                    ("organization", "M"),
                    ("password", "quiet-harbor-lamp-9"),
                    ("password_confirm", "quiet-harbor-lamp-9"),
                    ("accept_terms", "yes"),
                ],
            )
            .await
        } else {
            post_from(&app, &from, "request_password_reset", &[("email", victim)]).await
        };
        // Answered as if sent, every time.
        let expected = if n % 3 == 2 {
            "/signup/check-email"
        } else {
            "/forgot-password?sent=1"
        };
        assert!(
            location(&res).starts_with(expected),
            "attempt {n}: {}",
            location(&res)
        );
    }
    assert_eq!(
        queued_for_victim().await,
        cap,
        "only the hour's allowance is queued"
    );
    assert_eq!(audited().await, cap, "and only what was sent is audited");
    for _ in 0..100 {
        if app
            .smtp
            .messages()
            .await
            .iter()
            .filter(|m| m.to.iter().any(|t| t == victim))
            .count()
            >= cap
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let delivered = app
        .smtp
        .messages()
        .await
        .iter()
        .filter(|m| m.to.iter().any(|t| t == victim))
        .count();
    assert_eq!(
        delivered, cap,
        "the owner's inbox got the allowance, no more"
    );

    // The owner can still get a reset an hour later.
    app.state.clock.advance(chrono::Duration::minutes(61));
    post_from(
        &app,
        "203.0.113.9",
        "request_password_reset",
        &[("email", victim)],
    )
    .await;
    assert_eq!(queued_for_victim().await, cap + 1);
    app.stop().await;
}

/// Failed client authentication from many addresses: guesses at an app's
/// secret are audited up to the per-app allowance a minute (enough for its
/// owner to see the attack) and client ids that name no app never are, so
/// the audit trail cannot be grown without bound. Every guess is still
/// refused as invalid_client.
async fn guessing_client_credentials_cannot_grow_the_audit_trail(backend: Backend) {
    let app = TestApp::spawn_with(backend, behind_proxy(&[])).await;
    let web = app.register(AppSpec::confidential("Web App")).await;
    let failures = || async {
        audit_event::Entity::find()
            .filter(audit_event::Column::Action.eq("oauth.client_auth_failed"))
            .all(&app.state.db)
            .await
            .unwrap()
    };
    let allowance = server::AUDITED_CLIENT_FAILURES_PER_MINUTE as usize;
    for n in 0..3 * allowance {
        let from = format!("198.51.100.{}", n + 1);
        let made_up = format!("no-such-client-{n}");
        for (id, secret) in [(web.client_id.as_str(), "guessed"), (made_up.as_str(), "x")] {
            let (status, body) = token_post(
                &app,
                &from,
                Some((id, secret)),
                &[("grant_type", "refresh_token"), ("refresh_token", "junk")],
            )
            .await;
            assert_eq!(
                (status, body["error"].as_str()),
                (401, Some("invalid_client"))
            );
        }
    }
    let audited = failures().await;
    assert_eq!(audited.len(), allowance, "the allowance, then logs only");
    let web_id = server::oauth::clients::find(
        &app.state.db,
        server::apps::Environment::Sandbox,
        &web.client_id,
    )
    .await
    .unwrap()
    .unwrap()
    .id
    .to_string();
    assert!(
        audited
            .iter()
            .all(|row| row.target_id.as_deref() == Some(web_id.as_str())),
        "only the real app's failures are audited"
    );
    app.stop().await;
}

/// Behind a trusted proxy the browser's `Origin` is the public host, not the
/// `Host` the proxy sends on: the CSRF check compares it with the host the
/// proxy forwarded, and still refuses a foreign origin. Without trust the
/// forwarded host counts for nothing.
async fn behind_a_trusted_proxy_the_csrf_check_uses_the_forwarded_host(backend: Backend) {
    let reset = |app_base: String, origin: &'static str| async move {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .post(format!("{app_base}/api/request_password_reset"))
            .header("origin", origin)
            .header("accept", "application/json")
            .header("x-forwarded-proto", "https")
            .header("x-forwarded-host", "portal.example.gov")
            .form(&[("email", "someone@example.com")])
            .send()
            .await
            .unwrap()
    };
    let proxied = TestApp::spawn_with(backend.clone(), behind_proxy(&[])).await;
    let res = reset(proxied.base.clone(), "https://portal.example.gov").await;
    assert_eq!(
        location(&res),
        "/forgot-password?sent=1",
        "the public origin is ours"
    );
    let res = reset(proxied.base.clone(), "https://evil.example").await;
    assert_eq!(
        res.status(),
        403,
        "a foreign origin is refused behind the proxy too"
    );
    proxied.stop().await;

    let direct = TestApp::spawn(backend).await;
    let res = reset(direct.base.clone(), "https://portal.example.gov").await;
    assert_eq!(res.status(), 403, "an untrusted peer cannot claim the host");
    direct.stop().await;
}

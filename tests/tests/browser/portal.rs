//! The portal in headless Chromium, as a person uses it: with JavaScript
//! (hydrated, enhanced forms) and without it (plain form posts). Every page
//! visited is checked with axe-core.
use portal_tests::{browser::Browser, Backend, TestApp};
use serde_json::json;

const PASSWORD: &str = "tangerine-kettle-42";

async fn sign_up_in_browser(browser: &Browser, app: &TestApp, email: &str) {
    browser.visit(&app.url("/signup")).await;
    browser.fill("name", "Jane Browser").await;
    browser.fill("email", email).await;
    browser.fill("organization", "Acme Health").await;
    browser.fill("password", PASSWORD).await;
    browser.fill("password_confirm", PASSWORD).await;
    browser.click("#field-accept_terms").await;
    browser.click("form button[type=submit]").await;
    browser.wait_for_path("/signup/check-email").await;
    browser.check_accessibility().await;
}

async fn confirm_email_from_inbox(browser: &Browser, app: &TestApp, email: &str) {
    let mail = app.smtp.wait_for(email, "Confirm your email").await;
    browser
        .visit(&mail.link_containing("/verify-email?token=").unwrap())
        .await;
    browser.click("main form button[type=submit]").await;
    browser.wait_for_path("/login?verified=1").await;
    browser
        .wait_for_text("main", "Your email address is confirmed")
        .await;
}

async fn sign_in(browser: &Browser, email: &str, password: &str) {
    browser.fill("email", email).await;
    browser.fill("password", password).await;
    browser.click("main form button[type=submit]").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn developer_account_journey_with_javascript() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let browser = Browser::start(true).await;

    browser.visit(&app.url("/")).await;
    browser.wait_for_hydration().await;
    browser.visit(&app.url("/api-docs")).await;
    browser.visit(&app.url("/guide")).await;
    browser.visit(&app.url("/terms")).await;

    // Errors come back beside the fields without leaving the page, and what
    // was typed stays (passwords included only in the browser, never the URL).
    browser.visit(&app.url("/signup")).await;
    browser.wait_for_hydration().await;
    browser.fill("name", "Jane Browser").await;
    browser.fill("email", "not an email").await;
    browser.fill("password", "short").await;
    browser.click("form button[type=submit]").await;
    browser
        .wait_for_text("#field-email-error", "valid email address")
        .await;
    assert!(browser
        .text("#field-password-error")
        .await
        .contains("12 characters"));
    assert!(browser
        .text("[role=alert]")
        .await
        .contains("correct the fields"));
    assert_eq!(browser.value_of("name").await, "Jane Browser");
    assert_eq!(browser.value_of("email").await, "not an email");
    let url = browser.client.current_url().await.unwrap();
    assert!(
        url.query().is_none(),
        "the enhanced form did not navigate: {url}"
    );
    let invalid = browser
        .find("#field-email")
        .await
        .attr("aria-invalid")
        .await
        .unwrap();
    assert_eq!(invalid.as_deref(), Some("true"));
    browser.check_accessibility().await;

    sign_up_in_browser(&browser, &app, "jane.browser@example.com").await;
    confirm_email_from_inbox(&browser, &app, "jane.browser@example.com").await;

    sign_in(&browser, "jane.browser@example.com", "not-my-password").await;
    browser.wait_for_text("[role=alert]", "do not match").await;
    sign_in(&browser, "jane.browser@example.com", PASSWORD).await;
    browser.wait_for_path("/account").await;
    browser.wait_for_text("main", "Jane Browser").await;
    browser.wait_for_text("header", "Sign out").await;
    browser.check_accessibility().await;

    // A developer is refused admin pages.
    browser.visit(&app.url("/admin/audit")).await;
    browser.wait_for_text("main h1", "do not have access").await;
    assert_eq!(browser.status_of_last_navigation().await, json!(403));

    browser.visit(&app.url("/account")).await;
    browser.click("header form button[type=submit]").await;
    browser.wait_for_path("/login?signed_out=1").await;
    browser.wait_for_text("header", "Sign in").await;
    browser.visit(&app.url("/account")).await;
    browser.wait_for_path("/login?next=/account").await;

    // Forgotten password: the emailed link sets a new one.
    browser.visit(&app.url("/forgot-password")).await;
    browser.fill("email", "jane.browser@example.com").await;
    browser.click("main form button[type=submit]").await;
    browser.wait_for_path("/forgot-password?sent=1").await;
    let mail = app
        .smtp
        .wait_for("jane.browser@example.com", "Reset your")
        .await;
    browser
        .visit(&mail.link_containing("/reset-password?token=").unwrap())
        .await;
    browser.fill("password", "a-brand-new-password").await;
    browser
        .fill("password_confirm", "a-brand-new-password")
        .await;
    browser.click("main form button[type=submit]").await;
    browser.wait_for_path("/login?reset=1").await;
    sign_in(&browser, "jane.browser@example.com", "a-brand-new-password").await;
    browser.wait_for_path("/account").await;

    browser.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_sign_in_and_lockout_without_javascript() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let browser = Browser::start(false).await;

    browser.visit(&app.url("/signup")).await;
    browser.fill("name", "Noah Script").await;
    browser.fill("email", "noah@example.com").await;
    browser.fill("organization", "Plain Forms LLC").await;
    browser.fill("password", "short").await;
    browser.fill("password_confirm", "short").await;
    browser.click("form button[type=submit]").await;
    // The plain form post comes back to the page with the errors, filled in
    // with what was typed except the passwords.
    browser
        .wait_for_text("#field-password-error", "12 characters")
        .await;
    assert!(browser
        .text("#field-accept_terms-error")
        .await
        .contains("accept the API Terms"));
    assert_eq!(browser.value_of("name").await, "Noah Script");
    assert_eq!(browser.value_of("email").await, "noah@example.com");
    assert_eq!(browser.value_of("organization").await, "Plain Forms LLC");
    assert_eq!(
        browser.value_of("password").await,
        "",
        "passwords are never sent back"
    );
    let url = browser.client.current_url().await.unwrap().to_string();
    assert!(
        !url.contains("short"),
        "no password in the address bar: {url}"
    );
    let hydrated = browser
        .client
        .find(fantoccini::Locator::Css("body[data-hydrated]"))
        .await;
    assert!(hydrated.is_err(), "JavaScript really is off");
    browser.check_accessibility().await;

    sign_up_in_browser(&browser, &app, "noah@example.com").await;
    confirm_email_from_inbox(&browser, &app, "noah@example.com").await;

    // An anonymous visitor is sent to sign in, and comes back after.
    browser.visit(&app.url("/account")).await;
    browser.wait_for_path("/login?next=/account").await;
    sign_in(&browser, "noah@example.com", PASSWORD).await;
    browser.wait_for_path("/account").await;
    browser.wait_for_text("main", "noah@example.com").await;
    browser.click("header form button[type=submit]").await;
    browser.wait_for_path("/login?signed_out=1").await;

    for _ in 0..5 {
        browser.visit(&app.url("/login")).await;
        sign_in(&browser, "noah@example.com", "wrong-password-123").await;
        browser.find("[role=alert]").await;
    }
    browser
        .wait_for_text("[role=alert]", "pauses for 15 minutes")
        .await;
    browser.visit(&app.url("/login")).await;
    sign_in(&browser, "noah@example.com", PASSWORD).await;
    browser
        .wait_for_text("[role=alert]", "pauses for 15 minutes")
        .await;
    app.smtp.wait_for("noah@example.com", "paused").await;

    browser.close().await;
    app.stop().await;
}

/// The accessibility check must be able to fail, with and without JavaScript.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_accessibility_check_catches_an_unlabelled_input() {
    for javascript in [true, false] {
        let browser = std::sync::Arc::new(Browser::start(javascript).await);
        browser
            .client
            .goto("data:text/html,<!DOCTYPE html><html lang=en><head><title>t</title></head><body><main><input type=text></main></body></html>")
            .await
            .unwrap();
        let checking = browser.clone();
        let outcome = tokio::spawn(async move { checking.check_accessibility().await }).await;
        let panic = outcome
            .expect_err("an unlabelled input is a critical violation")
            .into_panic();
        let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(
            message.contains("label"),
            "javascript={javascript}: {message}"
        );
        std::sync::Arc::into_inner(browser).unwrap().close().await;
    }
}

/// Registers an app through the form and returns the secret shown on its page.
async fn register_app_in_browser(browser: &Browser, app: &TestApp, name: &str) -> String {
    browser.visit(&app.url("/apps")).await;
    browser
        .wait_for_text("main", "not registered any apps")
        .await;
    browser.visit(&app.url("/apps/new")).await;
    browser.fill("name", name).await;
    browser
        .fill(
            "redirect_uris",
            "https://app.example.com/callback http://localhost/#frag",
        )
        .await;
    browser.click("main form button[type=submit]").await;
    browser
        .wait_for_text("#field-redirect_uris-error", "fragment")
        .await;
    browser
        .wait_for_text("#field-website_url-error", "full address")
        .await;
    assert_eq!(
        browser.value_of("name").await,
        name,
        "what was typed is kept"
    );
    browser.check_accessibility().await;

    browser
        .fill("redirect_uris", "https://app.example.com/callback")
        .await;
    browser.fill("website_url", "https://app.example.com").await;
    browser
        .fill("privacy_policy_url", "https://app.example.com/privacy")
        .await;
    browser
        .fill("terms_url", "https://app.example.com/terms")
        .await;
    browser.fill("support_email", "help@app.example.com").await;
    browser.fill("support_phone", "+1 410-555-0100").await;
    browser.click("#field-requires_demographics-no").await;
    browser.click("#field-accept_terms").await;
    browser.click("main form button[type=submit]").await;
    browser
        .wait_for_text("main", "Your app is registered")
        .await;
    browser.check_accessibility().await;
    let secret = browser.text("#client-secret").await;
    assert!(secret.len() >= 43, "secret shown once: {secret:?}");
    assert!(
        !browser.text("main").await.contains("patient/Patient.read"),
        "no demographic scopes when declined"
    );
    secret
}

async fn verified_developer_session(browser: &Browser, app: &TestApp, email: &str) {
    server::accounts::create_verified_account(
        &app.state.db,
        server::accounts::NewStaffAccount {
            email: email.into(),
            name: "App Maker".into(),
            organization: "Acme".into(),
            role: server::ids::Role::Developer,
        },
        PASSWORD,
        app.state.clock.now(),
    )
    .await
    .unwrap();
    browser.visit(&app.url("/login")).await;
    sign_in(browser, email, PASSWORD).await;
    browser.wait_for_path("/account").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registering_an_app_shows_its_secret_once_with_and_without_javascript() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for (javascript, email, name) in [
        (true, "js@example.com", "Scripted App"),
        (false, "nojs@example.com", "Plain App"),
    ] {
        let browser = Browser::start(javascript).await;
        verified_developer_session(&browser, &app, email).await;
        if javascript {
            browser.wait_for_hydration().await;
        }
        let secret = register_app_in_browser(&browser, &app, name).await;
        let page = browser.client.current_url().await.unwrap().to_string();
        browser.visit(&page).await;
        browser.wait_for_text("main", "Client ID").await;
        assert!(
            !browser.text("main").await.contains(&secret),
            "javascript={javascript}: a reload no longer shows it"
        );

        // Deleting asks for confirmation first.
        browser.click(".danger-zone button[type=submit]").await;
        browser
            .wait_for_text("#delete-confirm-error", "Tick the box")
            .await;
        browser.click("#delete-confirm").await;
        browser.click(".danger-zone button[type=submit]").await;
        browser.wait_for_path("/apps?deleted=1").await;
        browser
            .wait_for_text("main", "not registered any apps")
            .await;
        browser.check_accessibility().await;
        browser.close().await;
    }
    app.stop().await;
}

/// An enrollee, without JavaScript: signs in, allows an app but keeps
/// demographics private, then revokes the app from the connected-apps page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enrollee_consents_without_demographics_and_revokes_without_javascript() {
    use portal_tests::oauth::{authorize_url, param, AppSpec, PKCE_VERIFIER};
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.enrollees(0..3).await;
    let callback = app.url("/consent-test/callback");
    let registered = app
        .register(AppSpec {
            redirect_uris: callback.clone(),
            ..AppSpec::confidential("Family Health Hub")
        })
        .await;
    let browser = Browser::start(false).await;
    let url = authorize_url(
        &app,
        "v2",
        &[
            ("client_id", &registered.client_id),
            ("redirect_uri", &callback),
            ("response_type", "code"),
            ("state", "xyz"),
        ],
    );
    browser.visit(&url).await;
    browser.wait_for_path("/mymedicare/login").await;
    browser.fill("username", "BBUser00002").await;
    browser.fill("password", "not-the-password").await;
    browser.click("main form button[type=submit]").await;
    browser.wait_for_text("[role=alert]", "do not match").await;
    assert_eq!(
        browser.value_of("username").await,
        "BBUser00002",
        "the user name is kept"
    );
    browser.check_accessibility().await;
    browser.fill("password", "PW00002!").await;
    browser.click("main form button[type=submit]").await;
    browser
        .wait_for_text(
            "main h1",
            "Family Health Hub wants to see your Medicare data",
        )
        .await;
    browser.check_accessibility().await;
    let page = browser.text("main").await;
    assert!(
        page.contains("Signed in to Medicare as Jack Morales"),
        "{page}"
    );
    assert!(page.contains("for 13 months, until"), "{page}");
    browser.click("#share-no").await;
    browser.click("button[name=allow][value=true]").await;
    let landed = browser
        .wait_for_url(|u| u.as_str().starts_with(&callback))
        .await;
    assert_eq!(param(landed.as_str(), "state").as_deref(), Some("xyz"));
    let code = param(landed.as_str(), "code").expect("a code");

    let token: serde_json::Value = reqwest::Client::new()
        .post(app.url("/v2/o/token/"))
        .basic_auth(&registered.client_id, Some(&registered.client_secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", callback.as_str()),
            ("code_verifier", PKCE_VERIFIER),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        token["scope"], "patient/Coverage.read patient/ExplanationOfBenefit.read",
        "demographics declined"
    );

    browser.visit(&app.url("/mymedicare/connected-apps")).await;
    browser.wait_for_text("main", "Family Health Hub").await;
    assert!(
        !browser
            .text("main")
            .await
            .contains("demographic information"),
        "it sees claims and coverage only"
    );
    browser.click(".connected-app button[type=submit]").await;
    browser
        .wait_for_text(".connected-app .field-error", "Tick the box")
        .await;
    browser.check_accessibility().await;
    browser.click(".connected-app input[type=checkbox]").await;
    browser.click(".connected-app button[type=submit]").await;
    browser
        .wait_for_path("/mymedicare/connected-apps?revoked=1")
        .await;
    browser
        .wait_for_text("main", "No apps can see your Medicare data")
        .await;
    browser.check_accessibility().await;
    let res = reqwest::Client::new()
        .get(app.url("/v2/connect/userinfo"))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "the revoked app's token no longer works");
    browser.close().await;
    app.stop().await;
}

/// A developer runs the authorization flow for their app from the test
/// client, sees the token response and pages through claims, with JavaScript.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_test_client_authorizes_an_app_and_calls_the_api() {
    use portal_tests::oauth::AppSpec;
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.enrollees(29_999..30_000).await;
    let registered = app.register(AppSpec::confidential("Test Client App")).await;
    let browser = Browser::start(true).await;
    browser.visit(&app.url("/login")).await;
    sign_in(&browser, &registered.owner_email, PASSWORD).await;
    browser.wait_for_path("/account").await;

    browser.visit(&app.url("/test-client")).await;
    browser.wait_for_hydration().await;
    browser.wait_for_text("main", "Test Client App").await;
    let start = browser
        .find("form[action='/test-client/start'] button")
        .await;
    assert_eq!(
        start.attr("disabled").await.unwrap().as_deref(),
        Some("true"),
        "no flow before the callback is registered"
    );
    browser.click("#add-callback").await;
    browser
        .wait_for_text("main", "callback address was added")
        .await;
    browser.check_accessibility().await;

    browser
        .fill("client_secret", &registered.client_secret)
        .await;
    browser
        .click("form[action='/test-client/start'] button")
        .await;
    browser.wait_for_path("/mymedicare/login").await;
    browser.fill("username", "BBUser29999").await;
    browser.fill("password", "PW29999!").await;
    browser.click("main form button[type=submit]").await;
    browser
        .wait_for_text("main h1", "Test Client App wants to see your Medicare data")
        .await;
    browser.click("button[name=allow][value=true]").await;
    browser.wait_for_text("main", "Authorized.").await;
    browser.check_accessibility().await;
    assert!(
        browser
            .text("main")
            .await
            .contains("\"patient\": \"20140000008325\""),
        "the token response is shown"
    );

    browser.click("a[href*='call=patient']").await;
    browser.wait_for_text("main", "HTTP status 200").await;
    assert!(browser.text("main").await.contains("\"family\": \"Doe\""));
    browser.click("a[href*='call=eob']").await;
    browser
        .wait_for_text("main h3", "ExplanationOfBenefit")
        .await;
    browser.wait_for_text("main", "\"total\": 32").await;
    browser.click("a[rel=next]").await;
    browser.wait_for_text("main h3", "startIndex=10").await;
    browser.check_accessibility().await;
    browser.close().await;
    app.stop().await;
}

/// A new reviewer's first sign-in sets up an authenticator from the page
/// (key typed, recovery codes shown), and the queue opens only after it; a
/// later sign-in without JavaScript asks for the app's code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_sets_up_two_step_sign_in_at_first_sign_in() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let email = "rae@cms.example.gov";
    portal_tests::access::verified_account(&app, email, server::ids::Role::Reviewer).await;
    let browser = Browser::start(true).await;
    browser.visit(&app.url("/login?next=/review")).await;
    browser.wait_for_hydration().await;
    sign_in(&browser, email, PASSWORD).await;
    browser.wait_for_url(|u| u.path() == "/login/set-up").await;
    browser
        .wait_for_text("main", "Save your recovery codes")
        .await;
    browser.check_accessibility().await;
    let key = browser.text("#totp-key").await;
    let secret = server::totp::TotpSecret::from_base32(&key).expect("the key on the page");
    let shown = browser.text("ul.recovery-codes").await;
    assert_eq!(
        shown.lines().filter(|l| l.len() == 19).count(),
        10,
        "{shown}"
    );

    // The queue is not open yet, whatever the address bar says.
    browser.visit(&app.url("/review")).await;
    browser.wait_for_url(|u| u.path() == "/login").await;
    browser
        .visit(&app.url("/login/set-up?next=%2Freview"))
        .await;
    browser.wait_for_hydration().await;
    assert_eq!(
        browser.text("#totp-key").await,
        key,
        "the same key on reload"
    );
    browser.fill("code", "000000").await;
    browser.click("main form button[type=submit]").await;
    browser
        .wait_for_text("#field-code-error", "That code did not work")
        .await;
    let now = app.state.clock.now();
    browser
        .fill("code", &server::totp::code_at(&secret, now).unwrap())
        .await;
    browser.click("main form button[type=submit]").await;
    browser.wait_for_path("/review").await;
    browser.wait_for_text("main h1", "Review queue").await;
    app.smtp.wait_for(email, "Two-step sign-in is on").await;
    app.remember_authenticator(email, secret, vec![], server::totp::step_at(now).unwrap());

    // Without JavaScript, the second sign-in asks for a code.
    let plain = Browser::start(false).await;
    plain.visit(&app.url("/login")).await;
    sign_in(&plain, email, PASSWORD).await;
    plain.wait_for_url(|u| u.path() == "/login/code").await;
    plain.check_accessibility().await;
    let code = app.sign_in_code(email).await;
    plain.fill("code", &code).await;
    plain.click("main form button[type=submit]").await;
    plain.wait_for_path("/account").await;
    plain.wait_for_text("main", "Two-step sign-in").await;
    plain.wait_for_text("main", "must keep it on").await;
    browser.close().await;
    plain.close().await;
    app.stop().await;
}

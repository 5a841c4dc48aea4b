//! The production-access application in headless Chromium: every section
//! filled (one without JavaScript), real PDFs uploaded (with the progress
//! script, and as a plain form post), the analysis read, the application
//! submitted, and the emailed PDF summary parsed back.
use mail_parser::MimeHeaders;
use portal_tests::{browser::Browser, Backend, TestApp};

const PASSWORD: &str = "tangerine-kettle-42";
const EMAIL: &str = "pat@acme.example.com";

async fn sign_in(browser: &Browser, app: &TestApp) {
    browser.visit(&app.url("/login")).await;
    browser.fill("email", EMAIL).await;
    browser.fill("password", PASSWORD).await;
    browser.click("main form button[type=submit]").await;
    browser.wait_for_path("/account").await;
}

async fn answer(browser: &Browser, key: &str, value: &str) {
    browser.fill(&format!("answers[{key}]"), value).await;
}

async fn choose(browser: &Browser, key: &str, value: &str) {
    browser.click(&format!("#field-{key}-{value}")).await;
}

async fn save_and_expect(browser: &Browser, path: &str) {
    browser
        .click("form.application-form button[type=submit]")
        .await;
    browser.wait_for_path(path).await;
    browser.wait_for_text("main", "saved.").await;
    browser.check_accessibility().await;
}

fn write_pdf(
    dir: &std::path::Path,
    name: &str,
    title: &str,
    paragraphs: &[&str],
) -> std::path::PathBuf {
    let bytes = server::pdf::TextDocument::new(title)
        .paragraphs(paragraphs.iter().copied())
        .render();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_developer_completes_and_submits_the_application_in_the_browser() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let sandbox_app = a_developer_with_a_sandbox_app(&app).await;
    let files = tempfile::tempdir().unwrap();
    let (policy, terms) = policy_and_terms(files.path());

    // With JavaScript: readiness, start, the first two sections.
    let browser = Browser::start(true).await;
    sign_in(&browser, &app).await;
    let id = start_the_application(&browser, &app, sandbox_app).await;
    fill_in_the_organization(&browser, &app, &id).await;
    fill_in_the_application(&browser, &id).await;

    // Without JavaScript: the data-protection section and the terms upload.
    fill_in_data_protection_and_upload_terms_without_javascript(&app, &id, &terms).await;

    // Back with JavaScript: the privacy policy with the progress script, then the checklist.
    upload_the_privacy_policy_with_the_progress_script(&browser, &app, &id, &policy).await;
    answer_the_privacy_policy_checklist(&browser, &id).await;

    // Review and submit: everything answered, so no to-do list.
    sign_and_submit(&browser, &id).await;
    browser.close().await;

    the_emailed_summary_records_every_answer(&app).await;
    app.stop().await;
}

/// A verified developer (signed in as [`EMAIL`]) with one sandbox app.
async fn a_developer_with_a_sandbox_app(app: &TestApp) -> uuid::Uuid {
    let owner = server::accounts::create_verified_account(
        &app.state.db,
        server::accounts::NewStaffAccount {
            email: EMAIL.into(),
            name: "Pat Applicant".into(),
            organization: "Acme Health".into(),
            role: server::ids::Role::Developer,
        },
        PASSWORD,
        app.state.clock.now(),
    )
    .await
    .unwrap();
    let user = server::accounts::find_user(&app.state.db, EMAIL)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.id, owner);
    let sandbox_app = server::apps::register(
        &app.state.db,
        &Default::default(),
        &user,
        server::apps::Registration::scripted(
            "Acme Claims Viewer",
            "confidential",
            "authorization-code",
            "https://app.example.com/callback",
            true,
            EMAIL,
        ),
        app.state.clock.now(),
    )
    .await
    .unwrap()
    .app
    .id;
    sandbox_app
}

/// A privacy policy that covers some checklist items, and short terms.
fn policy_and_terms(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let policy = write_pdf(
        dir,
        "acme-privacy.pdf",
        "Acme privacy policy",
        &[
            "We collect your Medicare claims only when you connect your account.",
            "If you revoke access, we delete your data within 30 days.",
        ],
    );
    let terms = write_pdf(
        dir,
        "acme-terms.pdf",
        "Acme terms",
        &["Use the app fairly."],
    );
    (policy, terms)
}

/// The readiness page starts the application; its id, from the new URL.
async fn start_the_application(
    browser: &Browser,
    app: &TestApp,
    sandbox_app: uuid::Uuid,
) -> String {
    browser
        .visit(&app.url(&format!("/apps/{sandbox_app}/production")))
        .await;
    browser
        .wait_for_text("main", "Not yet: An enrollee authorized the app")
        .await;
    browser.wait_for_hydration().await;
    browser.click("main form button[type=submit]").await;
    let started = browser
        .wait_for_url(|u| u.path().starts_with("/access/"))
        .await;
    let id = started.path().trim_start_matches("/access/").to_string();
    browser.wait_for_text("#access-state", "Draft").await;
    browser.check_accessibility().await;
    id
}

/// Prefilled from the account; a bad email is refused beside its field and
/// nothing typed is lost.
async fn fill_in_the_organization(browser: &Browser, app: &TestApp, id: &str) {
    browser
        .visit(&app.url(&format!("/access/{id}/organization")))
        .await;
    browser.wait_for_hydration().await;
    assert_eq!(
        browser.value_of("answers[legal_name]").await,
        "Acme Health",
        "prefilled from the account"
    );
    answer(browser, "legal_name", "Acme Health, Inc.").await;
    choose(browser, "us_based", "yes").await;
    answer(browser, "address", "1 Main Street, Baltimore, MD 21201").await;
    answer(browser, "website", "https://acme.example.com").await;
    answer(browser, "contact_title", "Chief Privacy Officer").await;
    answer(browser, "contact_phone", "+1 410-555-0100").await;
    answer(browser, "contact_email", "not an email").await;
    browser
        .click("form.application-form button[type=submit]")
        .await;
    browser
        .wait_for_text("#field-contact_email-error", "Enter an email address")
        .await;
    assert_eq!(
        browser.value_of("answers[address]").await,
        "1 Main Street, Baltimore, MD 21201",
        "nothing typed is lost"
    );
    browser.check_accessibility().await;
    answer(browser, "contact_email", "privacy@acme.example.com").await;
    save_and_expect(
        browser,
        &format!("/access/{id}/application?saved=organization"),
    )
    .await;
}

async fn fill_in_the_application(browser: &Browser, id: &str) {
    answer(
        browser,
        "use_case",
        "Enrollees see their claims and share them with caregivers.",
    )
    .await;
    answer(
        browser,
        "app_description",
        "A plain-language claims viewer.",
    )
    .await;
    choose(browser, "serves_medicare", "yes").await;
    answer(
        browser,
        "business_model",
        "Health systems pay a subscription.",
    )
    .await;
    answer(browser, "beneficiary_value", "One view of their care.").await;
    choose(browser, "data_access_type", "13-month").await;
    choose(browser, "needs_demographics", "yes").await;
    answer(
        browser,
        "demographics_reason",
        "To match caregivers' accounts.",
    )
    .await;
    save_and_expect(
        browser,
        &format!("/access/{id}/data_protection?saved=application"),
    )
    .await;
}

async fn fill_in_data_protection_and_upload_terms_without_javascript(
    app: &TestApp,
    id: &str,
    terms: &std::path::Path,
) {
    let plain = Browser::start(false).await;
    sign_in(&plain, app).await;
    plain
        .visit(&app.url(&format!("/access/{id}/data_protection")))
        .await;
    answer(&plain, "hosting", "AWS GovCloud (US-East)").await;
    choose(&plain, "encryption_in_transit", "yes").await;
    choose(&plain, "encryption_at_rest", "yes").await;
    answer(
        &plain,
        "access_control",
        "Role-based access with multi-factor sign-in.",
    )
    .await;
    choose(&plain, "hipaa_status", "business_associate").await;
    answer(
        &plain,
        "breach_response",
        "We notify enrollees and the FTC within 60 days.",
    )
    .await;
    save_and_expect(
        &plain,
        &format!("/access/{id}/policies?saved=data_protection"),
    )
    .await;
    plain
        .find("#upload-terms_of_service")
        .await
        .send_keys(&terms.display().to_string())
        .await
        .unwrap();
    plain
        .click("form[action$='/documents/terms_of_service'] button[type=submit]")
        .await;
    plain
        .wait_for_path(&format!("/access/{id}/policies?uploaded=terms_of_service"))
        .await;
    plain.wait_for_text("#documents", "acme-terms.pdf").await;
    plain.close().await;
}

/// The script sends the file with XMLHttpRequest and moves the progress
/// bar; the analysis of the stored PDF is shown.
async fn upload_the_privacy_policy_with_the_progress_script(
    browser: &Browser,
    app: &TestApp,
    id: &str,
    policy: &std::path::Path,
) {
    browser
        .visit(&app.url(&format!("/access/{id}/policies")))
        .await;
    browser.wait_for_hydration().await;
    browser
        .find("#upload-privacy_policy")
        .await
        .send_keys(&policy.display().to_string())
        .await
        .unwrap();
    // Watch the upload from inside the page: the script must send it with
    // XMLHttpRequest and move the progress bar (sessionStorage survives the reload).
    browser
        .client
        .execute(
            r#"const send = XMLHttpRequest.prototype.send;
               XMLHttpRequest.prototype.send = function (body) {
                 sessionStorage.setItem('sent-by-script', 'yes');
                 this.upload.addEventListener('progress', () => {
                   const bar = document.querySelector("form[action$='/documents/privacy_policy'] progress");
                   sessionStorage.setItem('bar', (bar.hidden ? 'hidden ' : 'shown ') + bar.value);
                 });
                 return send.call(this, body);
               };"#,
            vec![],
        )
        .await
        .unwrap();
    browser
        .click("form[action$='/documents/privacy_policy'] button[type=submit]")
        .await;
    browser
        .wait_for_path(&format!("/access/{id}/policies?uploaded=privacy_policy"))
        .await;
    let watched = browser
        .client
        .execute(
            "return [sessionStorage.getItem('sent-by-script'), sessionStorage.getItem('bar')];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        watched,
        serde_json::json!(["yes", "shown 100"]),
        "uploaded by the progress script with a full bar"
    );
    browser
        .wait_for_text("#documents", "acme-privacy.pdf")
        .await;
    let documents = browser.text("#documents").await;
    assert!(documents.contains("Flesch reading ease"), "{documents}");
    assert!(documents.contains("Flesch–Kincaid grade level"));
    assert!(documents.contains("Likely covered:"), "{documents}");
    assert!(
        documents.contains("If you revoke access, we delete your data within 30 days."),
        "{documents}"
    );
    assert!(documents.contains("Not found: check that the policy covers this."));
    browser.check_accessibility().await;
}

async fn answer_the_privacy_policy_checklist(browser: &Browser, id: &str) {
    browser.wait_for_hydration().await;
    for item in [
        "collection_sharing",
        "what_shared",
        "third_party_basis",
        "time_frame",
        "deidentified",
        "revoke",
        "dormant",
        "policy_changes",
        "vendors",
        "breach",
        "sale",
    ] {
        browser.click(&format!("#field-pp_{item}")).await;
        answer(
            browser,
            &format!("pp_{item}_where"),
            &format!("Section on {item}"),
        )
        .await;
    }
    save_and_expect(browser, &format!("/access/{id}/review?saved=policies")).await;
}

async fn sign_and_submit(browser: &Browser, id: &str) {
    assert!(
        !browser
            .text("main")
            .await
            .contains("to finish before you can submit"),
        "{}",
        browser.text("main").await
    );
    browser.fill("attest_name", "Pat Applicant").await;
    browser.fill("attest_title", "Chief Privacy Officer").await;
    browser.click("#field-attest_terms").await;
    browser
        .click("main section.narrow form button[type=submit]")
        .await;
    browser
        .wait_for_path(&format!("/access/{id}?submitted=1"))
        .await;
    browser.wait_for_text("#access-state", "Submitted").await;
    browser
        .wait_for_text("main", "Application submitted (version 1).")
        .await;
    browser.check_accessibility().await;
}

/// The contact's email carries the summary PDF, which records the answers
/// and documents.
async fn the_emailed_summary_records_every_answer(app: &TestApp) {
    let mail = app
        .smtp
        .wait_for(
            "privacy@acme.example.com",
            "Production access application received",
        )
        .await;
    let parsed = mail.parsed();
    let pdf = parsed.attachments().next().expect("the summary PDF");
    assert_eq!(
        pdf.attachment_name(),
        Some("production-access-application-v1.pdf")
    );
    let text = portal_tests::pdf_text(pdf.contents());
    for expected in [
        "Acme Health, Inc.",
        "1 Main Street, Baltimore, MD 21201",
        "AWS GovCloud (US-East)",
        "To match caregivers' accounts.",
        "Section on sale",
        "acme-privacy.pdf",
        "acme-terms.pdf",
        "Pat Applicant, Chief Privacy Officer, attested",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from the summary:\n{text}"
        );
    }
}

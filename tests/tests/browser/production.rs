//! After approval, in headless Chromium with three browsers (applicant,
//! reviewer, point of contact): post-approval form → listing approved → the
//! app in the public directory → handoff link from the SMTP server → secret
//! shown once → the credentials complete an authorization-code flow against
//! production and fail against the sandbox → the link cannot be reused.
use portal_tests::{
    access::*,
    browser::{sign_in, Browser},
    oauth::{authorize_url_at, client_post, consent, param, Answer, PKCE_VERIFIER},
    Backend, TestApp,
};
use server::ids::Role;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_app_is_listed_handed_its_credentials_and_works_in_production() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.enrollees(0..1).await;
    let reviewer_http = account(&app, "rae@cms.example.gov", Role::Reviewer).await;
    let (_dev, id) = approved(&app, &reviewer_http, "dev@acme.example.com", "Acme Sandbox").await;
    account(&app, "privacy@acme.example.com", Role::Developer).await;

    let applicant = Browser::start(true).await;
    let reviewer = Browser::start(true).await;
    let contact = Browser::start(true).await;
    sign_in(&applicant, &app, "dev@acme.example.com").await;
    sign_in(&reviewer, &app, "rae@cms.example.gov").await;

    // The applicant finds the post-approval form on the status page.
    applicant.visit(&app.url(&format!("/access/{id}"))).await;
    applicant.wait_for_hydration().await;
    applicant.click("#after-approval a.button").await;
    applicant
        .wait_for_path(&format!("/access/{id}/listing"))
        .await;
    applicant.wait_for_hydration().await;
    assert_eq!(
        applicant.value_of("name").await,
        "Acme Claims Viewer",
        "prefilled from the application"
    );
    applicant.check_accessibility().await;
    applicant
        .fill("short_description", "Your Medicare claims, explained.")
        .await;
    // Submitting without a platform names the problem and keeps the typing.
    applicant.click("#categories-costs_and_claims").await;
    applicant.click("button[value=submit]").await;
    applicant
        .wait_for_text("main", "Choose at least one platform.")
        .await;
    assert_eq!(
        applicant.value_of("short_description").await,
        "Your Medicare claims, explained."
    );
    applicant.click("#platforms-web").await;
    applicant.click("button[value=submit]").await;
    applicant
        .wait_for_path(&format!("/access/{id}?listing_submitted=1"))
        .await;

    // The reviewer passes every part and approves the listing.
    reviewer.visit(&app.url(&format!("/review/{id}"))).await;
    reviewer.wait_for_hydration().await;
    reviewer
        .wait_for_text("#listing", "Your Medicare claims, explained.")
        .await;
    for (key, _) in server::production::listing::REVIEW_ITEMS {
        reviewer
            .click(&format!("#verdict-{}-pass", key.replace('.', "-")))
            .await;
    }
    reviewer.click("#listing-checks button[type=submit]").await;
    reviewer
        .wait_for_path(&format!("/review/{id}?listing_saved=1"))
        .await;
    reviewer.wait_for_hydration().await;
    reviewer
        .click("#listing .button-row div:first-child button[type=submit]")
        .await;
    reviewer
        .wait_for_path(&format!("/review/{id}?listing_approved=1"))
        .await;
    reviewer.wait_for_text("#listing", "Listing approved").await;
    reviewer.check_accessibility().await;

    // Anyone finds it in the directory, with Medicare named as the data source.
    let visitor = Browser::start(true).await;
    visitor.visit(&app.url("/directory")).await;
    visitor
        .wait_for_text("#directory-list", "Acme Claims Viewer")
        .await;
    visitor
        .wait_for_text("#directory-list", "Data source: Medicare")
        .await;
    visitor.check_accessibility().await;
    visitor.close().await;

    // The handoff.
    reviewer.wait_for_hydration().await;
    reviewer.click("#handoff form button[type=submit]").await;
    reviewer
        .wait_for_path(&format!("/review/{id}?handoff=1"))
        .await;
    reviewer
        .wait_for_text("#handoff-links", "Waiting to be used")
        .await;
    let mail = app
        .smtp
        .wait_for(
            "privacy@acme.example.com",
            "Your production credentials for Acme Claims Viewer are ready",
        )
        .await;
    let link = mail.link_containing("/handoff/").expect("the handoff link");

    sign_in(&contact, &app, "privacy@acme.example.com").await;
    contact.visit(&link).await;
    contact.wait_for_hydration().await;
    contact.check_accessibility().await;
    contact.click("#reveal-form button[type=submit]").await;
    contact.find("#client-secret").await;
    let client_id = contact.text("#client-id").await;
    let secret = contact.text("#client-secret").await;
    assert_eq!(secret.len(), 43, "{secret}");
    assert_eq!(
        contact.text("#api-base-url").await,
        format!("{}/production", app.state.settings.public_url)
    );

    // The credentials work against production...
    let authorize = authorize_url_at(
        &app,
        "/production/v2/o/authorize/",
        &[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", "https://app.example.com/callback"),
            ("state", "b1"),
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
    // ...and not against the sandbox.
    let (status, _) = client_post(
        &app,
        "/v2/o/token/",
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
    assert_eq!(status, 401);

    // The link is spent, and a reload shows no secret.
    contact.visit(&link).await;
    contact
        .wait_for_text("#handoff-refused", "already used")
        .await;
    assert!(!contact.text("main").await.contains(&secret));

    applicant.close().await;
    reviewer.close().await;
    contact.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_suspends_and_restores_production_access_from_the_incidents_page() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    account(&app, "ada@cms.example.gov", Role::Admin).await;
    let admin = Browser::start(true).await;
    sign_in(&admin, &app, "ada@cms.example.gov").await;
    admin.visit(&app.url("/admin/incidents")).await;
    admin.wait_for_hydration().await;
    admin
        .wait_for_text("#no-suspensions", "No access is suspended.")
        .await;
    admin.check_accessibility().await;

    // Not confirmed: refused with the reason kept.
    admin.fill("reason", "Investigating a data mix-up").await;
    admin.click("#suspend-form button[type=submit]").await;
    admin
        .wait_for_text("#suspend-form", "Tick the box to confirm")
        .await;
    assert_eq!(
        admin.value_of("reason").await,
        "Investigating a data mix-up"
    );
    admin.click("#suspend-confirm").await;
    admin.click("#suspend-form button[type=submit]").await;
    admin.wait_for_path("/admin/incidents?suspended=1").await;
    admin
        .wait_for_text("#suspensions", "All production access")
        .await;
    admin
        .wait_for_text("#suspensions", "Investigating a data mix-up")
        .await;
    assert!(server::suspensions::active_reason(
        &app.state.db,
        uuid::Uuid::new_v4(),
        server::apps::Environment::Production
    )
    .await
    .unwrap()
    .is_some());

    admin.wait_for_hydration().await;
    admin.click("#suspensions input[type=checkbox]").await;
    admin.click("#suspensions button[type=submit]").await;
    admin.wait_for_path("/admin/incidents?restored=1").await;
    admin
        .wait_for_text("#no-suspensions", "No access is suspended.")
        .await;
    assert!(server::incidents::active(&app.state.db)
        .await
        .unwrap()
        .is_empty());
    admin.close().await;
    app.stop().await;
}

/// A live app's policy change in three browsers (developer, reviewer,
/// visitor): proposed with a real PDF upload → the reviewer reads the diff
/// and approves → the directory's links switch to the new version. A second
/// change is left until overdue on the portal's clock → the admins'
/// escalation email arrives and the board shows it overdue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_change_is_diffed_approved_and_published_and_an_overdue_one_escalated() {
    use chrono::TimeZone;
    use server::{entities::policy_change, sea_orm::EntityTrait};
    let app = TestApp::spawn(Backend::Sqlite).await;
    // Wednesday, November 25, 2026, 10:00 Eastern: due Thursday, December 3, 17:00.
    app.set_clock(
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 25, 15, 0, 0)
            .unwrap(),
    );
    let reviewer_http = account(&app, "rae@cms.example.gov", Role::Reviewer).await;
    account(&app, "ada@cms.example.gov", Role::Admin).await;
    let live = live_production_app(&app, &reviewer_http).await;
    let rid = live.request_id.clone();
    let files = tempfile::tempdir().unwrap();
    let new_policy = files.path().join("acme-privacy-2027.pdf");
    std::fs::write(
        &new_policy,
        server::pdf::TextDocument::new("Acme privacy policy")
            .paragraphs([
                POLICY_TEXT[0],
                "If you revoke access, we delete your data within 7 days.",
                POLICY_TEXT[2],
            ])
            .render(),
    )
    .unwrap();

    let visitor = Browser::start(true).await;
    let approved_before = directory_policy_link(&visitor, &app, &rid).await;

    let developer = Browser::start(true).await;
    sign_in(&developer, &app, "dev@acme.example.com").await;
    the_developer_proposes_the_new_policy(&developer, &app, &rid, &new_policy).await;
    assert_eq!(
        directory_policy_link(&visitor, &app, &rid).await,
        approved_before,
        "not published yet: the directory still links the approved version"
    );

    // The reviewer opens it from the board, reads the diff and approves.
    let change = policy_change::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let reviewer = Browser::start(true).await;
    sign_in(&reviewer, &app, "rae@cms.example.gov").await;
    the_reviewer_reads_the_diff_and_approves(&reviewer, &app, change).await;

    // The public link switched to the new version.
    let approved_after = directory_policy_link(&visitor, &app, &rid).await;
    assert_ne!(approved_after, approved_before);
    let pdf = reqwest::get(app.url(&approved_after))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(portal_tests::pdf_text(&pdf).contains("within 7 days"));
    app.smtp
        .wait_for("privacy@acme.example.com", "Policy change approved")
        .await;

    a_second_change_left_unanswered_is_escalated_and_flagged(&app, &live, &reviewer, change).await;
    for browser in [visitor, developer, reviewer] {
        browser.close().await;
    }
    app.stop().await;
}

/// The approved privacy policy the public directory page links to.
async fn directory_policy_link(visitor: &Browser, app: &TestApp, rid: &str) -> String {
    visitor.visit(&app.url(&format!("/directory/{rid}"))).await;
    visitor.wait_for_hydration().await;
    visitor
        .find("a.approved-document")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap()
}

/// From the status page: start a change, upload the new policy, say what
/// enrollees are told, submit; the answer is due in five business days.
async fn the_developer_proposes_the_new_policy(
    developer: &Browser,
    app: &TestApp,
    rid: &str,
    new_policy: &std::path::Path,
) {
    developer.visit(&app.url(&format!("/access/{rid}"))).await;
    developer.wait_for_hydration().await;
    developer.click("#policy-changes-link").await;
    developer
        .wait_for_path(&format!("/access/{rid}/policy-changes"))
        .await;
    developer.wait_for_hydration().await;
    developer
        .click("#propose-heading ~ form button[type=submit]")
        .await;
    developer
        .wait_for_text("#proposed-heading", "Proposed documents")
        .await;
    developer.wait_for_hydration().await;
    developer
        .find("#upload-privacy_policy")
        .await
        .send_keys(&new_policy.display().to_string())
        .await
        .unwrap();
    developer
        .click("form[action$='/documents/privacy_policy'] button[type=submit]")
        .await;
    developer
        .wait_for_text("#documents", "acme-privacy-2027.pdf")
        .await;
    developer.wait_for_hydration().await;
    developer.check_accessibility().await;
    developer
        .fill(
            "enrollee_notice",
            "From March 1 we delete your data within 7 days of a revocation instead of 30.",
        )
        .await;
    developer.click("#submit-change button[type=submit]").await;
    developer
        .wait_for_path(&format!("/access/{rid}/policy-changes?submitted=1"))
        .await;
    developer
        .wait_for_text("#change-state", "Waiting for review")
        .await;
    developer
        .wait_for_text("#open-change", "Dec 3, 2026, 5:00 PM EST")
        .await;
}

async fn the_reviewer_reads_the_diff_and_approves(
    reviewer: &Browser,
    app: &TestApp,
    change: uuid::Uuid,
) {
    reviewer.visit(&app.url("/review/policy-changes")).await;
    reviewer.wait_for_hydration().await;
    reviewer.check_accessibility().await;
    reviewer.visit(&app.url("/review/policy-changes")).await;
    reviewer.wait_for_hydration().await;
    reviewer.check_accessibility().await;
    reviewer.click("#open-changes a").await;
    reviewer
        .wait_for_path(&format!("/review/policy-changes/{change}"))
        .await;
    reviewer.wait_for_hydration().await;
    reviewer
        .wait_for_text(".diff-removed del", "within 30 days")
        .await;
    reviewer
        .wait_for_text(".diff-added ins", "within 7 days")
        .await;
    reviewer
        .wait_for_text(".diff-summary", "1 sentence(s) added, 1 removed.")
        .await;
    reviewer.check_accessibility().await;
    reviewer.click("#decision-approve").await;
    reviewer.click("#decide-form button[type=submit]").await;
    reviewer
        .wait_for_path(&format!("/review/policy-changes/{change}?approved=1"))
        .await;
    reviewer.wait_for_text("#change-state", "Approved").await;
}

/// A second change, submitted the same Wednesday and never answered: on
/// Friday the admins are emailed and the board shows it overdue.
async fn a_second_change_left_unanswered_is_escalated_and_flagged(
    app: &TestApp,
    live: &LiveApp,
    reviewer: &Browser,
    change: uuid::Uuid,
) {
    use chrono::TimeZone;
    use server::{entities::policy_change, sea_orm::EntityTrait};
    let rid = live.request_id.clone();
    let dev_http = &live.developer;
    app.post_form(dev_http, "policy-changes/start", &[("request_id", &rid)])
        .await;
    let second = policy_change::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.id != change)
        .unwrap()
        .id;
    let res = upload_to(
        app,
        dev_http,
        &format!("/policy-changes/{second}/documents/terms_of_service"),
        "terms-2027.pdf",
        terms_pdf(),
        true,
    )
    .await;
    assert_eq!(res.status().as_u16(), 200);
    app.post_form(
        dev_http,
        "policy-changes/submit",
        &[
            ("id", &second.to_string()),
            (
                "enrollee_notice",
                "Our terms now say how to stop using the app at any time.",
            ),
        ],
    )
    .await;
    // Friday, December 4, 9:00 Eastern: past due.
    let overdue_at = chrono::Utc.with_ymd_and_hms(2026, 12, 4, 14, 0, 0).unwrap();
    app.set_clock(overdue_at);
    server::policy_changes::send_escalations(&app.state.db, &app.state.notifier(), overdue_at)
        .await
        .unwrap();
    let escalation = app
        .smtp
        .wait_for("ada@cms.example.gov", "Overdue: policy change")
        .await;
    assert!(escalation
        .link_containing(&format!("/review/policy-changes/{second}"))
        .is_some());
    sign_in(reviewer, app, "rae@cms.example.gov").await;
    reviewer.visit(&app.url("/review/policy-changes")).await;
    reviewer.wait_for_hydration().await;
    reviewer
        .wait_for_text("tr.urgency-overdue", "Overdue")
        .await;
    reviewer.wait_for_text("#on-time-share", "50%").await;
    reviewer.wait_for_text("#on-time-share", "1 of 2").await;
}

/// A re-review campaign in two browsers (admin, developer): the admin sees
/// which live apps it reaches, is refused without the confirmation (what was
/// typed kept), starts it, and sees the app that would be suspended; the
/// developer follows the link on the application page, is refused until every
/// statement is ticked, re-attests, and the admin's page says no app will be
/// suspended. axe checks every page on the way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_starts_a_re_review_and_the_developer_re_attests_in_the_browser() {
    use chrono::TimeZone;
    let app = TestApp::spawn(Backend::Sqlite).await;
    // Monday, January 4, 2027, 10:00 Eastern; the deadline is 39 days out.
    app.set_clock(chrono::Utc.with_ymd_and_hms(2027, 1, 4, 15, 0, 0).unwrap());
    let reviewer_http = account(&app, "rae@cms.example.gov", Role::Reviewer).await;
    account(&app, "ada@cms.example.gov", Role::Admin).await;
    let live = live_production_app(&app, &reviewer_http).await;
    let rid = live.request_id.clone();

    let admin = Browser::start(true).await;
    sign_in(&admin, &app, "ada@cms.example.gov").await;
    admin.visit(&app.url("/admin/campaigns")).await;
    admin.wait_for_hydration().await;
    admin
        .wait_for_text("#campaign-preview", "Acme Claims Viewer")
        .await;
    admin.fill("title", "Spring 2027 re-review").await;
    admin.fill("terms_version", "2027-02").await;
    admin
        .fill(
            "terms_text",
            "Apps must delete an enrollee's data within 30 days of a revocation.",
        )
        .await;
    admin
        .set_value(
            "attestations",
            "Our privacy policy says how long we keep data.\nWe never sell Medicare data.",
        )
        .await;
    admin.set_value("deadline", "2027-02-12").await;
    admin.click("#campaign-demo").await;

    // Not confirmed: refused, what was typed and ticked kept, nobody emailed.
    admin.click("#campaign-form button[type=submit]").await;
    admin
        .wait_for_text("#campaign-form", "Tick the box to confirm")
        .await;
    assert_eq!(admin.value_of("title").await, "Spring 2027 re-review");
    assert_eq!(admin.value_of("deadline").await, "2027-02-12");
    assert_eq!(
        admin
            .find("#campaign-demo")
            .await
            .prop("checked")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
    assert_eq!(app.queued_mail("Re-review required").await, 0);
    admin.check_accessibility().await;

    admin.click("#campaign-confirm").await;
    admin.click("#campaign-form button[type=submit]").await;
    admin.wait_for_path("/admin/campaigns?started=1").await;
    admin
        .wait_for_text(
            ".campaign .affected",
            "Suspended at the deadline unless they re-attest: Acme Claims Viewer",
        )
        .await;
    admin
        .wait_for_text(".campaign-apps .campaign-demo", "Not held yet")
        .await;
    admin.check_accessibility().await;
    let mail = app
        .smtp
        .wait_for("privacy@acme.example.com", "Re-review required")
        .await;
    assert!(mail.link_containing("/re-review/").is_some());

    // The developer re-attests from the application page.
    let developer = Browser::start(true).await;
    sign_in(&developer, &app, "dev@acme.example.com").await;
    developer.visit(&app.url(&format!("/access/{rid}"))).await;
    developer.wait_for_hydration().await;
    developer
        .click("#pending-re-reviews a.re-review-link")
        .await;
    developer
        .wait_for_url(|u| u.path().starts_with(&format!("/access/{rid}/re-review/")))
        .await;
    developer.wait_for_hydration().await;
    developer
        .wait_for_text(".terms-text", "within 30 days of a revocation")
        .await;
    assert_eq!(
        developer
            .find("a[href$='#demo']")
            .await
            .attr("href")
            .await
            .unwrap()
            .as_deref(),
        Some(format!("/access/{rid}#demo").as_str())
    );
    developer.check_accessibility().await;
    developer.click("#accept-terms").await;
    developer.click("#attest-0").await;
    developer.click("#attest-form button[type=submit]").await;
    developer
        .wait_for_text("#attest-form", "Attest every statement")
        .await;
    developer.check_accessibility().await;
    developer.click("#attest-1").await;
    developer.click("#attest-form button[type=submit]").await;
    developer
        .wait_for_text("#re-review-done", "Re-attested")
        .await;
    app.smtp
        .wait_for("privacy@acme.example.com", "Re-review complete")
        .await;

    admin.visit(&app.url("/admin/campaigns")).await;
    admin.wait_for_hydration().await;
    admin
        .wait_for_text(".campaign .affected", "none will be suspended")
        .await;
    admin
        .wait_for_text(".campaign-apps", "Acme Claims Viewer")
        .await;
    developer.close().await;
    admin.close().await;
    app.stop().await;
}

/// The outbox page after an outage longer than the retry window: the
/// failed messages with their reason, then "retry all" with the mail server
/// back, and the page shows at once that nothing needs attention any more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_queues_every_failed_message_again_from_the_outbox_page() {
    let mut app = TestApp::spawn_with(
        Backend::Sqlite,
        portal_tests::TestOptions {
            retry: server::mail::worker::RetryPolicy {
                give_up_after: std::time::Duration::from_secs(3600),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .await;
    account(&app, "ada@cms.example.gov", Role::Admin).await;
    let admin = Browser::start(true).await;
    sign_in(&admin, &app, "ada@cms.example.gov").await;
    app.settle_mail().await;
    app.smtp.stop();
    let res = app
        .post_form(
            &app.client(),
            "sign_up",
            &[
                ("name", "Outage Olly"),
                ("email", "olly@example.com"),
                ("organization", "Acme"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
                ("accept_terms", "yes"),
            ],
        )
        .await;
    assert_eq!(portal_tests::location(&res), "/signup/check-email");
    app.settle_mail().await;
    for _ in 0..4 {
        app.state.clock.advance(chrono::Duration::minutes(20));
        app.settle_mail().await;
    }

    admin.visit(&app.url("/admin/outbox")).await;
    admin.wait_for_hydration().await;
    admin.wait_for_text("main table", "olly@example.com").await;
    assert!(admin
        .text("main table")
        .await
        .contains("gave up after failing since"));
    assert!(admin
        .text("main")
        .await
        .contains("No message is waiting to go out."));
    admin.check_accessibility().await;

    app.smtp.resume().await;
    admin.click("#retry-all button").await;
    admin
        .wait_for_text("main", "1 failed message(s) queued again.")
        .await;
    app.smtp
        .wait_for("olly@example.com", "Confirm your email")
        .await;
    admin
        .wait_for_text("#outbox-empty", "No message needs attention.")
        .await;
    admin.close().await;
    app.stop().await;
}

//! The whole review loop in headless Chromium, with two browsers side by side
//! (applicant and reviewer): submit → assign → evaluate → request changes →
//! resubmit (diff visible) → demo booked (.ics from the SMTP server, parsed
//! back) → outcome → approval → decision letter (PDF, parsed back).
use icalendar::Component;
use mail_parser::MimeHeaders;
use portal_tests::{
    access::*,
    browser::{sign_in, Browser},
    Backend, TestApp,
};
use server::ids::Role;

async fn submit_in_browser(browser: &Browser, app: &TestApp, id: &str, next_version: &str) {
    browser
        .visit(&app.url(&format!("/access/{id}/review")))
        .await;
    browser.wait_for_hydration().await;
    browser.fill("attest_name", "Pat Applicant").await;
    browser.fill("attest_title", "Chief Privacy Officer").await;
    browser.click("#field-attest_terms").await;
    browser
        .wait_for_text("main section.narrow form button[type=submit]", next_version)
        .await;
    browser
        .click("main section.narrow form button[type=submit]")
        .await;
    browser
        .wait_for_path(&format!("/access/{id}?submitted=1"))
        .await;
    browser.wait_for_text("#access-state", "Submitted").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_goes_from_submission_to_approval_between_two_browsers() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    account(&app, "rae@cms.example.gov", Role::Reviewer).await;
    let dev = account(&app, "dev@acme.example.com", Role::Developer).await;
    let id = start_application(&app, &dev, "Acme Claims Viewer").await;
    complete(&app, &dev, &id).await;

    let applicant = Browser::start(true).await;
    let reviewer = Browser::start(true).await;
    sign_in(&applicant, &app, "dev@acme.example.com").await;
    sign_in(&reviewer, &app, "rae@cms.example.gov").await;

    submit_in_browser(&applicant, &app, &id, "Submit the application").await;
    the_reviewer_takes_it_from_the_queue(&reviewer, &app, &id).await;
    the_reviewer_asks_for_a_change_to_the_breach_notice(&reviewer).await;
    the_applicant_fixes_the_breach_notice_and_resubmits(&applicant, &app, &id).await;
    the_reviewer_sees_what_changed_passes_it_and_invites_to_a_demo(&reviewer, &app, &id).await;
    the_reviewer_publishes_a_slot(&reviewer, &app).await;
    the_applicant_books_it(&applicant, &app, &id).await;
    the_invitation_is_a_calendar_event_at_the_meeting_link(&app).await;
    the_reviewer_records_the_demo_and_approves(&reviewer, &app, &id).await;
    the_decision_letter_says_approved(&app).await;

    applicant.visit(&app.url(&format!("/access/{id}"))).await;
    applicant.wait_for_text("#access-state", "Approved").await;
    applicant
        .wait_for_text("#demo", "Decision letter (approved)")
        .await;
    applicant.close().await;
    reviewer.close().await;
    app.stop().await;
}

async fn the_reviewer_takes_it_from_the_queue(reviewer: &Browser, app: &TestApp, id: &str) {
    reviewer.visit(&app.url("/review")).await;
    reviewer
        .wait_for_text("table.queue", "Acme Claims Viewer")
        .await;
    reviewer.wait_for_hydration().await;
    reviewer.click("table.queue button[type=submit]").await;
    reviewer
        .wait_for_path(&format!("/review/{id}?assigned=1"))
        .await;
    reviewer.wait_for_text("#review-state", "In review").await;
    reviewer.check_accessibility().await;
}

/// Everything passes but the breach notice, which needs a change.
async fn the_reviewer_asks_for_a_change_to_the_breach_notice(reviewer: &Browser) {
    reviewer.wait_for_hydration().await;
    for item in server::review::checklist::items() {
        let verdict = if item.key == "pp_breach" {
            "needs_change"
        } else {
            "pass"
        };
        reviewer
            .click(&format!("#verdict-{}-{verdict}", item.key))
            .await;
    }
    reviewer
        .fill(
            "comment[pp_breach]",
            "Say how and when enrollees are told of a breach.",
        )
        .await;
    reviewer.click("#checklist form button[type=submit]").await;
    reviewer
        .wait_for_text(
            "#checklist-progress",
            "18 of 18 items evaluated; 1 need(s) change.",
        )
        .await;
    reviewer
        .click("section[aria-labelledby=request-heading] button[type=submit]")
        .await;
    reviewer
        .wait_for_text("#review-state", "Changes requested")
        .await;
}

/// The applicant sees the item, fixes the answer and submits version 2.
async fn the_applicant_fixes_the_breach_notice_and_resubmits(
    applicant: &Browser,
    app: &TestApp,
    id: &str,
) {
    applicant.visit(&app.url(&format!("/access/{id}"))).await;
    applicant
        .wait_for_text(
            ".requested-changes",
            "Say how and when enrollees are told of a breach.",
        )
        .await;
    applicant.check_accessibility().await;
    applicant
        .visit(&app.url(&format!("/access/{id}/policies")))
        .await;
    applicant.wait_for_hydration().await;
    applicant
        .fill(
            "answers[pp_breach_where]",
            "Section 9, Breach notification (within 30 days)",
        )
        .await;
    applicant
        .click("form.application-form button[type=submit]")
        .await;
    applicant
        .wait_for_path(&format!("/access/{id}/review?saved=policies"))
        .await;
    submit_in_browser(applicant, app, &id, "Submit version 2").await;
}

/// The reviewer sees what changed, takes it back and passes the item.
async fn the_reviewer_sees_what_changed_passes_it_and_invites_to_a_demo(
    reviewer: &Browser,
    app: &TestApp,
    id: &str,
) {
    reviewer.visit(&app.url(&format!("/review/{id}"))).await;
    reviewer
        .wait_for_text("#changes-heading", "What changed")
        .await;
    reviewer
        .wait_for_text("#history-heading", "Version history")
        .await;
    assert!(
        reviewer.text("main").await.contains("Version 2, submitted"),
        "the versions are listed"
    );
    let changes = reviewer.text("table:has(caption)").await;
    assert!(
        reviewer
            .text("main")
            .await
            .contains("Section 9, Breach notification (within 30 days)"),
        "{changes}"
    );
    reviewer.wait_for_hydration().await;
    reviewer
        .wait_for_text("#assign-form button", "Start the review")
        .await;
    reviewer.click("#assign-form button[type=submit]").await;
    reviewer.wait_for_text("#review-state", "In review").await;
    reviewer.wait_for_hydration().await;
    reviewer.click("#verdict-pp_breach-pass").await;
    reviewer.click("#checklist form button[type=submit]").await;
    reviewer
        .wait_for_text(
            "#checklist-progress",
            "18 of 18 items evaluated; 0 need(s) change.",
        )
        .await;
    reviewer.click("#demo form button[type=submit]").await;
    reviewer
        .wait_for_text("#demo", "invited to book a demo")
        .await;
}

/// A slot three days from the test clock's today.
async fn the_reviewer_publishes_a_slot(reviewer: &Browser, app: &TestApp) {
    reviewer.visit(&app.url("/review/slots")).await;
    reviewer.wait_for_hydration().await;
    let starts = (app.state.clock.now() + chrono::Duration::days(3))
        .format("%Y-%m-%dT10:00")
        .to_string();
    reviewer
        .client
        .execute(
            &format!("document.getElementById('slot-starts').value = '{starts}';"),
            vec![],
        )
        .await
        .unwrap();
    reviewer
        .fill("meeting_link", "https://meet.example.gov/rae")
        .await;
    reviewer.click("main form button[type=submit]").await;
    reviewer.wait_for_path("/review/slots?published=1").await;
    reviewer.check_accessibility().await;
}

async fn the_applicant_books_it(applicant: &Browser, app: &TestApp, id: &str) {
    applicant.visit(&app.url(&format!("/access/{id}"))).await;
    applicant.wait_for_text("#demo", "Book a 1-hour demo").await;
    applicant.wait_for_hydration().await;
    applicant.click("#demo ul.slots button[type=submit]").await;
    applicant
        .wait_for_path(&format!("/access/{id}?booked=1"))
        .await;
    applicant
        .wait_for_text("#access-state", "Demo scheduled")
        .await;
    applicant.check_accessibility().await;
}

/// The SMTP server received an .ics that parses back to the event.
async fn the_invitation_is_a_calendar_event_at_the_meeting_link(app: &TestApp) {
    let invitation = app
        .smtp
        .wait_for("privacy@acme.example.com", "Demo booked")
        .await;
    let parsed = invitation.parsed();
    let ics = parsed
        .attachments()
        .find(|a| a.attachment_name() == Some("demo.ics"))
        .expect("an invitation");
    let calendar: icalendar::Calendar = String::from_utf8(ics.contents().to_vec())
        .unwrap()
        .parse()
        .unwrap();
    let event = calendar
        .components
        .iter()
        .find_map(|c| c.as_event())
        .expect("an event");
    assert_eq!(
        event.property_value("LOCATION"),
        Some("https://meet.example.gov/rae")
    );
    assert!(event.get_summary().unwrap().contains("Acme Claims Viewer"));
}

/// The demo happens; the reviewer records it and approves.
async fn the_reviewer_records_the_demo_and_approves(reviewer: &Browser, app: &TestApp, id: &str) {
    reviewer.visit(&app.url(&format!("/review/{id}"))).await;
    reviewer.wait_for_hydration().await;
    reviewer
        .fill("notes[authorization]", "Consent screen shown clearly.")
        .await;
    reviewer.click("#outcome-passed").await;
    reviewer
        .click("#record-demo-form button[type=submit]")
        .await;
    reviewer.wait_for_text("#demo-outcome", "Passed").await;
    reviewer.wait_for_hydration().await;
    reviewer
        .click("#decision form button.button:not(.button-danger)")
        .await;
    reviewer.wait_for_text("#review-state", "Approved").await;
    reviewer.check_accessibility().await;
}

async fn the_decision_letter_says_approved(app: &TestApp) {
    let decision = app
        .smtp
        .wait_for("privacy@acme.example.com", "Production access approved")
        .await;
    let parsed = decision.parsed();
    let letter = parsed
        .attachments()
        .find(|a| a.attachment_name() == Some("decision-approved.pdf"))
        .expect("the letter");
    let text = portal_tests::pdf_text(letter.contents());
    assert!(
        text.contains("Decision: approved") && text.contains("Acme Claims Viewer"),
        "{text}"
    );
}

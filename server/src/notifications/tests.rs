//! Every notice rendered once, as its readers get it (insta snapshots in
//! `snapshots/`: a wording change shows up as a diff to review, and
//! `cargo insta review` or `INSTA_UPDATE=always` accepts it), and the
//! recipient rules on a real database.
use chrono::TimeZone;
use sea_orm::{ActiveModelTrait, Set};

use super::*;

fn application() -> access_request::Model {
    let at = Utc.with_ymd_and_hms(2027, 3, 1, 15, 0, 0).unwrap();
    access_request::Model {
        id: Uuid::from_u128(0xa11ca7e0_0000_4000_8000_000000000001),
        application_id: Uuid::from_u128(2),
        owner_id: Uuid::from_u128(3),
        state: "in_review".into(),
        current_version: 2,
        created_at: at,
        updated_at: at,
        submitted_at: Some(at),
        assignee_id: None,
        first_response_due_at: None,
        first_response_at: None,
        demo_invited_at: None,
        approved_data_access_type: None,
        decided_at: None,
        decision_reason: None,
        production_app_id: None,
        listing_approved_at: None,
    }
}

fn at(month: u32, day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, month, day, hour, 0, 0).unwrap()
}

fn pdf(name: &str) -> Attachment {
    Attachment {
        filename: name.into(),
        content_type: "application/pdf".into(),
        content: b"%PDF-1.7".to_vec(),
    }
}

/// One of each notice, with the name its snapshot is stored under.
fn every_notice(request: &access_request::Model) -> Vec<(&'static str, Notice<'_>)> {
    let person = Person {
        email: "dev@example.com",
        name: "Dana Developer",
    };
    let app = "Claims Tracker";
    let items = || {
        vec![
            Item {
                text: "Privacy policy".into(),
                comment: "Say how long you keep claims.".into(),
            },
            Item {
                text: "Data use".into(),
                comment: "Name the analytics vendor.".into(),
            },
        ]
    };
    let change = Uuid::from_u128(0xc4a9_0000_0000_4000_8000_000000000009);
    let campaign = Uuid::from_u128(0xca3b_0000_0000_4000_8000_000000000007);
    let attendees = || {
        vec![
            "poc@example.com".to_string(),
            "reviewer@cms.example.gov".to_string(),
        ]
    };
    vec![
        (
            "verify_email",
            Notice::VerifyEmail {
                to: person,
                token: "t0k3n",
            },
        ),
        (
            "password_reset",
            Notice::PasswordReset {
                to: person,
                token: "t0k3n",
            },
        ),
        (
            "sign_up_with_existing_email",
            Notice::SignUpWithExistingEmail { to: person },
        ),
        (
            "set_password",
            Notice::SetPassword {
                to: person,
                role: "reviewer",
                token: "t0k3n",
            },
        ),
        ("password_changed", Notice::PasswordChanged { to: person }),
        (
            "account_locked",
            Notice::AccountLocked {
                to: person,
                minutes: 15,
            },
        ),
        (
            "second_factor_enabled",
            Notice::SecondFactorEnabled { to: person },
        ),
        (
            "second_factor_disabled",
            Notice::SecondFactorDisabled { to: person },
        ),
        (
            "second_factor_reset",
            Notice::SecondFactorReset { to: person },
        ),
        (
            "recovery_code_used",
            Notice::RecoveryCodeUsed {
                to: person,
                left: 7,
            },
        ),
        (
            "application_submitted",
            Notice::ApplicationSubmitted {
                application: request,
                app,
                version: 2,
                summary: pdf("production-access-application-v2.pdf"),
            },
        ),
        (
            "application_to_review",
            Notice::ApplicationToReview {
                application: request,
                app,
                organization: "Example Health",
                version: 2,
            },
        ),
        (
            "review_started",
            Notice::ReviewStarted {
                application: request,
                app,
            },
        ),
        (
            "changes_requested",
            Notice::ChangesRequested {
                application: request,
                app,
                items: items(),
            },
        ),
        (
            "reviewer_wrote",
            Notice::ReviewerWrote {
                application: request,
                app,
                body: "Could you show the consent screen?\n\nThanks.",
            },
        ),
        (
            "applicant_wrote",
            Notice::ApplicantWrote {
                application: request,
                app,
                body: "Yes: it is in the demo.",
            },
        ),
        (
            "demo_invited",
            Notice::DemoInvited {
                application: request,
                app,
                topics: vec!["The sign-in flow", "How users revoke access"],
            },
        ),
        (
            "demo_booked",
            Notice::DemoInvitation {
                application: request,
                app,
                attendees: attendees(),
                change: DemoChange::Booked,
                starts_at: at(3, 10, 15),
                meeting_link: "https://meet.example.gov/abc",
                ics: "BEGIN:VCALENDAR".into(),
            },
        ),
        (
            "demo_moved",
            Notice::DemoInvitation {
                application: request,
                app,
                attendees: attendees(),
                change: DemoChange::Moved,
                starts_at: at(7, 10, 14),
                meeting_link: "https://meet.example.gov/abc",
                ics: "BEGIN:VCALENDAR".into(),
            },
        ),
        (
            "demo_cancelled",
            Notice::DemoInvitation {
                application: request,
                app,
                attendees: attendees(),
                change: DemoChange::Cancelled,
                starts_at: at(3, 10, 15),
                meeting_link: "https://meet.example.gov/abc",
                ics: "BEGIN:VCALENDAR".into(),
            },
        ),
        (
            "demo_outcome_concerns",
            Notice::DemoOutcome {
                application: request,
                app,
                outcome: "Passed with concerns",
                next: AfterDemo::Concerns,
                concerns: "The revoke button is hard to find.",
            },
        ),
        (
            "demo_outcome_another",
            Notice::DemoOutcome {
                application: request,
                app,
                outcome: "Another demo needed",
                next: AfterDemo::AnotherDemo,
                concerns: "",
            },
        ),
        (
            "demo_outcome_re_review",
            Notice::DemoOutcome {
                application: request,
                app,
                outcome: "Passed",
                next: AfterDemo::ReReviewDone,
                concerns: "",
            },
        ),
        (
            "demo_outcome_passed",
            Notice::DemoOutcome {
                application: request,
                app,
                outcome: "Passed",
                next: AfterDemo::Decision,
                concerns: "",
            },
        ),
        (
            "demo_reminder",
            Notice::DemoReminder {
                application: request,
                app,
                attendees: attendees(),
                starts_at: at(3, 10, 15),
                meeting_link: "https://meet.example.gov/abc",
            },
        ),
        (
            "decision_approved",
            Notice::Decision {
                application: request,
                app,
                approved: true,
                letter: pdf("decision.pdf"),
            },
        ),
        (
            "decision_denied",
            Notice::Decision {
                application: request,
                app,
                approved: false,
                letter: pdf("decision.pdf"),
            },
        ),
        (
            "listing_to_review",
            Notice::ListingToReview {
                application: request,
                app,
            },
        ),
        (
            "listing_changes_requested",
            Notice::ListingChangesRequested {
                application: request,
                app,
                items: items(),
            },
        ),
        (
            "listing_approved",
            Notice::ListingApproved {
                application: request,
                app,
                listed_as: "Claims Tracker by Example Health",
            },
        ),
        (
            "credentials_link",
            Notice::CredentialsLink {
                contact: "poc@example.com",
                app,
                token: "h4nd0ff",
                expires_at: at(3, 12, 20),
            },
        ),
        (
            "credentials_sent",
            Notice::CredentialsSent {
                application: request,
                app,
                contact: "p**@example.com",
                expires_at: at(3, 12, 20),
                reissued: false,
            },
        ),
        (
            "credentials_reissued",
            Notice::CredentialsSent {
                application: request,
                app,
                contact: "p**@example.com",
                expires_at: at(3, 12, 20),
                reissued: true,
            },
        ),
        (
            "credentials_collected",
            Notice::CredentialsCollected {
                application: request,
                app,
                app_id: Uuid::from_u128(5),
                by: "poc@example.com",
                at: at(3, 11, 16),
            },
        ),
        (
            "policy_change_received",
            Notice::PolicyChangeReceived {
                application: request,
                app,
                what: "privacy policy",
                due_at: at(3, 8, 22),
            },
        ),
        (
            "policy_change_to_review",
            Notice::PolicyChangeToReview {
                change,
                app,
                what: "privacy policy",
                due_at: at(3, 8, 22),
            },
        ),
        (
            "policy_change_approved",
            Notice::PolicyChangeAnswered {
                application: request,
                app,
                comment: None,
            },
        ),
        (
            "policy_change_changes_requested",
            Notice::PolicyChangeAnswered {
                application: request,
                app,
                comment: Some("The notice must say when the change takes effect."),
            },
        ),
        (
            "policy_change_overdue",
            Notice::PolicyChangeEscalation {
                change,
                app,
                overdue: true,
                submitted_at: at(3, 1, 15),
                due_at: at(3, 8, 22),
            },
        ),
        (
            "policy_change_due_soon",
            Notice::PolicyChangeEscalation {
                change,
                app,
                overdue: false,
                submitted_at: at(3, 1, 15),
                due_at: at(3, 8, 22),
            },
        ),
        (
            "re_review_required",
            Notice::ReReviewRequired {
                application: request,
                app,
                campaign,
                title: "the 2027 re-review",
                version: "2027-03",
                deadline: at(3, 31, 21),
                demo_required: true,
            },
        ),
        (
            "re_review_done",
            Notice::ReReviewDone {
                application: request,
                app,
                title: "the 2027 re-review",
                version: "2027-03",
                lifted: true,
            },
        ),
        (
            "re_review_due",
            Notice::ReReviewDue {
                application: request,
                app,
                campaign,
                title: "the 2027 re-review",
                version: "2027-03",
                deadline: at(3, 31, 21),
                days_left: 1,
            },
        ),
        (
            "renewal_reminder",
            Notice::RenewalReminder {
                to: vec!["dev@example.com".into()],
                app,
                app_id: Uuid::from_u128(5),
                due_at: at(3, 1, 3),
                days: 30,
            },
        ),
        (
            "suspended",
            Notice::Suspension {
                to: vec!["dev@example.com".into()],
                what: app,
                reason: "Tokens leaked in a public repository.",
                restored: false,
            },
        ),
        (
            "restored",
            Notice::Suspension {
                to: vec!["dev@example.com".into()],
                what: app,
                reason: "Tokens leaked in a public repository.",
                restored: true,
            },
        ),
        (
            "incident_notice",
            Notice::IncidentNotice {
                to: "dev@example.com",
                subject: "Scheduled maintenance\non March 9",
                body: "The sandbox is down from 1 to 3 a.m.\n\nProduction is not affected.",
            },
        ),
    ]
}

/// What a reader gets, with the recipients a rule would resolve left out.
fn as_read(notice: Notice<'_>) -> String {
    let links = Links::new("https://portal.example.gov");
    let draft = notice.draft(&links);
    let greeting = draft.audience.greeting().to_string();
    let email = render::render(draft.template, draft.context, vec![], &greeting).unwrap();
    let mut out = format!("Subject: {}\n", email.subject);
    for a in &draft.attachments {
        out.push_str(&format!(
            "Attachment: {} ({})\n",
            a.filename, a.content_type
        ));
    }
    for link in &email.one_time_links {
        out.push_str(&format!("One-time link: {link}\n"));
    }
    out.push('\n');
    out.push_str(&email.text);
    out
}

#[test]
fn every_email_reads_as_its_snapshot() {
    let request = application();
    for (name, notice) in every_notice(&request) {
        insta::assert_snapshot!(name, as_read(notice));
    }
}

#[test]
fn every_template_file_is_some_notice() {
    let request = application();
    let links = Links::new("https://portal.example.gov");
    let used: std::collections::BTreeSet<&str> = every_notice(&request)
        .into_iter()
        .map(|(_, n)| n.draft(&links).template)
        .collect();
    for name in render::names() {
        assert!(
            used.contains(name),
            "templates/{name}.txt is not used by any notice"
        );
    }
}

#[test]
fn the_html_copy_has_the_same_buttons_and_escapes_the_app_name() {
    let request = application();
    let links = Links::new("https://portal.example.gov");
    let draft = Notice::ReviewStarted {
        application: &request,
        app: "Tom & Jerry's <Claims>",
    }
    .draft(&links);
    let email = render::render(draft.template, draft.context, vec![], "there").unwrap();
    assert!(
        email.html.contains("Tom &amp; Jerry&#39;s &lt;Claims&gt;"),
        "{}",
        email.html
    );
    let href = format!("href=\"{}\"", links.application(request.id));
    assert!(email.html.contains(&href), "{}", email.html);
    assert!(email.text.contains("Tom & Jerry's <Claims>"));
}

#[tokio::test]
async fn the_applicants_are_the_named_contacts_and_the_applicant_each_once() {
    let db = crate::db::in_memory().await;
    let request = application();
    let owner = crate::entities::account::ActiveModel {
        id: Set(request.owner_id),
        email: Set("Dev@Example.com".into()),
        ..crate::testing::account("dev@example.com")
    };
    owner.insert(&db).await.unwrap();
    assert_eq!(
        recipients::applicants(&db, &request).await.unwrap(),
        ["Dev@Example.com"],
        "before the first submission, the applicant alone"
    );
    crate::entities::access_request_version::ActiveModel {
        request_id: Set(request.id),
        version: Set(1),
        snapshot: Set(r#"{"answers":{"organization":{"contact_email":"poc@example.com","other_contacts":"legal@example.com\ndev@example.com"}}}"#.into()),
        ..crate::testing::request_version()
    }
    .insert(&db)
    .await
    .unwrap();
    assert_eq!(
        recipients::applicants(&db, &request).await.unwrap(),
        ["poc@example.com", "legal@example.com", "dev@example.com"]
    );
}

#[tokio::test]
async fn a_message_from_the_applicant_goes_to_the_reviewer_on_it_or_every_reviewer() {
    let db = crate::db::in_memory().await;
    let mut request = application();
    for (id, email, role) in [
        (10, "rev@cms.gov", "reviewer"),
        (11, "admin@cms.gov", "admin"),
        (12, "dev@x.org", "developer"),
    ] {
        crate::entities::account::ActiveModel {
            id: Set(Uuid::from_u128(id)),
            role: Set(role.into()),
            ..crate::testing::account(email)
        }
        .insert(&db)
        .await
        .unwrap();
    }
    assert_eq!(
        recipients::assignee_or_reviewers(&db, &request)
            .await
            .unwrap(),
        ["admin@cms.gov", "rev@cms.gov"]
    );
    request.assignee_id = Some(Uuid::from_u128(10));
    assert_eq!(
        recipients::assignee_or_reviewers(&db, &request)
            .await
            .unwrap(),
        ["rev@cms.gov"]
    );
}

#[tokio::test]
async fn a_notice_nobody_is_to_hear_of_queues_nothing_and_wakes_nobody() {
    let db = crate::db::in_memory().await;
    let wake = Arc::new(Notify::new());
    let notifier = Notifier::new("https://portal.example.gov", wake.clone());
    let sent = notifier
        .send(
            &db,
            Notice::PolicyChangeToReview {
                change: Uuid::nil(),
                app: "X",
                what: "privacy policy",
                due_at: at(3, 8, 22),
            },
            at(3, 1, 15),
        )
        .await
        .unwrap();
    assert_eq!(sent, None, "no reviewers yet");
    drop(notifier);
    let woken = tokio::time::timeout(std::time::Duration::from_millis(50), wake.notified()).await;
    assert!(
        woken.is_err(),
        "nothing was queued, so the worker sleeps on"
    );

    let notifier = Notifier::new("https://portal.example.gov", wake.clone());
    let person = Person {
        email: "dev@example.com",
        name: "Dana",
    };
    assert!(notifier
        .send(&db, Notice::PasswordChanged { to: person }, at(3, 1, 15))
        .await
        .unwrap()
        .is_some());
    drop(notifier);
    tokio::time::timeout(std::time::Duration::from_millis(50), wake.notified())
        .await
        .expect("queued mail wakes the worker when the notifier is dropped");
}

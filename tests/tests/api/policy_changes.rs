//! Policy changes of live apps over HTTP on both databases: the developer
//! proposes new documents (same checks as the application), a reviewer
//! compares them with the approved text and answers within five federal
//! business days, the directory switches to the new versions only on
//! approval, and admins are warned one business day before due and when
//! overdue, once each.
use chrono::{DateTime, TimeZone, Utc};
use portal_tests::{access::*, db_tests, location, Backend, TestApp};
use server::{
    entities::{audit_event, policy_change, policy_change_document, policy_change_round},
    ids::Role,
    sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter},
};

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

/// The new privacy policy: one sentence changed, the breach sentence dropped.
fn new_policy_pdf() -> Vec<u8> {
    server::pdf::TextDocument::new("Acme privacy policy, 2027")
        .paragraphs([
            POLICY_TEXT[0],
            "If you revoke access, we delete your data within 7 days.",
        ])
        .render()
}

fn new_terms_pdf() -> Vec<u8> {
    server::pdf::TextDocument::new("Acme terms of service, 2027")
        .paragraph(
            "You may stop using the app at any time. We may end the service with 30 days notice.",
        )
        .render()
}

const NOTICE: &str = "From March 1 we delete your data within 7 days of a revocation instead of 30. You can revoke access at any time in the app or on Medicare.gov.";

/// The published document links of a directory entry, in page order.
fn published_links(html: &str, request_id: &str) -> Vec<String> {
    let prefix = format!("href=\"/directory/{request_id}/documents/");
    html.match_indices(&prefix)
        .map(|(i, _)| {
            let rest = &html[i + "href=\"".len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

/// The open change's id, from the upload form on the developer's page.
fn change_id(html: &str) -> String {
    let at = html
        .find("action=\"/policy-changes/")
        .unwrap_or_else(|| panic!("no upload form: {html}"))
        + "action=\"/policy-changes/".len();
    html[at..at + 36].to_string()
}

async fn get(app: &TestApp, client: &reqwest::Client, path: &str) -> (u16, Vec<u8>) {
    let res = client.get(app.url(path)).send().await.unwrap();
    (res.status().as_u16(), res.bytes().await.unwrap().to_vec())
}

/// Starts a change the way an impatient developer does: a double (here
/// triple) click. Every click lands on the one open change; none gets a 500
/// from the one-open-change constraint.
async fn propose(app: &TestApp, live: &LiveApp) -> String {
    let rid = &live.request_id;
    let form = [("request_id", rid.as_str())];
    let click = || app.post_form(&live.developer, "policy-changes/start", &form);
    let (a, b, c) = tokio::join!(click(), click(), click());
    for res in [&a, &b, &c] {
        assert_eq!(
            location(res),
            format!("/access/{rid}/policy-changes#documents")
        );
    }
    let open = policy_change::Entity::find()
        .filter(policy_change::Column::OpenFor.eq(uuid::Uuid::parse_str(rid).unwrap()))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(open, 1, "one change however many clicks");
    change_id(
        &page(
            app,
            &live.developer,
            &format!("/access/{rid}/policy-changes"),
        )
        .await,
    )
}

async fn upload_change(
    app: &TestApp,
    client: &reqwest::Client,
    change: &str,
    kind: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let path = format!("/policy-changes/{change}/documents/{kind}");
    upload_to(app, client, &path, &format!("{kind}-2027.pdf"), bytes, true).await
}

async fn a_change_is_compared_answered_and_published_only_on_approval(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Wednesday before Thanksgiving 2026, 10:00 Eastern.
    app.set_clock(utc(2026, 11, 25, 15, 0));
    let reviewer = account(&app, "rae@cms.example.gov", Role::Reviewer).await;
    let live = live_production_app(&app, &reviewer).await;
    let rid = live.request_id.clone();
    let dev = live.developer.clone();
    let anyone = app.client();

    // The directory links the versions approved with the application.
    let entry = page(&app, &anyone, &format!("/directory/{rid}")).await;
    let original = published_links(&entry, &rid);
    assert_eq!(original.len(), 2, "{entry}");
    let (status, pdf) = get(&app, &anyone, &original[0]).await;
    assert_eq!(status, 200);
    assert!(portal_tests::pdf_text(&pdf).contains("within 30 days"));

    // Nobody else can open a change for this app.
    let stranger = account(&app, "eve@other.example.com", Role::Developer).await;
    let body = app
        .post_form(&stranger, "policy-changes/start", &[("request_id", &rid)])
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("does not exist or is not yours"), "{body}");
    assert!(policy_change::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .is_empty());

    // Proposing twice opens one change.
    let change = propose(&app, &live).await;
    assert_eq!(propose(&app, &live).await, change);
    assert_eq!(
        policy_change::Entity::find()
            .all(&app.state.db)
            .await
            .unwrap()
            .len(),
        1
    );

    // Nothing to submit yet, and no notice: both named, the notice kept.
    let body = app
        .post_form(
            &dev,
            "policy-changes/submit",
            &[("id", &change), ("enrollee_notice", "Soon.")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("Upload the new privacy policy, the new terms of service, or both."),
        "{body}"
    );
    assert!(body.contains("at least 40 characters"), "{body}");
    assert!(body.contains("Soon."), "{body}");

    // The application's upload checks apply.
    let res = upload_change(
        &app,
        &dev,
        &change,
        "privacy_policy",
        b"MZ not a pdf".repeat(100),
    )
    .await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(res.text().await.unwrap().contains("not a PDF"));
    assert!(policy_change_document::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .is_empty());
    let res = upload_change(&app, &dev, &change, "privacy_policy", new_policy_pdf()).await;
    assert_eq!(res.status().as_u16(), 200);
    let proposed: serde_json::Value = res.json().await.unwrap();
    let proposed_id = proposed["document"]["id"].as_str().unwrap().to_string();

    // The proposed document is private until approved.
    let (status, _) = get(
        &app,
        &stranger,
        &format!("/policy-changes/documents/{proposed_id}"),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = get(
        &app,
        &dev,
        &format!("/policy-changes/documents/{proposed_id}"),
    )
    .await;
    assert_eq!(status, 200);
    {
        use server::sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        let audited = server::entities::audit_event::Entity::find()
            .filter(
                server::entities::audit_event::Column::Action
                    .eq("policy_change.document_downloaded"),
            )
            .count(&app.state.db)
            .await
            .unwrap();
        assert_eq!(
            audited, 1,
            "the developer's download is on the record, the stranger's refusal is not"
        );
    }
    let (status, _) = get(
        &app,
        &anyone,
        &format!("/directory/{rid}/documents/{proposed_id}"),
    )
    .await;
    assert_eq!(status, 404);

    // Submitted Wednesday: Thanksgiving and the weekend are skipped, so the
    // fifth business day is Thursday, December 3, ending 17:00 Eastern.
    let res = app
        .post_form(
            &dev,
            "policy-changes/submit",
            &[("id", &change), ("enrollee_notice", NOTICE)],
        )
        .await;
    assert_eq!(
        location(&res),
        format!("/access/{rid}/policy-changes?submitted=1")
    );
    let rounds = policy_change_round::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(rounds.len(), 1);
    assert_eq!(rounds[0].due_at, utc(2026, 12, 3, 22, 0));
    let receipt = app
        .smtp
        .wait_for("privacy@acme.example.com", "Policy change received")
        .await;
    assert!(
        receipt
            .text()
            .contains("Thursday, December 3, 2026, 5:00 PM EST"),
        "{}",
        receipt.text()
    );
    assert!(receipt.text().contains("Do not publish the new version"));
    app.smtp
        .wait_for("rae@cms.example.gov", "Policy change to review")
        .await;
    let developer_page = page(&app, &dev, &format!("/access/{rid}/policy-changes")).await;
    assert!(
        developer_page.contains("Waiting for review"),
        "{developer_page}"
    );
    assert!(
        developer_page.contains(&original[0]),
        "the approved version is still shown"
    );

    // Submitted: no more uploads until a reviewer answers.
    let res = upload_change(&app, &dev, &change, "terms_of_service", new_terms_pdf()).await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(res.text().await.unwrap().contains("waiting for review"));

    // The reviewer sees what changed, sentence by sentence, and the lost hint.
    let review = page(&app, &reviewer, &format!("/review/policy-changes/{change}")).await;
    assert!(
        review.contains("<del>If you revoke access, we delete your data within 30 days.</del>"),
        "{review}"
    );
    assert!(
        review.contains("<ins>If you revoke access, we delete your data within 7 days.</ins>"),
        "{review}"
    );
    let breach = server::applications::form::PRIVACY_CHECKLIST
        .iter()
        .find(|i| i.key == "breach")
        .unwrap()
        .text;
    let lost = &review[review.find("hints-lost").expect("lost hints listed")..];
    assert!(
        lost[..lost.find("</ul>").unwrap()].contains(breach),
        "{review}"
    );
    assert!(review.contains(NOTICE));
    // Developers cannot read the review.
    let res = app
        .post_form(&dev, "review/policy-changes/get", &[("id", &change)])
        .await;
    assert!(!res.status().is_success());

    // Changes requested: a comment is required, and the contacts get it.
    let body = app
        .post_form(
            &reviewer,
            "review/policy-changes/decide",
            &[
                ("id", &change),
                ("decision", "request_changes"),
                ("comment", ""),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("Say what must change"), "{body}");
    let res = app
        .post_form(
            &reviewer,
            "review/policy-changes/decide",
            &[
                ("id", &change),
                ("decision", "request_changes"),
                ("comment", "Keep the breach notice."),
            ],
        )
        .await;
    assert_eq!(
        location(&res),
        format!("/review/policy-changes/{change}?changes_requested=1")
    );
    let asked = app
        .smtp
        .wait_for(
            "cto@acme.example.com",
            "Changes requested to your policy change",
        )
        .await;
    assert!(asked.text().contains("Keep the breach notice."));
    let board = page(&app, &reviewer, "/review/policy-changes").await;
    assert!(
        board.contains("No policy change is waiting for an answer."),
        "{board}"
    );
    assert!(board.contains("100%"), "{board}");

    // Corrected and resubmitted (Wednesday still): a new round, a new clock.
    let res = upload_change(&app, &dev, &change, "terms_of_service", new_terms_pdf()).await;
    assert_eq!(res.status().as_u16(), 200);
    let res = app
        .post_form(
            &dev,
            "policy-changes/submit",
            &[("id", &change), ("enrollee_notice", NOTICE)],
        )
        .await;
    assert_eq!(
        location(&res),
        format!("/access/{rid}/policy-changes?submitted=1")
    );
    let board = page(&app, &reviewer, "/review/policy-changes").await;
    assert!(
        board.contains(&format!("/review/policy-changes/{change}")),
        "{board}"
    );

    // Approval publishes both new versions; the old links stop working.
    let res = app
        .post_form(
            &reviewer,
            "review/policy-changes/decide",
            &[("id", &change), ("decision", "approve")],
        )
        .await;
    assert_eq!(
        location(&res),
        format!("/review/policy-changes/{change}?approved=1")
    );
    for contact in [
        "privacy@acme.example.com",
        "cto@acme.example.com",
        "dev@acme.example.com",
    ] {
        app.smtp.wait_for(contact, "Policy change approved").await;
    }
    let entry = page(&app, &anyone, &format!("/directory/{rid}")).await;
    let published = published_links(&entry, &rid);
    assert_eq!(published.len(), 2, "{entry}");
    assert_eq!(
        published[0],
        format!("/directory/{rid}/documents/{proposed_id}")
    );
    assert_ne!(published[1], original[1], "the terms switched too");
    // Published to anyone, from a developer's upload: sandboxed like every
    // document the portal serves.
    let res = anyone.get(app.url(&published[0])).send().await.unwrap();
    assert_eq!(res.status(), 200);
    portal_tests::assert_sandboxed_pdf(&res);
    let pdf = res.bytes().await.unwrap();
    assert!(portal_tests::pdf_text(&pdf).contains("within 7 days"));
    let (status, pdf) = get(&app, &anyone, &published[1]).await;
    assert_eq!(status, 200);
    assert!(portal_tests::pdf_text(&pdf).contains("30 days notice"));
    for old in &original {
        assert_eq!(get(&app, &anyone, old).await.0, 404, "{old}");
    }

    // A later change can be withdrawn, after confirmation, publishing nothing.
    let second = propose(&app, &live).await;
    assert_ne!(second, change);
    let body = app
        .post_form(&dev, "policy-changes/withdraw", &[("id", &second)])
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("Tick the box to confirm"), "{body}");
    let res = app
        .post_form(
            &dev,
            "policy-changes/withdraw",
            &[("id", &second), ("confirm", "yes")],
        )
        .await;
    assert_eq!(
        location(&res),
        format!("/access/{rid}/policy-changes?withdrawn=1")
    );
    let developer_page = page(&app, &dev, &format!("/access/{rid}/policy-changes")).await;
    assert!(
        developer_page.contains("Propose new documents"),
        "{developer_page}"
    );
    assert!(developer_page.contains("Withdrawn") && developer_page.contains("Approved"));

    // Every step is in the audit trail.
    let actions: Vec<String> = audit_event::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .filter(|a| a.starts_with("policy_change."))
        .collect();
    for action in [
        "policy_change.started",
        "policy_change.document_uploaded",
        "policy_change.submitted",
        "policy_change.changes_requested",
        "policy_change.approved",
        "policy_change.withdrawn",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }

    // A reviewer from the developer's own organization cannot answer a
    // change (the conflict is checked before anything else about it).
    verified_account_of(
        &app,
        "connie@acme.example.com",
        Role::Reviewer,
        "Acme Health",
    )
    .await;
    let connie = sign_in(&app, "connie@acme.example.com").await;
    let body = app
        .post_form(
            &connie,
            "review/policy-changes/decide",
            &[("id", &change), ("decision", "approve"), ("comment", "")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("comes from your own organization (Acme Health)"),
        "{body}"
    );
    app.stop().await;
}

async fn admins_are_warned_a_business_day_before_due_and_when_overdue_once_each(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Monday, November 30, 2026, 10:00 Eastern: due Monday, December 7, 17:00.
    app.set_clock(utc(2026, 11, 30, 15, 0));
    let reviewer = account(&app, "rae@cms.example.gov", Role::Reviewer).await;
    account(&app, "ada@cms.example.gov", Role::Admin).await;
    let live = live_production_app(&app, &reviewer).await;
    let change = propose(&app, &live).await;
    let res = upload_change(
        &app,
        &live.developer,
        &change,
        "privacy_policy",
        new_policy_pdf(),
    )
    .await;
    assert_eq!(res.status().as_u16(), 200);
    let res = app
        .post_form(
            &live.developer,
            "policy-changes/submit",
            &[("id", &change), ("enrollee_notice", NOTICE)],
        )
        .await;
    assert!(location(&res).ends_with("?submitted=1"));
    let rounds = policy_change_round::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(rounds[0].due_at, utc(2026, 12, 7, 22, 0));

    // The portal's own once-a-minute job may run the escalations too, so
    // what counts is the mail queued, not which caller queued it.
    let escalate = |at: DateTime<Utc>| {
        let app = &app;
        async move {
            app.set_clock(at);
            server::policy_changes::send_escalations(&app.state.db, &app.state.notifier(), at)
                .await
                .unwrap();
        }
    };
    // Friday 16:59 Eastern: a business day and a minute left.
    escalate(utc(2026, 12, 4, 21, 59)).await;
    assert_eq!(app.queued_mail("Due within one business day").await, 0);
    // Friday 17:00 Eastern: only Monday's business day is left.
    escalate(utc(2026, 12, 4, 22, 0)).await;
    escalate(utc(2026, 12, 5, 22, 0)).await;
    assert_eq!(
        app.queued_mail("Due within one business day").await,
        1,
        "sent once"
    );
    let soon = app
        .smtp
        .wait_for("ada@cms.example.gov", "Due within one business day")
        .await;
    assert!(
        soon.text()
            .contains("Monday, December 7, 2026, 5:00 PM EST"),
        "{}",
        soon.text()
    );
    let reviewer = sign_in(&app, "rae@cms.example.gov").await;
    let board = page(&app, &reviewer, "/review/policy-changes").await;
    assert!(board.contains("Due within one business day"), "{board}");
    assert!(board.contains("No answers yet"), "{board}");

    // Tuesday morning: overdue, once.
    escalate(utc(2026, 12, 8, 14, 0)).await;
    escalate(utc(2026, 12, 8, 15, 0)).await;
    assert_eq!(
        app.queued_mail("Overdue: policy change").await,
        1,
        "sent once"
    );
    let overdue = app
        .smtp
        .wait_for("ada@cms.example.gov", "Overdue: policy change")
        .await;
    assert!(overdue
        .link_containing(&format!("/review/policy-changes/{change}"))
        .is_some());
    let messages = app.smtp.messages().await;
    assert!(
        !messages
            .iter()
            .any(|m| m.subject().contains("Overdue")
                && m.to.iter().any(|t| t == "rae@cms.example.gov")),
        "escalations go to admins"
    );
    let reviewer = sign_in(&app, "rae@cms.example.gov").await;
    let board = page(&app, &reviewer, "/review/policy-changes").await;
    assert!(board.contains("Overdue by"), "{board}");
    assert!(board.contains("0%"), "{board}");
    let queue = page(&app, &reviewer, "/review").await;
    assert!(queue.contains("(1 open, 1 overdue)"), "{queue}");

    // Answered late: counted as late, and the board is clear.
    let res = app
        .post_form(
            &reviewer,
            "review/policy-changes/decide",
            &[("id", &change), ("decision", "approve")],
        )
        .await;
    assert!(location(&res).ends_with("?approved=1"));
    let board = page(&app, &reviewer, "/review/policy-changes").await;
    assert!(
        board.contains("0%") && board.contains("(0 of 1;"),
        "{board}"
    );
    assert!(board.contains("No policy change is waiting for an answer."));
    let queue = page(&app, &reviewer, "/review").await;
    assert!(queue.contains("(0 open)"), "{queue}");
    escalate(utc(2026, 12, 9, 15, 0)).await;
    assert_eq!(app.queued_mail("Overdue: policy change").await, 1);
    app.stop().await;
}

db_tests!(
    a_change_is_compared_answered_and_published_only_on_approval,
    admins_are_warned_a_business_day_before_due_and_when_overdue_once_each,
);

//! Demos and decisions over HTTP: one booking per slot under concurrency,
//! calendar invitations that updates and cancellations replace, reminders a
//! day ahead, and decisions that need a complete checklist and a passed demo
//! and send a decision letter (PDF) to every contact.
use icalendar::Component;
use mail_parser::MimeHeaders;
use portal_tests::{access::*, db_tests, location, Backend, TestApp};
use server::{
    entities::demo_booking,
    ids::Role,
    sea_orm::{EntityTrait, PaginatorTrait},
};

/// An application submitted by `email`, assigned to the reviewer and with
/// the applicant invited to book a demo.
async fn invited(
    app: &TestApp,
    reviewer: &reqwest::Client,
    email: &str,
    name: &str,
) -> (reqwest::Client, String) {
    let dev = account(app, email, Role::Developer).await;
    let id = start_application(app, &dev, name).await;
    complete(app, &dev, &id).await;
    submit(app, &dev, &id, "0").await;
    app.post_form(reviewer, "review/assign", &[("id", &id)])
        .await;
    let res = app
        .post_form(reviewer, "review/invite", &[("id", &id)])
        .await;
    assert_eq!(location(&res), format!("/review/{id}?invited=1#demo"));
    (dev, id)
}

fn calendar_of(mail: &portal_tests::smtp::Received) -> icalendar::Calendar {
    let parsed = mail.parsed();
    let part = parsed
        .attachments()
        .find(|a| a.attachment_name() == Some("demo.ics"))
        .expect("an .ics attachment");
    String::from_utf8(part.contents().to_vec())
        .unwrap()
        .parse()
        .unwrap()
}

async fn exactly_one_of_two_simultaneous_bookings_gets_the_slot(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let reviewer = account(&app, "rae@cms.example.gov", Role::Reviewer).await;
    let (first, first_id) = invited(
        &app,
        &reviewer,
        "dev@acme.example.com",
        "Acme Claims Viewer",
    )
    .await;
    let (second, second_id) =
        invited(&app, &reviewer, "dev@beta.example.com", "Beta Health Notes").await;
    let slot = publish_slot(&app, &reviewer, 72).await;
    let first_form = [("id", first_id.as_str()), ("slot", slot.as_str())];
    let second_form = [("id", second_id.as_str()), ("slot", slot.as_str())];
    let (a, b) = tokio::join!(
        app.post_form(&first, "review/book", &first_form),
        app.post_form(&second, "review/book", &second_form),
    );
    let outcomes = [location(&a), location(&b)];
    let bodies = [a.text().await.unwrap(), b.text().await.unwrap()];
    let winners = outcomes.iter().filter(|l| l.contains("booked=1")).count();
    assert_eq!(winners, 1, "{outcomes:?} {bodies:?}");
    assert!(
        bodies
            .iter()
            .any(|b| b.contains("Someone else booked that time a moment ago")),
        "{bodies:?}"
    );
    assert_eq!(
        demo_booking::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        1
    );
    app.stop().await;
}

async fn a_demo_is_booked_moved_cancelled_and_reminded_with_calendar_updates(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let reviewer = account(&app, "rae@cms.example.gov", Role::Reviewer).await;
    let (dev, id) = invited(
        &app,
        &reviewer,
        "dev@acme.example.com",
        "Acme Claims Viewer",
    )
    .await;
    let monday = publish_slot(&app, &reviewer, 48).await;
    let later = publish_slot(&app, &reviewer, 20).await;

    let res = app
        .post_form(&dev, "review/book", &[("id", &id), ("slot", &monday)])
        .await;
    assert_eq!(location(&res), format!("/access/{id}?booked=1#demo"));
    let booked = app
        .smtp
        .wait_for("privacy@acme.example.com", "Demo booked")
        .await;
    let calendar = calendar_of(&booked);
    assert_eq!(calendar.property_value("METHOD"), Some("REQUEST"));
    let event = calendar
        .components
        .iter()
        .find_map(|c| c.as_event())
        .unwrap()
        .clone();
    let uid = event.get_uid().unwrap().to_string();
    assert_eq!(event.property_value("SEQUENCE"), Some("0"));
    assert!(
        booked.to.iter().any(|t| t == "rae@cms.example.gov"),
        "the reviewer is invited too: {:?}",
        booked.to
    );
    let overview = page(&app, &dev, &format!("/access/{id}")).await;
    assert!(overview.contains("<dd id=\"access-state\">Demo scheduled</dd>"));
    assert!(overview.contains("https://meet.example.gov/rae"));

    let res = app
        .post_form(&dev, "review/book", &[("id", &id), ("slot", &later)])
        .await;
    assert_eq!(location(&res), format!("/access/{id}?booked=1#demo"));
    let moved = app
        .smtp
        .wait_for("privacy@acme.example.com", "Demo moved")
        .await;
    let calendar = calendar_of(&moved);
    let event = calendar
        .components
        .iter()
        .find_map(|c| c.as_event())
        .unwrap();
    assert_eq!(
        event.get_uid(),
        Some(uid.as_str()),
        "the same event, updated"
    );
    assert_eq!(event.property_value("SEQUENCE"), Some("1"));

    // A day ahead, one reminder (and only one, however often the job runs).
    let now = app.state.clock.now();
    assert_eq!(
        server::review::demos::send_reminders(&app.state.db, &app.state.notifier(), now)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        server::review::demos::send_reminders(&app.state.db, &app.state.notifier(), now)
            .await
            .unwrap(),
        0
    );
    app.smtp
        .wait_for("privacy@acme.example.com", "Reminder: demo tomorrow")
        .await;

    let res = app
        .post_form(&dev, "review/cancel_demo", &[("id", &id)])
        .await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Tick the box to confirm"));
    let res = app
        .post_form(
            &dev,
            "review/cancel_demo",
            &[("id", &id), ("confirm", "yes")],
        )
        .await;
    assert_eq!(
        location(&res),
        format!("/access/{id}?demo_cancelled=1#demo")
    );
    let cancelled = app
        .smtp
        .wait_for("privacy@acme.example.com", "Demo cancelled")
        .await;
    let calendar = calendar_of(&cancelled);
    assert_eq!(calendar.property_value("METHOD"), Some("CANCEL"));
    let event = calendar
        .components
        .iter()
        .find_map(|c| c.as_event())
        .unwrap();
    assert_eq!(event.get_uid(), Some(uid.as_str()));
    assert_eq!(event.property_value("SEQUENCE"), Some("2"));
    assert_eq!(event.property_value("STATUS"), Some("CANCELLED"));
    let overview = page(&app, &dev, &format!("/access/{id}")).await;
    assert!(overview.contains("<dd id=\"access-state\">In review</dd>"));
    app.stop().await;
}

async fn approval_needs_the_whole_checklist_and_a_passed_demo_and_sends_the_letter(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let reviewer = account(&app, "rae@cms.example.gov", Role::Reviewer).await;
    let (dev, id) = invited(
        &app,
        &reviewer,
        "dev@acme.example.com",
        "Acme Claims Viewer",
    )
    .await;
    let other = account(&app, "eve@other.example.com", Role::Developer).await;
    let slot = publish_slot(&app, &reviewer, 30).await;
    app.post_form(&dev, "review/book", &[("id", &id), ("slot", &slot)])
        .await;

    let res = app
        .post_form(
            &reviewer,
            "review/record_demo",
            &[("id", &id), ("outcome", "concerns")],
        )
        .await;
    assert!(res.text().await.unwrap().contains("List the concerns"));
    let res = app
        .post_form(
            &reviewer,
            "review/record_demo",
            &[
                ("id", &id),
                ("outcome", "passed"),
                ("notes[account_creation]", "Clear sign-up."),
                ("shared[account_creation]", "yes"),
                ("notes[sharing]", "Internal: ask legal about the SDK."),
            ],
        )
        .await;
    assert_eq!(location(&res), format!("/review/{id}?demo_recorded=1#demo"));
    let overview = page(&app, &dev, &format!("/access/{id}")).await;
    assert!(
        overview.contains("<dd id=\"demo-outcome\">Passed</dd>"),
        "{overview}"
    );
    // Per-topic notes are internal unless shared (issue 18): the applicant
    // gets the shared one only, the reviewers both.
    assert!(overview.contains("Clear sign-up."), "{overview}");
    assert!(
        !overview.contains("ask legal"),
        "an internal note reached the applicant"
    );
    let reviewed = page(&app, &reviewer, &format!("/review/{id}")).await;
    assert!(reviewed.contains("Clear sign-up.") && reviewed.contains("ask legal"));

    // Not every item evaluated yet.
    let res = app
        .post_form(
            &reviewer,
            "review/approve",
            &[("id", &id), ("data_access_type", "13-month")],
        )
        .await;
    let body = res.text().await.unwrap();
    assert!(
        body.contains("Every checklist item must pass or be not applicable"),
        "{body}"
    );
    let mut form = vec![("id".to_string(), id.clone())];
    form.extend(
        server::review::checklist::items()
            .iter()
            .map(|i| (format!("verdict[{}]", i.key), "pass".to_string())),
    );
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.post_form(&reviewer, "review/evaluate", &pairs).await;

    let res = app
        .post_form(
            &reviewer,
            "review/approve",
            &[("id", &id), ("data_access_type", "research")],
        )
        .await;
    assert_eq!(location(&res), format!("/review/{id}?decided=1#decision"));
    let mail = app
        .smtp
        .wait_for("privacy@acme.example.com", "Production access approved")
        .await;
    assert!(
        mail.to.iter().any(|t| t == "cto@acme.example.com"),
        "every contact: {:?}",
        mail.to
    );
    let parsed = mail.parsed();
    let letter = parsed
        .attachments()
        .find(|a| a.attachment_name() == Some("decision-approved.pdf"))
        .expect("the letter");
    let text = portal_tests::pdf_text(letter.contents());
    assert!(text.contains("Decision: approved"), "{text}");
    assert!(text.contains("Acme Health, Inc."));
    assert!(text.contains("Research: for an approved research study"));

    let overview = page(&app, &dev, &format!("/access/{id}")).await;
    assert!(overview.contains("<dd id=\"access-state\">Approved</dd>"));
    let link_start = overview
        .find("/access/letters/")
        .expect("the letter is on the record");
    let link = &overview[link_start..link_start + "/access/letters/".len() + 36];
    let mine = dev.get(app.url(link)).send().await.unwrap();
    assert_eq!(mine.status(), 200);
    portal_tests::assert_sandboxed_pdf(&mine);
    {
        use server::sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        let audited = server::entities::audit_event::Entity::find()
            .filter(
                server::entities::audit_event::Column::Action
                    .eq("access_request.letter_downloaded"),
            )
            .count(&app.state.db)
            .await
            .unwrap();
        assert_eq!(audited, 1, "the letter's download is on the record");
    }
    assert_eq!(
        other.get(app.url(link)).send().await.unwrap().status(),
        404,
        "not for another developer"
    );

    // A decided application cannot be decided again.
    let res = app
        .post_form(
            &reviewer,
            "review/deny",
            &[
                ("id", &id),
                ("reason", "Changed my mind"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("not possible while the application is approved"));
    app.stop().await;
}

async fn a_denial_needs_a_reason_and_states_it_in_the_letter(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let reviewer = account(&app, "rae@cms.example.gov", Role::Reviewer).await;
    let (dev, id) = invited(
        &app,
        &reviewer,
        "dev@acme.example.com",
        "Acme Claims Viewer",
    )
    .await;
    let res = app
        .post_form(
            &reviewer,
            "review/deny",
            &[("id", &id), ("reason", " "), ("confirm", "yes")],
        )
        .await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Give the reason for the denial"));
    let res = app
        .post_form(
            &reviewer,
            "review/deny",
            &[
                ("id", &id),
                ("reason", "The app does not serve Medicare enrollees."),
            ],
        )
        .await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Tick the box to confirm the denial"));
    let res = app
        .post_form(
            &reviewer,
            "review/deny",
            &[
                ("id", &id),
                ("reason", "The app does not serve Medicare enrollees."),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(location(&res), format!("/review/{id}?decided=1#decision"));
    let mail = app
        .smtp
        .wait_for("privacy@acme.example.com", "Production access denied")
        .await;
    let parsed = mail.parsed();
    let letter = parsed
        .attachments()
        .find(|a| a.attachment_name() == Some("decision-denied.pdf"))
        .unwrap();
    let text = portal_tests::pdf_text(letter.contents());
    assert!(
        text.contains("The app does not serve Medicare enrollees."),
        "{text}"
    );
    let overview = page(&app, &dev, &format!("/access/{id}")).await;
    assert!(overview.contains("<dd id=\"access-state\">Denied</dd>"));
    app.stop().await;
}

db_tests!(
    exactly_one_of_two_simultaneous_bookings_gets_the_slot,
    a_demo_is_booked_moved_cancelled_and_reminded_with_calendar_updates,
    approval_needs_the_whole_checklist_and_a_passed_demo_and_sends_the_letter,
    a_denial_needs_a_reason_and_states_it_in_the_letter,
);

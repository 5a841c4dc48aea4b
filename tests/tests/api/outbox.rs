//! The transactional outbox against a real SMTP server that goes down,
//! refuses an address, or stalls mid-send.
use std::{sync::Arc, time::Duration};

use portal_tests::{access::*, db_tests, Backend, TestApp, TestOptions};
use server::{
    entities::outbox_message,
    ids::Role,
    mail::{
        worker::{OutboxWorker, RetryPolicy, Transport},
        OutgoingEmail,
    },
    sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter},
};

async fn sign_up(app: &TestApp, name: &str, email: &str) {
    let res = app
        .post_form(
            &app.client(),
            "sign_up",
            &[
                ("name", name),
                ("email", email),
                ("organization", "Acme"),
                ("password", "tangerine-kettle-42"),
                ("password_confirm", "tangerine-kettle-42"),
                ("accept_terms", "yes"),
            ],
        )
        .await;
    assert_eq!(portal_tests::location(&res), "/signup/check-email");
}

async fn rows(app: &TestApp) -> Vec<outbox_message::Model> {
    outbox_message::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
}

/// The admin's outbox page, as its server function returns it.
async fn outbox(app: &TestApp, admin: &reqwest::Client) -> serde_json::Value {
    let res = app.post_form(admin, "admin/outbox", &[]).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn mail_queued_while_smtp_is_down_is_delivered_once_it_returns(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    app.smtp.stop();
    let client = app.client();
    let res = app
        .post_form(
            &client,
            "sign_up",
            &[
                ("name", "Outage Olly"),
                ("email", "olly@example.com"),
                ("organization", "Acme"),
                ("password", "tangerine-kettle-42"),
                ("password_confirm", "tangerine-kettle-42"),
                ("accept_terms", "yes"),
            ],
        )
        .await;
    assert_eq!(
        portal_tests::location(&res),
        "/signup/check-email",
        "the sign-up succeeds although mail cannot go out"
    );

    // Wait until the worker has tried and failed at least once.
    let failed_once = async {
        loop {
            let rows = outbox_message::Entity::find()
                .all(&app.state.db)
                .await
                .unwrap();
            if rows
                .iter()
                .any(|m| m.attempts >= 1 && m.last_error.is_some())
            {
                return rows;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let rows = tokio::time::timeout(Duration::from_secs(15), failed_once)
        .await
        .expect("a failed attempt");
    assert_eq!(
        rows[0].status, "pending",
        "a failure is retried, not dropped"
    );
    assert!(app.smtp.messages().await.is_empty());

    app.smtp.resume().await;
    let mail = app
        .smtp
        .wait_for("olly@example.com", "Confirm your email")
        .await;
    assert!(mail.link_containing("/verify-email?token=").is_some());
    // Give any duplicate a chance to show up before counting.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let delivered = app.smtp.messages().await;
    assert_eq!(delivered.len(), 1, "delivered exactly once");
    let row = outbox_message::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "sent");
    assert_eq!(
        outbox_message::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        1
    );
    app.stop().await;
}

/// Six hours without a mail server, in ten-minute steps of the portal's
/// clock with the production retry schedule: nothing is given up, the
/// retries slow to half-hourly instead of hammering, and when the server
/// returns everyone gets their message once.
async fn a_six_hour_smtp_outage_loses_nothing_and_sends_nothing_twice(backend: Backend) {
    let mut app = TestApp::spawn_with(
        backend,
        TestOptions {
            retry: RetryPolicy::default(),
            ..Default::default()
        },
    )
    .await;
    app.smtp.stop();
    let people = ["ana@example.com", "ben@example.com", "cy@example.com"];
    for (name, email) in ["Ana", "Ben", "Cy"].into_iter().zip(people) {
        sign_up(&app, name, email).await;
    }
    app.settle_mail().await;
    for _ in 0..36 {
        app.state.clock.advance(chrono::Duration::minutes(10));
        app.settle_mail().await;
    }
    let now = app.state.clock.now();
    for row in rows(&app).await {
        assert_eq!(
            row.status, "pending",
            "still queued after six hours: {row:?}"
        );
        assert!(row.last_error.is_some());
        assert!(
            row.attempts >= 12 && row.attempts <= 20,
            "retries back off to half-hourly, neither given up nor hammering: {} attempts",
            row.attempts
        );
        assert!(row.next_attempt_at - now <= chrono::Duration::minutes(30));
    }
    assert!(app.smtp.messages().await.is_empty());

    app.smtp.resume().await;
    app.state.clock.advance(chrono::Duration::minutes(31));
    app.settle_mail().await;
    for email in people {
        let mail = app.smtp.wait_for(email, "Confirm your email").await;
        assert!(mail.link_containing("/verify-email?token=").is_some());
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        app.smtp.messages().await.len(),
        3,
        "each delivered exactly once"
    );
    for row in rows(&app).await {
        assert_eq!(row.status, "sent");
        assert_eq!(row.failing_since, None);
    }
    app.stop().await;
}

/// A message to three people, one of whom the receiving server does not
/// know: the other two get it, the bad address is listed for admins, and an
/// admin's retry (once the address works) reaches only that person.
async fn one_refused_address_out_of_three_fails_alone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    verified_account(&app, "admin@cms.example.gov", Role::Admin).await;
    let admin = sign_in(&app, "admin@cms.example.gov").await;
    let people = ["ana@example.com", "gone@example.com", "cy@example.com"];
    app.smtp.refuse("gone@example.com");
    server::mail::enqueue(
        &app.state.db,
        OutgoingEmail {
            to: people.iter().map(|p| p.to_string()).collect(),
            subject: "Your application was approved".into(),
            text: "Hello all".into(),
            html: "<p>Hello all</p>".into(),
            attachments: Vec::new(),
            one_time_links: Vec::new(),
        },
        app.state.clock.now(),
    )
    .await
    .unwrap();
    app.state.mail_wake.notify_one();
    for email in ["ana@example.com", "cy@example.com"] {
        let mail = app.smtp.wait_for(email, "approved").await;
        let to = format!("{:?}", mail.parsed().to());
        assert!(
            people.iter().all(|p| to.contains(p)),
            "everyone sees who it went to: {to}"
        );
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let received: Vec<_> = app
        .smtp
        .messages()
        .await
        .into_iter()
        .filter(|m| m.subject().contains("approved"))
        .collect();
    assert_eq!(
        received.len(),
        2,
        "one copy each, none for the refused address"
    );
    assert!(received
        .iter()
        .all(|m| !m.to.iter().any(|t| t == "gone@example.com")));
    let row = rows(&app)
        .await
        .into_iter()
        .find(|r| r.subject.contains("approved"))
        .unwrap();
    assert_eq!(row.status, "sent");
    let error = row.last_error.clone().unwrap();
    assert!(
        error.contains("gone@example.com") && error.contains("550"),
        "{error}"
    );

    let page = app.post_form(&admin, "admin/outbox", &[]).await;
    assert_eq!(page.status(), 200);
    let page: serde_json::Value = page.json().await.unwrap();
    let listed = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == row.id.to_string())
        .expect("the partly refused message is listed for admins");
    assert_eq!(listed["status"], "Some addresses rejected");

    app.smtp.accept("gone@example.com");
    let res = app
        .post_form(&admin, "admin/outbox/retry", &[("id", &row.id.to_string())])
        .await;
    assert_eq!(portal_tests::location(&res), "/admin/outbox?retried=1");
    app.smtp.wait_for("gone@example.com", "approved").await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let received = app.smtp.messages().await;
    for email in people {
        let copies = received
            .iter()
            .filter(|m| m.to.iter().any(|t| t == email))
            .count();
        assert_eq!(copies, 1, "{email} got the message once");
    }
    let row = outbox_message::Entity::find_by_id(row.id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((row.status.as_str(), row.last_error), ("sent", None));
    app.stop().await;
}

/// An admin's "retry" cannot queue a message that a worker is sending, and
/// a worker that stalled past its lease cannot overwrite what the next one
/// did: a stale failure does not put a delivered message back in the queue.
async fn a_message_being_sent_is_neither_requeued_nor_overwritten(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    verified_account(&app, "admin@cms.example.gov", Role::Admin).await;
    let admin = sign_in(&app, "admin@cms.example.gov").await;
    // Let the admin's own mail go out before the stall.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while rows(&app).await.iter().any(|r| r.status == "pending") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "mail before the stall went out"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before = app.smtp.messages().await.len();
    app.smtp.hold();
    sign_up(&app, "Stuck Stu", "stu@example.com").await;
    app.smtp.wait_until_holding().await;
    let row = outbox_message::Entity::find()
        .filter(outbox_message::Column::Recipients.contains("stu@example.com"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let res = app
        .post_form(&admin, "admin/outbox/retry", &[("id", &row.id.to_string())])
        .await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("being sent right now"));

    // The stalled worker's lease runs out; another instance delivers it.
    app.state.clock.advance(chrono::Duration::minutes(6));
    let files = tempfile::tempdir().unwrap();
    let other = OutboxWorker::new(
        app.state.db.clone(),
        Transport::from_settings(None, files.path()).unwrap(),
        &app.state.settings.mail_from,
        RetryPolicy::default(),
        Arc::new(tokio::sync::Notify::new()),
    )
    .unwrap()
    .with_clock(app.state.clock.clone());
    assert_eq!(other.deliver_due().await.unwrap(), 1);
    assert_eq!(std::fs::read_dir(files.path()).unwrap().count(), 1);

    // Now the stalled send fails. Its record must not undo the delivery.
    app.smtp.release_with_temporary_failure();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    app.state.clock.advance(chrono::Duration::hours(1));
    app.settle_mail().await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let row = outbox_message::Entity::find_by_id(row.id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "sent", "{row:?}");
    assert_eq!(row.attempts, 1, "the stale attempt is not recorded");
    assert_eq!(
        app.smtp.messages().await.len(),
        before,
        "not sent a second time over SMTP"
    );
    app.stop().await;
}

/// An outage longer than the retry window: the messages end failed with the
/// reason, the admin's page shows the backlog and its age, and one "retry
/// all" delivers every one of them once the server is back.
async fn after_the_retry_window_an_admin_queues_every_failed_message_again(backend: Backend) {
    let mut app = TestApp::spawn_with(
        backend,
        TestOptions {
            retry: RetryPolicy {
                give_up_after: Duration::from_secs(3600),
                ..RetryPolicy::default()
            },
            ..Default::default()
        },
    )
    .await;
    verified_account(&app, "admin@cms.example.gov", Role::Admin).await;
    let admin = sign_in(&app, "admin@cms.example.gov").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while rows(&app).await.iter().any(|r| r.status == "pending") {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.smtp.stop();
    let people = ["ana@example.com", "ben@example.com"];
    for (name, email) in ["Ana", "Ben"].into_iter().zip(people) {
        sign_up(&app, name, email).await;
    }
    app.settle_mail().await;
    app.state.clock.advance(chrono::Duration::minutes(30));
    app.settle_mail().await;
    let view = outbox(&app, &admin).await;
    assert_eq!(view["oldest_waiting"], "30 minutes");
    assert_eq!(view["failed"], 0);

    for _ in 0..4 {
        app.state.clock.advance(chrono::Duration::minutes(20));
        app.settle_mail().await;
    }
    let failed: Vec<_> = rows(&app)
        .await
        .into_iter()
        .filter(|r| people.iter().any(|p| r.recipients.contains(p)))
        .collect();
    assert!(failed.iter().all(|r| r.status == "failed"
        && r.last_error
            .as_deref()
            .unwrap_or_default()
            .starts_with("gave up after failing since")));
    let view = outbox(&app, &admin).await;
    assert_eq!(view["failed"], 2);
    assert_eq!(
        view["oldest_waiting"],
        serde_json::Value::Null,
        "nothing is queued any more"
    );

    app.smtp.resume().await;
    let res = app.post_form(&admin, "admin/outbox/retry-all", &[]).await;
    assert_eq!(portal_tests::location(&res), "/admin/outbox?retried_all=2");
    for email in people {
        app.smtp.wait_for(email, "Confirm your email").await;
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    for email in people {
        let copies = app
            .smtp
            .messages()
            .await
            .iter()
            .filter(|m| m.to.iter().any(|t| t == email))
            .count();
        assert_eq!(copies, 1);
    }
    assert_eq!(outbox(&app, &admin).await["failed"], 0);
    let audited = server::entities::audit_event::Entity::find()
        .filter(server::entities::audit_event::Column::Action.eq("outbox.retry"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(audited, 2, "each message queued again is audited");
    app.stop().await;
}

db_tests!(
    mail_queued_while_smtp_is_down_is_delivered_once_it_returns,
    after_the_retry_window_an_admin_queues_every_failed_message_again,
    a_six_hour_smtp_outage_loses_nothing_and_sends_nothing_twice,
    one_refused_address_out_of_three_fails_alone,
    a_message_being_sent_is_neither_requeued_nor_overwritten,
);

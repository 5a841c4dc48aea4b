//! The transactional outbox against a real SMTP server that goes down.
use std::time::Duration;

use portal_tests::{db_tests, Backend, TestApp};
use server::{
    entities::outbox_message,
    sea_orm::{EntityTrait, PaginatorTrait},
};

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

db_tests!(mail_queued_while_smtp_is_down_is_delivered_once_it_returns);

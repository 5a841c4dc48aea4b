//! Retention (issue 19): every table that grows with use shrinks once its
//! rows are past their keep-by date, and nothing still in use goes.
use portal_tests::{access::*, db_tests, fhir, Backend, TestApp};
use server::{
    entities::{
        access_token, api_access, audit_event, authorization_code, authorization_request,
        beneficiary_session, outbox_attachment, outbox_message, refresh_token, session,
    },
    ids::Role,
    mail::{Attachment, OutgoingEmail},
    sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter},
};

#[derive(Debug, PartialEq, Eq)]
struct Counts {
    sessions: u64,
    beneficiary_sessions: u64,
    authorization_requests: u64,
    authorization_codes: u64,
    access_tokens: u64,
    refresh_tokens: u64,
    mail_attachments: u64,
    mail_messages: u64,
    access_log: u64,
}

async fn counts(db: &DatabaseConnection) -> Counts {
    Counts {
        sessions: session::Entity::find().count(db).await.unwrap(),
        beneficiary_sessions: beneficiary_session::Entity::find().count(db).await.unwrap(),
        authorization_requests: authorization_request::Entity::find()
            .count(db)
            .await
            .unwrap(),
        authorization_codes: authorization_code::Entity::find().count(db).await.unwrap(),
        access_tokens: access_token::Entity::find().count(db).await.unwrap(),
        refresh_tokens: refresh_token::Entity::find().count(db).await.unwrap(),
        mail_attachments: outbox_attachment::Entity::find().count(db).await.unwrap(),
        mail_messages: outbox_message::Entity::find().count(db).await.unwrap(),
        access_log: api_access::Entity::find().count(db).await.unwrap(),
    }
}

enum Kind {
    Sqlite,
    Postgres,
}

async fn expired_rows_are_deleted_on_schedule_and_live_ones_kept(backend: Backend) {
    let backend_kind = match backend {
        Backend::Sqlite => Kind::Sqlite,
        Backend::Postgres(_) => Kind::Postgres,
    };
    let app = TestApp::spawn(backend).await;
    app.enrollees(0..1).await;
    let policy = app.state.settings.retention.clone();
    let db = &app.state.db;
    let _dev = account(&app, "dev@acme.example.com", Role::Developer).await;
    let token = fhir::enrollee_token(&app, "BBUser00000").await;
    let (status, _, _) = fhir::get(&app, &token, "/v2/fhir/Patient/").await;
    assert_eq!(status, 200);
    server::mail::enqueue(
        db,
        OutgoingEmail {
            to: vec!["dev@acme.example.com".into()],
            subject: "Your decision letter".into(),
            text: "Attached.".into(),
            html: "<p>Attached.</p>".into(),
            attachments: vec![Attachment {
                filename: "letter.pdf".into(),
                content_type: "application/pdf".into(),
                content: b"%PDF-1.7 letter".to_vec(),
            }],
            one_time_links: Vec::new(),
        },
        app.state.clock.now(),
    )
    .await
    .unwrap();
    app.settle_mail().await;
    app.smtp
        .wait_for("dev@acme.example.com", "decision letter")
        .await;
    // The access log is written behind the responses.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while api_access::Entity::find().count(db).await.unwrap() == 0 {
        assert!(std::time::Instant::now() < deadline, "the read was logged");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let start = counts(db).await;
    assert!(
        start.sessions > 0
            && start.beneficiary_sessions > 0
            && start.authorization_requests > 0
            && start.authorization_codes > 0
            && start.access_tokens > 0
            && start.refresh_tokens > 0
            && start.mail_attachments > 0
            && start.access_log > 0,
        "{start:?}"
    );

    // With several instances on PostgreSQL, one runs it: while another holds
    // the claim, a run does nothing.
    if matches!(backend_kind, Kind::Postgres) {
        use server::sea_orm::{ConnectionTrait, TransactionTrait};
        let other = db.begin().await.unwrap();
        other
            .execute_unprepared("SELECT pg_advisory_xact_lock(hashtext('retention'))")
            .await
            .unwrap();
        let later = app.state.clock.now() + chrono::Duration::days(3650);
        assert_eq!(
            server::retention::run(db, &policy, later).await.unwrap(),
            None
        );
        other.rollback().await.unwrap();
        assert_eq!(counts(db).await, start);
    }

    // Nothing is due yet: everything stays.
    let now = app.state.clock.now();
    let pruned = server::retention::run(db, &policy, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pruned.total(), 0);
    assert_eq!(counts(db).await, start);

    // A month on: sessions, requests and codes long expired, and the access
    // token dead for 30 days, go; the refresh token still works and stays,
    // as does a session signed in today.
    app.state
        .clock
        .advance(chrono::Duration::days(31) + chrono::Duration::hours(2));
    let _today = sign_in(&app, "dev@acme.example.com").await;
    let pruned = server::retention::run(db, &policy, app.state.clock.now())
        .await
        .unwrap()
        .unwrap();
    let month = counts(db).await;
    assert_eq!(month.sessions, 1, "only today's session is left: {month:?}");
    assert_eq!(
        (
            month.beneficiary_sessions,
            month.authorization_requests,
            month.authorization_codes,
            month.access_tokens
        ),
        (0, 0, 0, 0),
        "{month:?}"
    );
    assert_eq!(
        month.refresh_tokens, start.refresh_tokens,
        "a refresh token in use is kept"
    );
    assert_eq!(
        month.mail_attachments, start.mail_attachments,
        "attachments keep 90 days"
    );
    assert_eq!(
        month.access_log, start.access_log,
        "the access log keeps six years"
    );
    assert_eq!(pruned.sessions, start.sessions);
    let audited = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("retention.pruned"))
        .count(db)
        .await
        .unwrap();
    assert_eq!(
        audited, 1,
        "a run that deletes is audited, one that does not is not"
    );

    // Three months on the attachment goes and its message stays; six years
    // on the access log row goes.
    app.state.clock.advance(chrono::Duration::days(60));
    server::retention::run(db, &policy, app.state.clock.now())
        .await
        .unwrap()
        .unwrap();
    let later = counts(db).await;
    assert_eq!(later.mail_attachments, 0);
    assert_eq!(
        outbox_message::Entity::find()
            .filter(outbox_message::Column::Subject.eq("Your decision letter"))
            .count(db)
            .await
            .unwrap(),
        1,
        "the message is the record"
    );
    assert_eq!(later.access_log, start.access_log);
    app.state.clock.advance(chrono::Duration::days(6 * 366));
    server::retention::run(db, &policy, app.state.clock.now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(counts(db).await.access_log, 0);
    app.stop().await;
}

db_tests!(expired_rows_are_deleted_on_schedule_and_live_ones_kept);

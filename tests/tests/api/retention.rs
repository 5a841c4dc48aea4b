//! Retention (issue 19): every table that grows with use shrinks once its
//! rows are past their keep-by date, and nothing still in use goes.
use portal_tests::{access::*, db_tests, fhir, Backend, TestApp};
use server::{
    entities::{
        access_token, api_access, audit_event, authorization_code, authorization_request,
        beneficiary_session, outbox_attachment, outbox_message, refresh_token, session,
        stored_blob,
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
            server::retention::run(db, &app.state.blobs, &policy, later)
                .await
                .unwrap(),
            None
        );
        other.rollback().await.unwrap();
        assert_eq!(counts(db).await, start);
    }

    // Nothing is due yet: everything stays.
    let now = app.state.clock.now();
    let pruned = app.run_retention(now).await;
    assert_eq!(pruned.total(), 0);
    assert_eq!(counts(db).await, start);

    // A month on: sessions, requests and codes long expired, and the access
    // token dead for 30 days, go; the refresh token still works and stays,
    // as does a session signed in today.
    app.state
        .clock
        .advance(chrono::Duration::days(31) + chrono::Duration::hours(2));
    let _today = sign_in(&app, "dev@acme.example.com").await;
    let pruned = app.run_retention(app.state.clock.now()).await;
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
    app.run_retention(app.state.clock.now()).await;
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
    app.run_retention(app.state.clock.now()).await;
    assert_eq!(counts(db).await.access_log, 0);
    app.stop().await;
}

db_tests!(
    expired_rows_are_deleted_on_schedule_and_live_ones_kept,
    unreferenced_files_are_collected_and_recorded_ones_never
);

/// Stored files that no record refers to go a day after their last upload;
/// a recorded file never goes, and an upload of the same bytes as a file
/// being collected waits for it and stores the file again.
async fn unreferenced_files_are_collected_and_recorded_ones_never(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (db, blobs) = (&app.state.db, &app.state.blobs);
    let dev = account(&app, "dev@acme.example.com", Role::Developer).await;
    let id = start_application(&app, &dev, "Acme Claims Viewer").await;
    let recorded = policy_pdf();
    let res = upload(
        &app,
        &dev,
        &id,
        "privacy_policy",
        "privacy.pdf",
        recorded.clone(),
        true,
    )
    .await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    let recorded_doc = body["document"]["id"].as_str().unwrap().to_string();

    // What an upload whose transaction failed leaves: a file, no record.
    let now = app.state.clock.now();
    let orphan = blobs
        .put(db, b"%PDF-1.7 never recorded", now)
        .await
        .unwrap();
    // The terms, stored by an upload that failed, and uploaded again a day later.
    let terms = terms_pdf();
    let terms_sha = blobs.put(db, &terms, now).await.unwrap();
    // A write that was cut off.
    let dir = blobs.files()[0]
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let place = |sha: &str, name: String| {
        let path = dir.join(&sha[..2]).join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"%PDF-1.7 bytes").unwrap();
        path
    };
    let cut_sha = hex_sha256(b"cut off");
    let cut = place(
        &cut_sha,
        format!(".{cut_sha}.{}.part", uuid::Uuid::new_v4()),
    );
    // The claim its upload made before writing.
    server::sea_orm::ActiveModelTrait::insert(
        stored_blob::ActiveModel {
            sha256: server::sea_orm::Set(cut_sha.clone()),
            claimed_at: server::sea_orm::Set(now),
            collecting_since: server::sea_orm::Set(None),
        },
        db,
    )
    .await
    .unwrap();
    let file = |sha: &str| dir.join(&sha[..2]).join(sha);
    let all = [
        file(&hex_sha256(&recorded)),
        file(&orphan),
        file(&terms_sha),
        cut.clone(),
    ];

    // Nothing is a day old yet.
    let pruned = app.run_retention(now).await;
    assert_eq!((pruned.blob_files, pruned.partial_blob_files), (0, 0));
    for path in &all {
        assert!(path.exists(), "{} stays for now", path.display());
    }
    // A file from before the registry, put there later.
    let legacy_sha = hex_sha256(b"from before");
    let legacy = place(&legacy_sha, legacy_sha.clone());

    // A day on: the terms are uploaded again, and recorded this time.
    app.state.clock.advance(chrono::Duration::hours(25));
    let dev = sign_in(&app, "dev@acme.example.com").await;
    let res = upload(
        &app,
        &dev,
        &id,
        "terms_of_service",
        "terms.pdf",
        terms.clone(),
        true,
    )
    .await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    let terms_doc = body["document"]["id"].as_str().unwrap().to_string();
    let pruned = app.run_retention(app.state.clock.now()).await;
    assert_eq!(
        (pruned.blob_files, pruned.partial_blob_files),
        (1, 1),
        "the unrecorded file and the cut-off write go"
    );
    assert!(!file(&orphan).exists() && !cut.exists());
    assert!(
        file(&terms_sha).exists(),
        "the stale copy was claimed again and recorded"
    );
    assert!(
        legacy.exists(),
        "a file the registry did not know gets a day from when it is found"
    );

    app.state.clock.advance(chrono::Duration::hours(25));
    let pruned = app.run_retention(app.state.clock.now()).await;
    assert_eq!(pruned.blob_files, 1);
    assert!(!legacy.exists());
    let dev = sign_in(&app, "dev@acme.example.com").await;
    for (doc, bytes) in [(&recorded_doc, &recorded), (&terms_doc, &terms)] {
        let back = dev
            .get(app.url(&format!("/access/documents/{doc}")))
            .send()
            .await
            .unwrap();
        assert_eq!(back.status(), 200);
        assert!(
            back.bytes().await.unwrap().to_vec() == *bytes,
            "recorded files are whole"
        );
    }
    let audited = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("retention.pruned"))
        .count(db)
        .await
        .unwrap();
    assert_eq!(audited, 2, "each run that deleted files is audited");

    // The handshake: while the collector is removing a file (its row marked,
    // as step 2 does), an upload of the same bytes waits, and once the
    // collector is done it stores the file anew.
    let again = b"%PDF-1.7 collected while uploaded again".to_vec();
    let sha = blobs.put(db, &again, app.state.clock.now()).await.unwrap();
    stored_blob::Entity::update_many()
        .col_expr(
            stored_blob::Column::CollectingSince,
            server::sea_orm::sea_query::Expr::value(app.state.clock.now()),
        )
        .filter(stored_blob::Column::Sha256.eq(sha.clone()))
        .exec(db)
        .await
        .unwrap();
    let upload_again = {
        let (db, blobs, now) = (db.clone(), blobs.clone(), app.state.clock.now());
        let again = again.clone();
        tokio::spawn(async move { blobs.put(&db, &again, now).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert!(
        !upload_again.is_finished(),
        "the upload waits for the collector"
    );
    app.run_retention(app.state.clock.now()).await;
    assert_eq!(upload_again.await.unwrap().unwrap(), sha);
    assert!(
        blobs.get(&sha).await.unwrap() == again,
        "the file is there after all"
    );
    app.stop().await;
}

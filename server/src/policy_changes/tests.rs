//! The service on the in-memory database: the developer's side, the reviewer's, and the one writer of the state column.
use super::*;
use crate::entities::outbox_message;

async fn change_in(db: &impl ConnectionTrait, state: ChangeState) -> Uuid {
    let id = Uuid::new_v4();
    let at: DateTime<Utc> = "2031-09-01T13:00:00Z".parse().unwrap();
    policy_change::ActiveModel {
        id: Set(id),
        request_id: Set(Uuid::new_v4()),
        state: Set(state.as_str().into()),
        open_for: Set(Some(Uuid::new_v4())),
        enrollee_notice: Set(String::new()),
        revision: Set(1),
        created_by: Set(Uuid::new_v4()),
        created_at: Set(at),
        updated_at: Set(at),
        approved_at: Set(None),
    }
    .insert(db)
    .await
    .unwrap();
    id
}

#[tokio::test]
async fn approving_closes_the_change_and_a_late_second_answer_changes_nothing() {
    let db = crate::db::in_memory().await;
    let id = change_in(&db, ChangeState::Submitted).await;
    let now: DateTime<Utc> = "2031-09-03T13:00:00Z".parse().unwrap();
    let to = transition(
        &db,
        id,
        ChangeState::Submitted,
        ChangeStep::Approve,
        now,
        |u| u,
    )
    .await
    .unwrap();
    assert_eq!(to, ChangeState::Approved);
    let row = policy_change::Entity::find_by_id(id)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    // Closed: no longer the app's open change, and approved now.
    assert_eq!((row.open_for, row.approved_at), (None, Some(now)));
    let late = transition(
        &db,
        id,
        ChangeState::Submitted,
        ChangeStep::RequestChanges,
        now,
        |u| u,
    )
    .await;
    assert!(matches!(
        late,
        Err(PolicyChangeError::NotEditable(ChangeState::Submitted))
    ));
    let row = policy_change::Entity::find_by_id(id)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.state, "approved");
}

/// A live production app and its developer, at Example Health.
async fn live_app(db: &DatabaseConnection) -> (CurrentUser, access_request::Model) {
    let owner = crate::testing::account("dev@example.com")
        .insert(db)
        .await
        .unwrap();
    let app = crate::testing::production_app(owner.id, "Claims Tracker", "help@example.com")
        .insert(db)
        .await
        .unwrap();
    let mut request = crate::testing::access_request(owner.id, app.id, "live");
    request.production_app_id = Set(Some(app.id));
    let mut developer = crate::testing::user(crate::ids::Role::Developer);
    developer.id = crate::ids::AccountId(owner.id);
    (developer, request.insert(db).await.unwrap())
}

/// A proposed privacy policy, as `upload` would have stored it.
async fn propose_privacy_policy(db: &DatabaseConnection, change: Uuid, at: DateTime<Utc>) {
    policy_change_document::ActiveModel {
        id: Set(Uuid::new_v4()),
        change_id: Set(change),
        kind: Set(DocumentKind::PrivacyPolicy.as_str().into()),
        filename: Set("privacy-2027.pdf".into()),
        sha256: Set("0".repeat(64)),
        size_bytes: Set(2048),
        page_count: Set(1),
        word_count: Set(300),
        extracted_text: Set("We share nothing.".into()),
        analysis: Set(serde_json::to_string(&applications::analysis::analyse(
            "We share nothing.",
            true,
        ))
        .unwrap()),
        uploaded_by: Set(Uuid::new_v4()),
        uploaded_at: Set(at),
    }
    .insert(db)
    .await
    .unwrap();
}

const NOTICE: &str = "From March 1 we keep your claims for 30 days instead of 90.";

#[tokio::test]
async fn a_submitted_change_is_due_in_five_business_days_and_published_only_once_approved() {
    let db = crate::db::in_memory().await;
    let (developer, request) = live_app(&db).await;
    let mut reviewer_account = crate::testing::account("reviewer@cms.example.gov");
    reviewer_account.role = Set("reviewer".into());
    reviewer_account.insert(&db).await.unwrap();
    let notifier = Notifier::without_worker("https://portal.example.gov");
    let ctx = AuditContext::default();
    let friday: DateTime<Utc> = "2027-02-05T15:00:00Z".parse().unwrap();
    let id = start(&db, &ctx, &developer, request.id, friday)
        .await
        .unwrap();

    let empty = submit(&db, &ctx, &developer, id, "short", &notifier, friday).await;
    assert!(
        matches!(&empty, Err(PolicyChangeError::Common(Common::Invalid(e)))
            if e.get("documents").is_some() && e.get("enrollee_notice").is_some()),
        "{empty:?}"
    );
    propose_privacy_policy(&db, id, friday).await;
    let due = submit(&db, &ctx, &developer, id, NOTICE, &notifier, friday)
        .await
        .unwrap();
    assert_eq!(
        crate::calendar::format_eastern(due, "%A %Y-%m-%d"),
        "Friday 2027-02-12 EST"
    );
    let mail = outbox_message::Entity::find().all(&db).await.unwrap();
    let told: Vec<&str> = mail.iter().map(|m| m.recipients.as_str()).collect();
    assert_eq!(told.len(), 2, "{told:?}");
    assert!(
        told.iter().any(|r| r.contains("dev@example.com")),
        "{told:?}"
    );
    assert!(
        told.iter().any(|r| r.contains("reviewer@cms.example.gov")),
        "{told:?}"
    );
    assert!(approved_documents(&db, request.id)
        .await
        .unwrap()
        .is_empty());
    let again = submit(&db, &ctx, &developer, id, NOTICE, &notifier, friday).await;
    assert!(
        matches!(again, Err(PolicyChangeError::NotEditable(_))),
        "{again:?}"
    );

    let reviewer = crate::testing::user(crate::ids::Role::Reviewer);
    let monday: DateTime<Utc> = "2027-02-08T15:00:00Z".parse().unwrap();
    decide(
        &db,
        &ctx,
        &reviewer,
        id,
        Decision::Approve,
        &notifier,
        monday,
    )
    .await
    .unwrap();
    let published = approved_documents(&db, request.id).await.unwrap();
    assert_eq!(
        published
            .iter()
            .map(|d| d.filename.as_str())
            .collect::<Vec<_>>(),
        ["privacy-2027.pdf"]
    );
}

#[tokio::test]
async fn only_reviewers_decide_and_asking_for_changes_needs_a_comment() {
    let db = crate::db::in_memory().await;
    let (developer, request) = live_app(&db).await;
    let notifier = Notifier::without_worker("https://portal.example.gov");
    let ctx = AuditContext::default();
    let now: DateTime<Utc> = "2027-02-05T15:00:00Z".parse().unwrap();
    let id = start(&db, &ctx, &developer, request.id, now).await.unwrap();
    propose_privacy_policy(&db, id, now).await;
    submit(&db, &ctx, &developer, id, NOTICE, &notifier, now)
        .await
        .unwrap();

    let refused = decide(&db, &ctx, &developer, id, Decision::Approve, &notifier, now).await;
    assert!(
        matches!(refused, Err(PolicyChangeError::Common(Common::Forbidden))),
        "{refused:?}"
    );
    let reviewer = crate::testing::user(crate::ids::Role::Reviewer);
    let blank = Decision::RequestChanges("  ".into());
    let refused = decide(&db, &ctx, &reviewer, id, blank, &notifier, now).await;
    assert!(
        matches!(&refused, Err(PolicyChangeError::Common(Common::Invalid(e))) if e.get("comment").is_some()),
        "{refused:?}"
    );
    let mut colleague = crate::testing::user(crate::ids::Role::Reviewer);
    colleague.organization = "Example Health".into();
    let refused = decide(&db, &ctx, &colleague, id, Decision::Approve, &notifier, now).await;
    assert!(
        matches!(refused, Err(PolicyChangeError::Conflict(_))),
        "{refused:?}"
    );

    let asked = Decision::RequestChanges("Say how long you keep claims.".into());
    decide(&db, &ctx, &reviewer, id, asked, &notifier, now)
        .await
        .unwrap();
    let change = find_change(&db, id).await.unwrap();
    assert_eq!(state_of(&change).unwrap(), ChangeState::ChangesRequested);
    assert!(approved_documents(&db, request.id)
        .await
        .unwrap()
        .is_empty());
}

//! Submitting an application: the applicant signs the attestation, and the
//! answers and documents as they are become an immutable, numbered version
//! that reviewers read and the summary PDF records.
use super::*;

/// Submits the application as version `expected_version + 1`. A second
/// submit of the same version (double click, two tabs) is
/// [`ApplicationError::AlreadySubmitted`] and creates nothing.
#[allow(clippy::too_many_arguments)]
pub async fn submit(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    owner: &CurrentUser,
    id: Uuid,
    expected_version: i32,
    attestation: Attestation,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<i32, ApplicationError> {
    let attestation = signed(attestation)?;
    let txn = crate::db::begin_write(db).await?;
    let request = owned(&txn, owner.id, id).await?;
    if request.current_version != expected_version {
        return Err(ApplicationError::AlreadySubmitted);
    }
    let state = state_of(&request)?;
    let next = state.apply(Transition::Submit).map_err(|_| {
        if state == AccessState::Submitted {
            ApplicationError::AlreadySubmitted
        } else {
            ApplicationError::NotEditable(state)
        }
    })?;
    let sections = sections_of(&txn, id).await?;
    let documents = documents::latest::<access_document::Entity>(&txn, id).await?;
    let missing = all_missing(&sections, &documents);
    if !missing.is_empty() {
        return Err(ApplicationError::Incomplete(missing));
    }
    let version = expected_version + 1;
    let app = application::Entity::find_by_id(request.application_id)
        .one(&txn)
        .await?
        .ok_or(ApplicationError::Common(Common::NotFound))?;
    let snapshot = Snapshot {
        version,
        submitted_at: now,
        app_name: app.name.clone(),
        answers: sections.into_iter().map(|s| (s.key, s.answers)).collect(),
        documents: documents.iter().map(DocumentRef::of).collect(),
        attestation,
    };
    // Each submission waits for a response within 24 US federal business hours.
    let response_due = crate::calendar::closures::calendar(&txn)
        .await?
        .add_business_hours(now, FIRST_RESPONSE_HOURS);
    transition(&txn, id, state, Transition::Submit, now, |update| {
        update
            .col_expr(access_request::Column::CurrentVersion, Expr::value(version))
            .col_expr(access_request::Column::SubmittedAt, Expr::value(now))
            .col_expr(
                access_request::Column::FirstResponseDueAt,
                Expr::value(response_due),
            )
            .col_expr(
                access_request::Column::FirstResponseAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(access_request::Column::CurrentVersion.eq(expected_version))
    })
    .await
    .map_err(|e| match e {
        TransitionError::Db(e) => ApplicationError::from(e),
        // Checked above; only another submit of this version gets here.
        TransitionError::Illegal(_) | TransitionError::Raced { .. } => {
            ApplicationError::AlreadySubmitted
        }
    })?;
    access_request_version::ActiveModel {
        request_id: Set(id),
        version: Set(version),
        snapshot: Set(serde_json::to_string(&snapshot).expect("snapshot serializes")),
        submitted_by: Set(owner.id.0),
        submitted_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => ApplicationError::AlreadySubmitted,
        _ => ApplicationError::from(e),
    })?;
    event(
        &txn,
        id,
        Some(owner.id),
        "submitted",
        if version == 1 {
            "Application submitted (version 1).".to_string()
        } else {
            format!("Changes submitted (version {version}).")
        },
        now,
    )
    .await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("access_request.submitted", "access_request", id)
            .before(serde_json::json!({ "state": state.as_str(), "version": expected_version }))
            .after(serde_json::json!({ "state": next.as_str(), "version": version, "documents": snapshot.documents })),
    )
    .await?;
    tell(&txn, notifier, &request, &snapshot, now).await?;
    txn.commit().await?;
    Ok(version)
}

/// The attestation, trimmed, if it is complete.
fn signed(attestation: Attestation) -> Result<Attestation, ApplicationError> {
    let attestation = Attestation {
        name: attestation.name.trim().to_string(),
        title: attestation.title.trim().to_string(),
        accepted: attestation.accepted,
    };
    let mut errors = FieldErrors::new();
    if attestation.name.is_empty() || attestation.name.chars().count() > 200 {
        errors.add("attest_name", "Enter your full name.");
    }
    if attestation.title.is_empty() || attestation.title.chars().count() > 200 {
        errors.add("attest_title", "Enter your title in the organization.");
    }
    if !attestation.accepted {
        errors.add(
            "attest_terms",
            "Confirm that you have read the Blue Button 2.0 API Terms of Service and that your app meets them.",
        );
    }
    errors.into_result()?;
    Ok(attestation)
}

/// The applicant gets the version's summary PDF; the reviewers get the
/// application to review. Inside the submission's transaction.
async fn tell(
    txn: &impl ConnectionTrait,
    notifier: &Notifier,
    request: &access_request::Model,
    snapshot: &Snapshot,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let version = snapshot.version;
    let summary = mail::Attachment {
        filename: format!("production-access-application-v{version}.pdf"),
        content_type: "application/pdf".into(),
        content: summary::render(snapshot),
    };
    let (application, app) = (request, snapshot.app_name.as_str());
    notifier
        .send(
            txn,
            Notice::ApplicationSubmitted {
                application,
                app,
                version,
                summary,
            },
            now,
        )
        .await?;
    let organization = snapshot.answer("organization", "legal_name");
    notifier
        .send(
            txn,
            Notice::ApplicationToReview {
                application,
                app,
                organization,
                version,
            },
            now,
        )
        .await?;
    Ok(())
}

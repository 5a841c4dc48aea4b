//! Approval and denial. Approval needs every checklist item passed or not
//! applicable and a passed demo; denial needs a reason. Both produce a
//! decision letter (PDF) that is emailed to every contact and kept.
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

use super::{app_name, checklist, demos, verdicts, ReviewError, Verdict};
use crate::{
    accounts::CurrentUser,
    applications::{self, form::DATA_ACCESS_TYPES, Transition},
    audit::{self, AuditContext, AuditRecord},
    blobs::BlobStore,
    entities::{access_request, decision_letter},
    errors::Common,
    mail,
    notifications::{Notice, Notifier},
    pdf::TextDocument,
    validation::FieldErrors,
};

/// A decision as the letter states it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Approved { data_access_type: String },
    Denied { reason: String },
}

impl Decision {
    fn as_str(&self) -> &'static str {
        match self {
            Decision::Approved { .. } => "approved",
            Decision::Denied { .. } => "denied",
        }
    }
}

/// The letter, as a PDF.
pub fn letter(
    app_name: &str,
    organization: &str,
    decision: &Decision,
    reviewer: &str,
    at: DateTime<Utc>,
) -> Vec<u8> {
    let date = at.format("%B %-d, %Y").to_string();
    let doc = TextDocument::new("Blue Button 2.0 API: production access decision")
        .paragraph(&date)
        .paragraph(&format!("To: {organization}"))
        .paragraph(&format!("Application: {app_name}"));
    let doc = match decision {
        Decision::Approved { data_access_type } => {
            let access = DATA_ACCESS_TYPES
                .iter()
                .find(|(v, _)| v == data_access_type)
                .map(|(_, l)| *l)
                .unwrap_or(data_access_type.as_str());
            doc.heading("Decision: approved")
                .paragraph(&format!("The Blue Button 2.0 API team approved production access for {app_name}."))
                .field("Data access approved", access)
                .paragraph("Next, complete the post-approval form in the portal. We will then schedule the handoff of your production credentials to your point of contact.")
                .paragraph("Before rolling out any change to your privacy policy or terms of service, submit the new documents for approval; we respond within five business days.")
        }
        Decision::Denied { reason } => doc
            .heading("Decision: denied")
            .paragraph(&format!(
                "The Blue Button 2.0 API team did not approve production access for {app_name}."
            ))
            .field("Reason", reason)
            .paragraph("You may apply again once the reasons above are addressed."),
    };
    doc.paragraph(&format!("Decided by {reviewer}, Blue Button 2.0 API team."))
        .render()
}

#[allow(clippy::too_many_arguments)]
async fn decide(
    db: &DatabaseConnection,
    blobs: &BlobStore,
    ctx: &AuditContext,
    reviewer: &CurrentUser,
    id: Uuid,
    decision: Decision,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<(), ReviewError> {
    let request = applications::find(db, id).await?;
    let state = applications::state_of(&request)?;
    let transition = match decision {
        Decision::Approved { .. } => Transition::Approve,
        Decision::Denied { .. } => Transition::Deny,
    };
    let next = state.apply(transition)?;
    if let Decision::Approved { .. } = decision {
        let verdicts = verdicts(db, id).await?;
        let mut errors = FieldErrors::new();
        let open: Vec<&str> = checklist::items()
            .iter()
            .filter(|item| {
                !verdicts
                    .iter()
                    .any(|v| v.item.key == item.key && v.verdict != Verdict::NeedsChange)
            })
            .map(|item| item.text)
            .collect();
        if !open.is_empty() {
            errors.add(
                "decision",
                format!("Every checklist item must pass or be not applicable before approval. Still open: {}.", open.join("; ")),
            );
        } else if !demos::passed_demo(db, id).await? {
            errors.add("decision", "Approval needs a passed demo.");
        }
        errors.into_result().map_err(ReviewError::from)?;
    }
    let name = app_name(db, &request).await?;
    let organization = crate::applications::snapshot::latest_snapshot(db, id)
        .await?
        .map(|s| s.answer("organization", "legal_name").to_string())
        .unwrap_or_default();
    let pdf = letter(&name, &organization, &decision, &reviewer.name, now);
    let sha256 = blobs.put(db, &pdf, now).await.map_err(|e| {
        ReviewError::from(sea_orm::DbErr::Custom(format!("storing the letter: {e}")))
    })?;
    let filename = format!("decision-{}.pdf", decision.as_str());
    let written = async {
        let txn = crate::db::begin_write(db).await?;
        applications::transition(&txn, id, state, transition, now, |update| {
            let update = update.col_expr(access_request::Column::DecidedAt, Expr::value(now));
            match &decision {
                Decision::Approved { data_access_type } => update.col_expr(
                    access_request::Column::ApprovedDataAccessType,
                    Expr::value(data_access_type.clone()),
                ),
                Decision::Denied { reason } => update.col_expr(
                    access_request::Column::DecisionReason,
                    Expr::value(reason.clone()),
                ),
            }
        })
        .await?;
        decision_letter::ActiveModel {
            id: Set(Uuid::new_v4()),
            request_id: Set(id),
            decision: Set(decision.as_str().into()),
            filename: Set(filename.clone()),
            sha256: Set(sha256.clone()),
            decided_by: Set(reviewer.id.0),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        applications::event(
            &txn,
            id,
            Some(reviewer.id),
            decision.as_str(),
            match &decision {
                Decision::Approved { .. } => "Application approved. The decision letter was emailed to your contacts.".to_string(),
                Decision::Denied { .. } => "Application denied. The decision letter was emailed to your contacts.".to_string(),
            },
            now,
        )
        .await?;
        audit::record(
            &txn,
            ctx,
            now,
            AuditRecord::new(
                if matches!(decision, Decision::Approved { .. }) { "access_request.approved" } else { "access_request.denied" },
                "access_request",
                id,
            )
            .before(serde_json::json!({ "state": state.as_str() }))
            .after(serde_json::json!({
                "state": next.as_str(),
                "letter_sha256": sha256,
                "data_access_type": match &decision { Decision::Approved { data_access_type } => Some(data_access_type.clone()), _ => None },
                "reason": match &decision { Decision::Denied { reason } => Some(reason.clone()), _ => None },
            })),
        )
        .await?;
        let letter = mail::Attachment {
            filename: filename.clone(),
            content_type: "application/pdf".into(),
            content: pdf.clone(),
        };
        let approved = matches!(decision, Decision::Approved { .. });
        let (application, app) = (&request, name.as_str());
        notifier
            .send(&txn, Notice::Decision { application, app, approved, letter }, now)
            .await?;
        txn.commit().await?;
        Ok::<_, ReviewError>(())
    }
    .await;
    // On failure the letter's file stays for the collector (blobs::collector).
    written
}

/// Approves the application for `data_access_type` (13-month, one-time or research).
#[allow(clippy::too_many_arguments)]
pub async fn approve(
    db: &DatabaseConnection,
    blobs: &BlobStore,
    ctx: &AuditContext,
    reviewer: &CurrentUser,
    id: Uuid,
    data_access_type: &str,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<(), ReviewError> {
    crate::review::independence::require_reviewer_for(db, reviewer, id).await?;
    if !DATA_ACCESS_TYPES
        .iter()
        .any(|(v, _)| *v == data_access_type)
    {
        let mut errors = FieldErrors::new();
        errors.add("data_access_type", "Choose the data access to approve.");
        return Err(ReviewError::from(errors));
    }
    decide(
        db,
        blobs,
        ctx,
        reviewer,
        id,
        Decision::Approved {
            data_access_type: data_access_type.into(),
        },
        notifier,
        now,
    )
    .await
}

/// Denies the application, for `reason` (which the letter states).
#[allow(clippy::too_many_arguments)]
pub async fn deny(
    db: &DatabaseConnection,
    blobs: &BlobStore,
    ctx: &AuditContext,
    reviewer: &CurrentUser,
    id: Uuid,
    reason: &str,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<(), ReviewError> {
    crate::review::independence::require_reviewer_for(db, reviewer, id).await?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 4000 {
        let mut errors = FieldErrors::new();
        errors.add(
            "reason",
            "Give the reason for the denial (up to 4,000 characters): the letter states it.",
        );
        return Err(ReviewError::from(errors));
    }
    decide(
        db,
        blobs,
        ctx,
        reviewer,
        id,
        Decision::Denied {
            reason: reason.into(),
        },
        notifier,
        now,
    )
    .await
}

/// The decision letters of an application (for its applicant and reviewers).
pub async fn letters(
    db: &DatabaseConnection,
    viewer: &CurrentUser,
    id: Uuid,
) -> Result<Vec<decision_letter::Model>, ReviewError> {
    let request = applications::find(db, id).await?;
    if !applications::may_read(&request, viewer) {
        return Err(ReviewError::Common(Common::NotFound));
    }
    Ok(decision_letter::Entity::find()
        .filter(decision_letter::Column::RequestId.eq(id))
        .order_by_asc(decision_letter::Column::CreatedAt)
        .all(db)
        .await?)
}

/// One letter's file name and bytes, for the applicant or a reviewer.
/// Audited, as documents are.
pub async fn letter_file(
    db: &DatabaseConnection,
    blobs: &BlobStore,
    ctx: &AuditContext,
    viewer: &CurrentUser,
    letter: Uuid,
    now: DateTime<Utc>,
) -> Result<(String, Vec<u8>), ReviewError> {
    let row = decision_letter::Entity::find_by_id(letter)
        .one(db)
        .await?
        .ok_or(ReviewError::Common(Common::NotFound))?;
    let request = applications::find(db, row.request_id).await?;
    if !applications::may_read(&request, viewer) {
        return Err(ReviewError::Common(Common::NotFound));
    }
    let bytes = blobs.get(&row.sha256).await.map_err(|e| {
        ReviewError::from(sea_orm::DbErr::Custom(format!("reading the letter: {e}")))
    })?;
    audit::record(
        db,
        ctx,
        now,
        AuditRecord::new("access_request.letter_downloaded", "access_request", row.request_id)
            .after(serde_json::json!({ "letter_id": row.id, "filename": row.filename, "sha256": row.sha256 })),
    )
    .await?;
    Ok((row.filename, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_state_the_decision_and_read_back() {
        let at = DateTime::parse_from_rfc3339("2031-03-04T15:00:00Z")
            .unwrap()
            .to_utc();
        let pdf = letter(
            "Acme",
            "Acme Health",
            &Decision::Denied {
                reason: "No US presence.".into(),
            },
            "Rae",
            at,
        );
        let doc = lopdf::Document::load_mem(&pdf).unwrap();
        let text = doc
            .extract_text(&doc.get_pages().keys().copied().collect::<Vec<_>>())
            .unwrap();
        assert!(text.contains("Decision: denied"));
        assert!(text.contains("No US presence."));
        assert!(
            text.contains("March 4, 2031"),
            "the letter is dated: {text}"
        );
    }
}

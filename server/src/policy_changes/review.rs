//! The reviewer's side of a policy change: each proposed document beside
//! the approved one it would replace, and the answer.
use super::*;

/// One proposed document beside the approved one it would replace.
#[derive(Clone, Debug)]
pub struct DocumentComparison {
    pub kind: DocumentKind,
    pub approved: Option<DocumentView>,
    pub proposed: DocumentView,
    pub diff: TextDiff,
    /// Checklist items the approved text seemed to cover and the proposed one does not.
    pub hints_lost: Vec<String>,
}

/// Everything a reviewer needs to answer a change.
#[derive(Clone, Debug)]
pub struct ReviewView {
    pub change: ChangeView,
    pub comparisons: Vec<DocumentComparison>,
}

/// The reviewer's view: each proposed document beside the approved one.
pub async fn review(
    db: &DatabaseConnection,
    reviewer: &CurrentUser,
    id: Uuid,
) -> Result<ReviewView, PolicyChangeError> {
    require_reviewer(reviewer)?;
    let (change, request) = readable(db, reviewer, id).await?;
    if state_of(&change)? == ChangeState::Draft {
        return Err(PolicyChangeError::Common(Common::NotFound));
    }
    let change = view_of(db, change, &request).await?;
    // While the change is open, compare with what is approved now; once
    // approved, with what it replaced.
    let before = match change.state {
        ChangeState::Approved => {
            let approved_at = change.approved_at.unwrap_or(change.updated_at);
            approved_as_of(db, request.id, Some(approved_at)).await?
        }
        _ => approved_documents(db, request.id).await?,
    };
    let mut comparisons = Vec::new();
    for proposed in &change.proposed {
        let Some(kind) = DocumentKind::parse(&proposed.kind) else {
            continue;
        };
        let approved = before.iter().find(|d| d.kind == proposed.kind).cloned();
        let old_text = match &approved {
            Some(doc) => text_of(db, doc.id).await?,
            None => String::new(),
        };
        let new_text = text_of(db, proposed.id).await?;
        let diff = tokio::task::spawn_blocking(move || diff::sentence_diff(&old_text, &new_text))
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let covered = |hints: &[ChecklistHint], item: &str| {
            hints.iter().any(|h| h.item == item && h.excerpt.is_some())
        };
        let hints_lost = approved
            .as_ref()
            .map(|a| {
                a.analysis
                    .hints
                    .iter()
                    .filter(|h| h.excerpt.is_some())
                    .filter(|h| !covered(&proposed.analysis.hints, &h.item))
                    .map(|h| h.item.clone())
                    .collect()
            })
            .unwrap_or_default();
        comparisons.push(DocumentComparison {
            kind,
            approved,
            proposed: proposed.clone(),
            diff,
            hints_lost,
        });
    }
    Ok(ReviewView {
        change,
        comparisons,
    })
}

/// The extracted text of a document, proposed or from the application.
async fn text_of(db: &impl ConnectionTrait, document: Uuid) -> Result<String, DbErr> {
    if let Some(doc) = policy_change_document::Entity::find_by_id(document)
        .one(db)
        .await?
    {
        return Ok(doc.extracted_text);
    }
    Ok(access_document::Entity::find_by_id(document)
        .one(db)
        .await?
        .map(|d| d.extracted_text)
        .unwrap_or_default())
}

/// A reviewer's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Approve,
    RequestChanges(String),
}

/// Approves the change (the new versions become the approved ones) or asks
/// for changes; either way every contact is told.
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    reviewer: &CurrentUser,
    id: Uuid,
    decision: Decision,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<(), PolicyChangeError> {
    require_reviewer(reviewer)?;
    if let Decision::RequestChanges(comment) = &decision {
        let length = comment.trim().chars().count();
        if length == 0 {
            return Err(invalid(
                "comment",
                "Say what must change: the developer sees this comment.",
            ));
        }
        if length > COMMENT_MAX {
            return Err(invalid(
                "comment",
                "The comment is longer than 5,000 characters; shorten it.",
            ));
        }
    }
    let txn = crate::db::begin_write(db).await?;
    let (change, request) = readable(&txn, reviewer, id).await?;
    let staff = (&reviewer.id.0, reviewer.organization.as_str());
    match crate::review::independence::conflict_with(&txn, staff, &request).await {
        Ok(None) => {}
        Ok(Some(conflict)) => return Err(conflict.into()),
        Err(e) => return Err(e.into()),
    }
    let from = state_of(&change)?;
    if from != ChangeState::Submitted {
        return Err(PolicyChangeError::NotEditable(from));
    }
    let name = crate::applications::snapshot::app_name(&txn, &request).await?;
    let (step, outcome, comment) = match &decision {
        Decision::Approve => (ChangeStep::Approve, "approved", None),
        Decision::RequestChanges(comment) => (
            ChangeStep::RequestChanges,
            "changes_requested",
            Some(comment.trim().to_string()),
        ),
    };
    let to = transition(&txn, id, from, step, now, |u| u).await?;
    answer_round(&txn, id, outcome, comment.as_deref(), reviewer, now).await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new(
            match to {
                ChangeState::Approved => "policy_change.approved",
                _ => "policy_change.changes_requested",
            },
            "policy_change",
            id,
        )
        .before(serde_json::json!({ "state": from.as_str() }))
        .after(serde_json::json!({ "state": to.as_str(), "comment": comment })),
    )
    .await?;
    applications::event(
        &txn,
        request.id,
        Some(reviewer.id),
        &format!("policy_change_{outcome}"),
        match to {
            ChangeState::Approved => {
                "Policy change approved; the new version is published.".to_string()
            }
            _ => "Changes requested to the proposed policy change.".to_string(),
        },
        now,
    )
    .await?;
    let notice = Notice::PolicyChangeAnswered {
        application: &request,
        app: &name,
        comment: comment.as_deref(),
    };
    notifier.send(&txn, notice, now).await?;
    txn.commit().await?;
    Ok(())
}

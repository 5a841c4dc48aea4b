//! Policy changes of live apps: the developer proposes new documents, a
//! reviewer compares and answers within five business days. Every function
//! checks on the server who is asking.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::access::DocumentDto;
#[cfg(feature = "ssr")]
use super::ssr::{internal, Call};
use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyChangeDto {
    pub id: String,
    pub state: String,
    pub state_label: String,
    /// The developer may still upload and submit.
    pub editable: bool,
    pub open: bool,
    pub enrollee_notice: String,
    pub proposed: Vec<DocumentDto>,
    pub submitted: Option<String>,
    /// The answer is due by this (while waiting for review).
    pub due: Option<String>,
    pub requested_changes: Option<String>,
    pub created: String,
    pub closed: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AppPolicyChangesDto {
    pub request_id: String,
    pub app_name: String,
    pub live: bool,
    /// What enrollees and the directory see now.
    pub approved: Vec<DocumentDto>,
    pub open: Option<PolicyChangeDto>,
    pub past: Vec<PolicyChangeDto>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardRowDto {
    pub change_id: String,
    pub app_name: String,
    pub submitted: String,
    pub due: String,
    pub time_left: String,
    /// `on_track`, `due_soon` or `overdue`.
    pub urgency: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardDto {
    pub open: Vec<BoardRowDto>,
    pub answered_on_time: u64,
    pub counted: u64,
    /// "100%" or "No answers yet".
    pub on_time_share: String,
}

/// One sentence of a diff: `same`, `removed` or `added`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLineDto {
    pub kind: String,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComparisonDto {
    pub kind_label: String,
    pub approved: Option<DocumentDto>,
    pub proposed: DocumentDto,
    pub hunks: Vec<Vec<DiffLineDto>>,
    pub added: usize,
    pub removed: usize,
    pub hints_lost: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyReviewDto {
    pub change: PolicyChangeDto,
    pub request_id: String,
    pub app_name: String,
    pub comparisons: Vec<ComparisonDto>,
    /// The reviewer may approve or request changes now.
    pub answerable: bool,
    pub history: Vec<(String, String)>,
}

#[cfg(feature = "ssr")]
fn change_error(error: server::policy_changes::PolicyChangeError) -> AppError {
    use server::policy_changes::PolicyChangeError as E;
    match error {
        E::Common(c) => super::ssr::common(c, "That change does not exist or is not yours."),
        E::NotLive => {
            AppError::Message("Only a live production app can propose policy changes.".into())
        }
        E::NotEditable(state) => AppError::Message(format!(
            "The change is {} and cannot be changed now; reload the page.",
            state.label().to_lowercase()
        )),
        E::Document(e) => AppError::Message(e.to_string()),
        E::Storage(e) => internal(e),
        E::Conflict(c) => AppError::Message(c.to_string()),
        E::Application(e) => super::access::access_error(e),
    }
}

#[cfg(feature = "ssr")]
fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    server::calendar::format_eastern(at, "%b %-d, %Y, %-I:%M %p")
}

#[cfg(feature = "ssr")]
fn change_dto(change: &server::policy_changes::ChangeView) -> PolicyChangeDto {
    use server::policy_changes::ChangeState;
    let open_round = change.open_round();
    PolicyChangeDto {
        id: change.id.to_string(),
        state: change.state.as_str().into(),
        state_label: change.state.label().into(),
        editable: change.state.developer_may_edit(),
        open: change.state.is_open(),
        enrollee_notice: change.enrollee_notice.clone(),
        proposed: change
            .proposed
            .iter()
            .map(|d| super::access::document_dto(d, format!("/policy-changes/documents/{}", d.id)))
            .collect(),
        submitted: change.rounds.last().map(|r| when(r.submitted_at)),
        due: open_round.map(|r| when(r.due_at)),
        requested_changes: (change.state == ChangeState::ChangesRequested)
            .then(|| change.requested_changes().map(str::to_string))
            .flatten(),
        created: when(change.created_at),
        closed: (!change.state.is_open()).then(|| when(change.updated_at)),
    }
}

#[cfg(feature = "ssr")]
fn parse_id(id: &str) -> Result<uuid::Uuid, AppError> {
    super::format::id(id, "That change does not exist or is not yours.")
}

/// Published documents of a listed app: the approved versions, each linked
/// by its own id so that the link changes when a new version is approved.
#[cfg(feature = "ssr")]
pub(crate) fn published_dto(
    request_id: uuid::Uuid,
    d: &server::applications::DocumentView,
) -> DocumentDto {
    super::access::document_dto(d, format!("/directory/{request_id}/documents/{}", d.id))
}

#[server(endpoint = "policy-changes/for-app")]
pub async fn app_policy_changes(request_id: String) -> Result<AppPolicyChangesDto, AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    let request_id = parse_id(&request_id)?;
    let app = server::policy_changes::for_app(&call.state.db, &user, request_id)
        .await
        .map_err(change_error)?;
    let (open, past): (Vec<_>, Vec<_>) = app.changes.iter().partition(|c| c.state.is_open());
    Ok(AppPolicyChangesDto {
        request_id: request_id.to_string(),
        app_name: app.app_name.clone(),
        live: app.live,
        approved: app
            .approved
            .iter()
            .map(|d| published_dto(request_id, d))
            .collect(),
        open: open.first().map(|c| change_dto(c)),
        past: past.into_iter().map(change_dto).collect(),
    })
}

#[server(endpoint = "policy-changes/start")]
pub async fn start_policy_change(request_id: String) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    let id = parse_id(&request_id)?;
    server::policy_changes::start(&call.state.db, &call.audit_as(&user), &user, id, call.now())
        .await
        .map_err(change_error)?;
    call.redirect(&format!("/access/{id}/policy-changes#documents"));
    Ok(())
}

#[server(endpoint = "policy-changes/submit")]
pub async fn submit_policy_change(id: String, enrollee_notice: String) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    let kept = [("enrollee_notice", enrollee_notice.as_str())];
    let change_id = parse_id(&id).map_err(|e| e.keeping(&kept))?;
    let db = &call.state.db;
    let change = server::policy_changes::get(db, &user, change_id)
        .await
        .map_err(|e| change_error(e).keeping(&kept))?;
    server::policy_changes::submit(
        db,
        &call.audit_as(&user),
        &user,
        change_id,
        &enrollee_notice,
        &call.notifier(),
        call.now(),
    )
    .await
    .map_err(|e| change_error(e).keeping(&kept))?;
    call.redirect(&format!(
        "/access/{}/policy-changes?submitted=1",
        change.request_id
    ));
    Ok(())
}

#[server(endpoint = "policy-changes/withdraw")]
pub async fn withdraw_policy_change(id: String, confirm: Option<String>) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    let change_id = parse_id(&id)?;
    if confirm.is_none() {
        let mut errors = std::collections::BTreeMap::new();
        errors.insert(
            "confirm".to_string(),
            "Tick the box to confirm: the proposed documents will not be reviewed.".to_string(),
        );
        return Err(AppError::Fields(errors));
    }
    let db = &call.state.db;
    let change = server::policy_changes::get(db, &user, change_id)
        .await
        .map_err(change_error)?;
    server::policy_changes::withdraw(db, &call.audit_as(&user), &user, change_id, call.now())
        .await
        .map_err(change_error)?;
    call.redirect(&format!(
        "/access/{}/policy-changes?withdrawn=1",
        change.request_id
    ));
    Ok(())
}

#[cfg(feature = "ssr")]
fn duration_words(d: chrono::Duration) -> String {
    let minutes = d.num_minutes().abs();
    let (hours, minutes) = (minutes / 60, minutes % 60);
    let amount = if hours > 0 {
        format!("{hours} h {minutes:02} min")
    } else {
        format!("{minutes} min")
    };
    if d < chrono::Duration::zero() {
        format!("Overdue by {amount}")
    } else {
        format!("{amount} of business time")
    }
}

#[server(endpoint = "review/policy-changes")]
pub async fn policy_change_board() -> Result<BoardDto, AppError> {
    use server::policy_changes::Urgency;
    let call = Call::capture();
    let reviewer = call.require_reviewer().await?;
    let board = server::policy_changes::board(&call.state.db, &reviewer, call.now())
        .await
        .map_err(change_error)?;
    Ok(BoardDto {
        on_time_share: board
            .on_time_percent()
            .map(|p| format!("{p:.0}%"))
            .unwrap_or_else(|| "No answers yet".into()),
        answered_on_time: board.answered_on_time,
        counted: board.counted,
        open: board
            .open
            .into_iter()
            .map(|r| BoardRowDto {
                change_id: r.change_id.to_string(),
                app_name: r.app_name,
                submitted: when(r.submitted_at),
                due: when(r.due_at),
                time_left: duration_words(r.business_time_left),
                urgency: match r.urgency {
                    Urgency::OnTrack => "on_track",
                    Urgency::DueSoon => "due_soon",
                    Urgency::Overdue => "overdue",
                }
                .into(),
            })
            .collect(),
    })
}

#[server(endpoint = "review/policy-changes/get")]
pub async fn policy_change_review(id: String) -> Result<PolicyReviewDto, AppError> {
    use server::policy_changes::{ChangeState, DiffLine};
    let call = Call::capture();
    let reviewer = call.require_reviewer().await?;
    let review = server::policy_changes::review(&call.state.db, &reviewer, parse_id(&id)?)
        .await
        .map_err(change_error)?;
    let request_id = review.change.request_id;
    let line = |l: &DiffLine| match l {
        DiffLine::Same(t) => DiffLineDto {
            kind: "same".into(),
            text: t.clone(),
        },
        DiffLine::Removed(t) => DiffLineDto {
            kind: "removed".into(),
            text: t.clone(),
        },
        DiffLine::Added(t) => DiffLineDto {
            kind: "added".into(),
            text: t.clone(),
        },
    };
    Ok(PolicyReviewDto {
        change: change_dto(&review.change),
        request_id: request_id.to_string(),
        app_name: review.change.app_name.clone(),
        answerable: review.change.state == ChangeState::Submitted,
        history: review
            .change
            .rounds
            .iter()
            .map(|r| {
                let answer = match (r.outcome.as_deref(), r.answered_at) {
                    (Some("approved"), Some(at)) => format!("approved {}", when(at)),
                    (Some("changes_requested"), Some(at)) => format!(
                        "changes requested {}: {}",
                        when(at),
                        r.comment.clone().unwrap_or_default()
                    ),
                    (Some("withdrawn"), Some(at)) => format!("withdrawn {}", when(at)),
                    _ => format!("waiting; due {}", when(r.due_at)),
                };
                (when(r.submitted_at), answer)
            })
            .collect(),
        comparisons: review
            .comparisons
            .iter()
            .map(|c| ComparisonDto {
                kind_label: c.kind.label().into(),
                approved: c.approved.as_ref().map(|d| {
                    super::access::document_dto(
                        d,
                        format!("/directory/{request_id}/documents/{}", d.id),
                    )
                }),
                proposed: super::access::document_dto(
                    &c.proposed,
                    format!("/policy-changes/documents/{}", c.proposed.id),
                ),
                hunks: c
                    .diff
                    .hunks
                    .iter()
                    .map(|h| h.iter().map(line).collect())
                    .collect(),
                added: c.diff.added,
                removed: c.diff.removed,
                hints_lost: c
                    .hints_lost
                    .iter()
                    .map(|k| super::access::checklist_text(k))
                    .collect(),
            })
            .collect(),
    })
}

#[server(endpoint = "review/policy-changes/decide")]
pub async fn decide_policy_change(
    id: String,
    decision: String,
    comment: Option<String>,
) -> Result<(), AppError> {
    use server::policy_changes::Decision;
    let call = Call::capture();
    let reviewer = call.require_reviewer().await?;
    let comment = comment.unwrap_or_default();
    let kept = [("comment", comment.as_str())];
    let change_id = parse_id(&id)?;
    let decision = match decision.as_str() {
        "approve" => Decision::Approve,
        "request_changes" => Decision::RequestChanges(comment.clone()),
        _ => {
            return Err(AppError::Message(
                "Choose to approve the change or to request changes.".into(),
            )
            .keeping(&kept))
        }
    };
    let approving = decision == Decision::Approve;
    server::policy_changes::decide(
        &call.state.db,
        &call.audit_as(&reviewer),
        &reviewer,
        change_id,
        decision,
        &call.notifier(),
        call.now(),
    )
    .await
    .map_err(|e| change_error(e).keeping(&kept))?;
    call.redirect(&format!(
        "/review/policy-changes/{change_id}?{}=1",
        if approving {
            "approved"
        } else {
            "changes_requested"
        }
    ));
    Ok(())
}

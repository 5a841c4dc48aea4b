//! Changes to a live app's privacy policy or terms of service ("Changes to
//! your privacy policy and terms of service" in the production-access guide):
//! the developer proposes new documents with the notice enrollees will get,
//! and may not publish them until a reviewer approves. The reviewer must
//! answer within five federal business days of each submission; admins are
//! warned one business day before that and again when it is overdue.
//!
//! Until approval, the portal (the public directory and the app's pages)
//! keeps showing the approved versions: those of the last approved change, or
//! else the ones approved with the production-access application.
mod deadlines;
pub mod diff;
pub mod http;
mod review;
pub mod state;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, UpdateMany,
};
use uuid::Uuid;

pub use deadlines::{board, send_escalations, Board, BoardRow, Urgency};
pub use diff::{DiffLine, TextDiff};
pub use review::{decide, review, Decision, DocumentComparison, ReviewView};
pub use state::{ChangeState, ChangeStep};

use crate::{
    accounts::CurrentUser,
    applications::{
        self, analysis::ChecklistHint, AccessState, ApplicationError, DocumentError, DocumentKind,
        DocumentView,
    },
    audit::{self, AuditContext, AuditRecord},
    blobs::BlobStore,
    calendar::closures,
    entities::{
        access_document, access_request, policy_change, policy_change_document, policy_change_round,
    },
    errors::Common,
    notifications::{Notice, Notifier},
    validation::FieldErrors,
};

/// The guide: changes must be approved within five business days.
pub const ANSWER_WITHIN_BUSINESS_DAYS: u32 = 5;
const NOTICE_MIN: usize = 40;
const NOTICE_MAX: usize = 10_000;
const COMMENT_MAX: usize = 5_000;

#[derive(Debug, thiserror::Error)]
pub enum PolicyChangeError {
    /// Refusals and failures every feature has; see [`crate::errors`].
    #[error(transparent)]
    Common(Common),
    #[error("only a live production app can propose policy changes")]
    NotLive,
    #[error("the change is {} and cannot be changed now", .0.label().to_lowercase())]
    NotEditable(ChangeState),
    #[error("{0}")]
    Document(#[from] DocumentError),
    #[error("file storage failed: {0}")]
    Storage(#[from] std::io::Error),
    /// The reviewer's own account or organization made the application.
    #[error(transparent)]
    Conflict(#[from] crate::review::independence::Conflict),
    #[error(transparent)]
    Application(ApplicationError),
}

crate::wraps_common!(PolicyChangeError);

/// Lossless: what policy changes share with applications keeps its own
/// variant, and the rest (a stored state that does not parse, say) stays an
/// application error for the edge to word.
impl From<ApplicationError> for PolicyChangeError {
    fn from(error: ApplicationError) -> Self {
        match error {
            ApplicationError::Common(common) => Self::Common(common),
            ApplicationError::Document(e) => Self::Document(e),
            ApplicationError::Storage(e) => Self::Storage(e),
            other => Self::Application(other),
        }
    }
}

/// Moves change `id` from `expected` by `step`, with the columns `also`
/// adds, only if it is still `expected`: the one writer of the state column.
/// A step the rule refuses, or a change moved meanwhile, writes nothing and is
/// [`PolicyChangeError::NotEditable`] in the state the caller read.
async fn transition(
    db: &impl ConnectionTrait,
    id: Uuid,
    expected: ChangeState,
    step: ChangeStep,
    now: DateTime<Utc>,
    also: impl FnOnce(UpdateMany<policy_change::Entity>) -> UpdateMany<policy_change::Entity>,
) -> Result<ChangeState, PolicyChangeError> {
    let next = expected
        .apply(step)
        .ok_or(PolicyChangeError::NotEditable(expected))?;
    let mut update = policy_change::Entity::update_many()
        .col_expr(policy_change::Column::State, Expr::value(next.as_str()))
        .col_expr(policy_change::Column::UpdatedAt, Expr::value(now));
    if !next.is_open() {
        update = update.col_expr(
            policy_change::Column::OpenFor,
            Expr::value(Option::<Uuid>::None),
        );
    }
    if next == ChangeState::Approved {
        update = update.col_expr(policy_change::Column::ApprovedAt, Expr::value(now));
    }
    let moved = also(update)
        .filter(policy_change::Column::Id.eq(id))
        .filter(policy_change::Column::State.eq(expected.as_str()))
        .exec(db)
        .await?;
    if moved.rows_affected != 1 {
        return Err(PolicyChangeError::NotEditable(expected));
    }
    Ok(next)
}

fn invalid(field: &str, message: &str) -> PolicyChangeError {
    let mut errors = FieldErrors::new();
    errors.add(field, message);
    PolicyChangeError::from(errors)
}

/// The stored state, parsed strictly, as `applications::state_of` does.
fn state_of(change: &policy_change::Model) -> Result<ChangeState, DbErr> {
    ChangeState::parse(&change.state).ok_or_else(|| {
        DbErr::Custom(format!(
            "policy change {} has a state this version does not know: {:?}",
            change.id, change.state
        ))
    })
}

/// One submission and its answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoundView {
    pub submitted_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    /// `approved`, `changes_requested` or `withdrawn`.
    pub outcome: Option<String>,
    pub comment: Option<String>,
}

impl RoundView {
    /// Answered by a reviewer by the due date; `None` while open or withdrawn.
    pub fn on_time(&self) -> Option<bool> {
        match (self.answered_at, self.outcome.as_deref()) {
            (_, Some("withdrawn")) | (None, _) => None,
            (Some(at), _) => Some(at <= self.due_at),
        }
    }
}

/// A change as the developer and reviewers see it.
#[derive(Clone, Debug)]
pub struct ChangeView {
    pub id: Uuid,
    pub request_id: Uuid,
    pub app_name: String,
    pub owner_id: Uuid,
    pub state: ChangeState,
    pub enrollee_notice: String,
    /// The latest proposed upload of each kind.
    pub proposed: Vec<DocumentView>,
    /// Oldest first.
    pub rounds: Vec<RoundView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub approved_at: Option<DateTime<Utc>>,
}

impl ChangeView {
    /// The submission waiting for an answer.
    pub fn open_round(&self) -> Option<&RoundView> {
        self.rounds.last().filter(|r| r.answered_at.is_none())
    }

    /// The reviewer's comment on the latest answer, when it asked for changes.
    pub fn requested_changes(&self) -> Option<&str> {
        self.rounds
            .last()
            .filter(|r| r.outcome.as_deref() == Some("changes_requested"))
            .and_then(|r| r.comment.as_deref())
    }
}

/// A live app's policy changes for its developer: the approved documents,
/// and every change, newest first.
#[derive(Clone, Debug)]
pub struct AppChanges {
    pub request_id: Uuid,
    pub app_name: String,
    pub live: bool,
    pub approved: Vec<DocumentView>,
    pub changes: Vec<ChangeView>,
}

fn require_reviewer(user: &CurrentUser) -> Result<(), PolicyChangeError> {
    if user.role.can_review() {
        Ok(())
    } else {
        Err(PolicyChangeError::Common(Common::Forbidden))
    }
}

/// The application behind a live app, if `owner` owns it.
async fn owned_request(
    db: &impl ConnectionTrait,
    owner: &CurrentUser,
    request_id: Uuid,
) -> Result<access_request::Model, PolicyChangeError> {
    let request = applications::find(db, request_id).await?;
    if request.owner_id != owner.id.0 {
        return Err(PolicyChangeError::Common(Common::NotFound));
    }
    Ok(request)
}

async fn find_change(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<policy_change::Model, PolicyChangeError> {
    policy_change::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(PolicyChangeError::Common(Common::NotFound))
}

/// The change and its application, if `viewer` owns it or reviews.
async fn readable(
    db: &impl ConnectionTrait,
    viewer: &CurrentUser,
    id: Uuid,
) -> Result<(policy_change::Model, access_request::Model), PolicyChangeError> {
    let change = find_change(db, id).await?;
    let request = applications::find(db, change.request_id).await?;
    if !applications::may_read(&request, viewer) {
        return Err(PolicyChangeError::Common(Common::NotFound));
    }
    Ok((change, request))
}

/// The change and its application, if `owner` owns it and may still edit it.
async fn editable(
    db: &impl ConnectionTrait,
    owner: &CurrentUser,
    id: Uuid,
) -> Result<(policy_change::Model, access_request::Model), PolicyChangeError> {
    let change = find_change(db, id).await?;
    let request = owned_request(db, owner, change.request_id).await?;
    let state = state_of(&change)?;
    if !state.developer_may_edit() {
        return Err(PolicyChangeError::NotEditable(state));
    }
    Ok((change, request))
}

async fn proposed_documents(
    db: &impl ConnectionTrait,
    change: Uuid,
) -> Result<Vec<DocumentView>, DbErr> {
    let rows =
        applications::documents::latest::<policy_change_document::Entity>(db, change).await?;
    Ok(rows.into_iter().map(DocumentView::from_row).collect())
}

async fn view_of(
    db: &impl ConnectionTrait,
    change: policy_change::Model,
    request: &access_request::Model,
) -> Result<ChangeView, DbErr> {
    let rounds = policy_change_round::Entity::find()
        .filter(policy_change_round::Column::ChangeId.eq(change.id))
        .order_by_asc(policy_change_round::Column::SubmittedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|r| RoundView {
            submitted_at: r.submitted_at,
            due_at: r.due_at,
            answered_at: r.answered_at,
            outcome: r.outcome,
            comment: r.comment,
        })
        .collect();
    Ok(ChangeView {
        proposed: proposed_documents(db, change.id).await?,
        app_name: crate::applications::snapshot::app_name(db, request).await?,
        owner_id: request.owner_id,
        state: state_of(&change)?,
        id: change.id,
        request_id: change.request_id,
        enrollee_notice: change.enrollee_notice,
        rounds,
        created_at: change.created_at,
        updated_at: change.updated_at,
        approved_at: change.approved_at,
    })
}

/// The documents enrollees and the directory see for `request_id` now: of
/// each kind, the one from the latest approved change that had one, else the
/// one approved with the application.
pub async fn approved_documents(
    db: &impl ConnectionTrait,
    request_id: Uuid,
) -> Result<Vec<DocumentView>, DbErr> {
    approved_as_of(db, request_id, None).await
}

/// The approved documents counting only changes approved before `before`
/// (all of them when `None`).
async fn approved_as_of(
    db: &impl ConnectionTrait,
    request_id: Uuid,
    before: Option<DateTime<Utc>>,
) -> Result<Vec<DocumentView>, DbErr> {
    let mut query = policy_change::Entity::find()
        .filter(policy_change::Column::RequestId.eq(request_id))
        .filter(policy_change::Column::State.eq(ChangeState::Approved.as_str()));
    if let Some(before) = before {
        query = query.filter(policy_change::Column::ApprovedAt.lt(before));
    }
    let approved = query
        .order_by_desc(policy_change::Column::ApprovedAt)
        .all(db)
        .await?;
    let mut proposed_by_change = Vec::with_capacity(approved.len());
    for change in &approved {
        proposed_by_change.push(proposed_documents(db, change.id).await?);
    }
    let mut original = applications::submitted_documents(db, request_id).await?;
    let mut out = Vec::new();
    for kind in DocumentKind::ALL {
        let from_change = proposed_by_change
            .iter()
            .find_map(|docs| docs.iter().find(|d| d.kind == kind.as_str()).cloned());
        let doc = from_change.or_else(|| {
            original
                .iter()
                .position(|d| d.kind == kind.as_str())
                .map(|i| original.remove(i))
        });
        out.extend(doc);
    }
    Ok(out)
}

/// `owner`'s live app's changes, for the developer's page.
pub async fn for_app(
    db: &DatabaseConnection,
    owner: &CurrentUser,
    request_id: Uuid,
) -> Result<AppChanges, PolicyChangeError> {
    let request = owned_request(db, owner, request_id).await?;
    let rows = policy_change::Entity::find()
        .filter(policy_change::Column::RequestId.eq(request_id))
        .order_by_desc(policy_change::Column::CreatedAt)
        .all(db)
        .await?;
    let mut changes = Vec::with_capacity(rows.len());
    for row in rows {
        changes.push(view_of(db, row, &request).await?);
    }
    Ok(AppChanges {
        request_id,
        app_name: crate::applications::snapshot::app_name(db, &request).await?,
        live: applications::state_of(&request)? == AccessState::Live,
        approved: approved_documents(db, request_id).await?,
        changes,
    })
}

/// Opens a draft change for `owner`'s live app, or returns the open one.
pub async fn start(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    owner: &CurrentUser,
    request_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Uuid, PolicyChangeError> {
    let txn = crate::db::begin_write(db).await?;
    let request = owned_request(&txn, owner, request_id).await?;
    if !applications::state_of(&request)?.may_propose_policy_changes() {
        return Err(PolicyChangeError::NotLive);
    }
    // A double click starts two of these at once. On PostgreSQL the second
    // waits here for the first to commit and then finds its change, instead
    // of tripping the one-open-change constraint (SQLite's write lock,
    // taken by `begin_write`, already serializes them).
    access_request::Entity::find_by_id(request_id)
        .lock_exclusive()
        .one(&txn)
        .await?;
    if let Some(open) = policy_change::Entity::find()
        .filter(policy_change::Column::OpenFor.eq(request_id))
        .one(&txn)
        .await?
    {
        return Ok(open.id);
    }
    let id = Uuid::new_v4();
    policy_change::ActiveModel {
        id: Set(id),
        request_id: Set(request_id),
        state: Set(ChangeState::Draft.as_str().into()),
        open_for: Set(Some(request_id)),
        enrollee_notice: Set(String::new()),
        revision: Set(0),
        created_by: Set(owner.id.0),
        created_at: Set(now),
        updated_at: Set(now),
        approved_at: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("policy_change.started", "policy_change", id)
            .after(serde_json::json!({ "request_id": request_id })),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// A change, for its developer or a reviewer.
pub async fn get(
    db: &DatabaseConnection,
    viewer: &CurrentUser,
    id: Uuid,
) -> Result<ChangeView, PolicyChangeError> {
    let (change, request) = readable(db, viewer, id).await?;
    Ok(view_of(db, change, &request).await?)
}

/// Checks, analyses and stores a proposed document. Nothing is kept unless
/// everything succeeds.
#[allow(clippy::too_many_arguments)]
pub async fn upload(
    db: &DatabaseConnection,
    blobs: &BlobStore,
    ctx: &AuditContext,
    owner: &CurrentUser,
    id: Uuid,
    kind: DocumentKind,
    filename: &str,
    bytes: Vec<u8>,
    now: DateTime<Utc>,
) -> Result<(Uuid, DocumentView), PolicyChangeError> {
    let (change, _) = editable(db, owner, id).await?;
    let stored = applications::store_pdf(db, blobs, kind, bytes, now).await?;
    let filename = applications::display_filename(filename, kind);
    let recorded = async {
        let txn = crate::db::begin_write(db).await?;
        editable(&txn, owner, id).await?;
        let doc = policy_change_document::ActiveModel {
            id: Set(Uuid::new_v4()),
            change_id: Set(id),
            kind: Set(kind.as_str().into()),
            filename: Set(filename.clone()),
            sha256: Set(stored.sha256.clone()),
            size_bytes: Set(stored.pdf.bytes.len() as i64),
            page_count: Set(stored.pdf.page_count as i32),
            word_count: Set(stored.analysis.readability.words as i32),
            extracted_text: Set(stored.pdf.text.clone()),
            analysis: Set(serde_json::to_string(&stored.analysis).expect("analysis serializes")),
            uploaded_by: Set(owner.id.0),
            uploaded_at: Set(now),
        }
        .insert(&txn)
        .await?;
        policy_change::Entity::update_many()
            .col_expr(policy_change::Column::UpdatedAt, Expr::value(now))
            .filter(policy_change::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        audit::record(
            &txn,
            ctx,
            now,
            AuditRecord::new("policy_change.document_uploaded", "policy_change", id).after(
                serde_json::json!({ "document_id": doc.id, "kind": kind.as_str(), "filename": filename, "sha256": stored.sha256, "size_bytes": doc.size_bytes }),
            ),
        )
        .await?;
        txn.commit().await?;
        Ok::<_, PolicyChangeError>(doc)
    }
    .await;
    // On failure the stored file stays for the collector (blobs::collector).
    recorded.map(|doc| {
        let view = DocumentView {
            id: doc.id,
            kind: doc.kind,
            filename: doc.filename,
            sha256: doc.sha256,
            size_bytes: doc.size_bytes,
            page_count: doc.page_count,
            word_count: doc.word_count,
            analysis: stored.analysis.clone(),
            uploaded_at: doc.uploaded_at,
        };
        (change.request_id, view)
    })
}

/// A document's file name and bytes: a proposed one for its developer or a
/// reviewer; `None` when `viewer` may not see it.
/// Audited, as the application's documents are.
pub async fn download(
    db: &DatabaseConnection,
    blobs: &BlobStore,
    ctx: &AuditContext,
    viewer: &CurrentUser,
    document: Uuid,
    now: DateTime<Utc>,
) -> Result<(String, Vec<u8>), PolicyChangeError> {
    let doc = policy_change_document::Entity::find_by_id(document)
        .one(db)
        .await?
        .ok_or(PolicyChangeError::Common(Common::NotFound))?;
    readable(db, viewer, doc.change_id).await?;
    let bytes = blobs.get(&doc.sha256).await?;
    audit::record(
        db,
        ctx,
        now,
        AuditRecord::new("policy_change.document_downloaded", "policy_change", doc.change_id)
            .after(serde_json::json!({ "document_id": doc.id, "filename": doc.filename, "sha256": doc.sha256 })),
    )
    .await?;
    Ok((doc.filename, bytes))
}

/// A published document of a listed app, for anyone: only the currently
/// approved version of each kind is served.
pub async fn published_file(
    db: &DatabaseConnection,
    blobs: &BlobStore,
    request_id: Uuid,
    document: Uuid,
) -> Result<(String, Vec<u8>), PolicyChangeError> {
    if crate::production::directory::entry(db, request_id)
        .await?
        .is_none()
    {
        return Err(PolicyChangeError::Common(Common::NotFound));
    }
    let doc = approved_documents(db, request_id)
        .await?
        .into_iter()
        .find(|d| d.id == document)
        .ok_or(PolicyChangeError::Common(Common::NotFound))?;
    Ok((doc.filename, blobs.get(&doc.sha256).await?))
}

/// Everyone who reviews (the reviewers' board is shared).
fn format_due(at: DateTime<Utc>) -> String {
    crate::calendar::format_eastern(at, "%A, %B %-d, %Y, %-I:%M %p")
}

/// Submits the change for review with the notice enrollees will get; the
/// five-business-day clock starts now. Returns the due date.
#[allow(clippy::too_many_arguments)]
pub async fn submit(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    owner: &CurrentUser,
    id: Uuid,
    enrollee_notice: &str,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, PolicyChangeError> {
    let notice = enrollee_notice.trim();
    let mut errors = FieldErrors::new();
    let length = notice.chars().count();
    if length < NOTICE_MIN {
        errors.add("enrollee_notice", "Write the notice you will send enrollees about the change (at least 40 characters): what changes, when, and what they can do about it.");
    } else if length > NOTICE_MAX {
        errors.add(
            "enrollee_notice",
            "The notice is longer than 10,000 characters; shorten it.",
        );
    }
    let txn = crate::db::begin_write(db).await?;
    let (change, request) = editable(&txn, owner, id).await?;
    let proposed = proposed_documents(&txn, id).await?;
    if proposed.is_empty() {
        errors.add(
            "documents",
            "Upload the new privacy policy, the new terms of service, or both.",
        );
    }
    errors.into_result().map_err(PolicyChangeError::from)?;
    let from = state_of(&change)?;
    let revision = change.revision + 1;
    transition(&txn, id, from, ChangeStep::Submit, now, |update| {
        update
            .col_expr(policy_change::Column::EnrolleeNotice, Expr::value(notice))
            .col_expr(policy_change::Column::Revision, Expr::value(revision))
    })
    .await
    // Only another submit (a double click, a second tab) gets past `editable`.
    .map_err(|e| match e {
        e @ PolicyChangeError::Common(Common::Db(_)) => e,
        _ => PolicyChangeError::NotEditable(ChangeState::Submitted),
    })?;
    let due = closures::calendar(&txn)
        .await?
        .add_business_days(now, ANSWER_WITHIN_BUSINESS_DAYS);
    policy_change_round::ActiveModel {
        id: Set(Uuid::new_v4()),
        change_id: Set(id),
        submitted_at: Set(now),
        due_at: Set(due),
        answered_at: Set(None),
        outcome: Set(None),
        comment: Set(None),
        answered_by: Set(None),
        due_soon_escalated_at: Set(None),
        overdue_escalated_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let kinds: Vec<&str> = proposed.iter().map(|d| d.kind.as_str()).collect();
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("policy_change.submitted", "policy_change", id)
            .before(serde_json::json!({ "state": from.as_str() }))
            .after(serde_json::json!({ "state": "submitted", "due_at": due, "documents": kinds })),
    )
    .await?;
    let name = crate::applications::snapshot::app_name(&txn, &request).await?;
    let what = proposed
        .iter()
        .map(|d| {
            DocumentKind::parse(&d.kind)
                .map(|k| k.label().to_lowercase())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" and ");
    applications::event(
        &txn,
        request.id,
        Some(owner.id),
        "policy_change_submitted",
        format!("Proposed a new {what}; review due by {}.", format_due(due)),
        now,
    )
    .await?;
    let (application, app, what) = (&request, name.as_str(), what.as_str());
    notifier
        .send(
            &txn,
            Notice::PolicyChangeReceived {
                application,
                app,
                what,
                due_at: due,
            },
            now,
        )
        .await?;
    notifier
        .send(
            &txn,
            Notice::PolicyChangeToReview {
                change: id,
                app,
                what,
                due_at: due,
            },
            now,
        )
        .await?;
    txn.commit().await?;
    Ok(due)
}

/// Withdraws an open change; nothing of it is published.
pub async fn withdraw(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    owner: &CurrentUser,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), PolicyChangeError> {
    let txn = crate::db::begin_write(db).await?;
    let change = find_change(&txn, id).await?;
    owned_request(&txn, owner, change.request_id).await?;
    let from = state_of(&change)?;
    transition(&txn, id, from, ChangeStep::Withdraw, now, |u| u).await?;
    answer_round(&txn, id, "withdrawn", None, owner, now).await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("policy_change.withdrawn", "policy_change", id)
            .before(serde_json::json!({ "state": from.as_str() }))
            .after(serde_json::json!({ "state": "withdrawn" })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Records the answer to the open round, if there is one.
async fn answer_round(
    db: &impl ConnectionTrait,
    change: Uuid,
    outcome: &str,
    comment: Option<&str>,
    by: &CurrentUser,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    policy_change_round::Entity::update_many()
        .col_expr(policy_change_round::Column::AnsweredAt, Expr::value(now))
        .col_expr(policy_change_round::Column::Outcome, Expr::value(outcome))
        .col_expr(
            policy_change_round::Column::Comment,
            Expr::value(comment.map(str::to_string)),
        )
        .col_expr(
            policy_change_round::Column::AnsweredBy,
            Expr::value(by.id.0),
        )
        .filter(policy_change_round::Column::ChangeId.eq(change))
        .filter(policy_change_round::Column::AnsweredAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests;

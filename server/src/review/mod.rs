//! Reviewers' side of production access: the queue with its first-response
//! clock, the checklist evaluation, comments (to the applicant, or internal
//! notes that applicants never see), and requests for changes. Every function
//! checks that the actor may review; state changes go through
//! [`AccessState::apply`].
pub mod booking;
pub mod checklist;
pub mod decisions;
pub mod demos;
pub mod http;
pub mod independence;

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set, UpdateMany,
};
use uuid::Uuid;

pub use checklist::ReviewItem;

use crate::{
    accounts::CurrentUser,
    applications::{
        self,
        snapshot::{app_name, latest_snapshot},
        AccessState, IllegalTransition, Transition,
    },
    audit::{self, AuditContext, AuditRecord},
    entities::{
        access_request, account, api_access, data_access_grant, review_comment, review_evaluation,
    },
    errors::Common,
    ids::{AccountId, Role},
    notifications::{Item, Notice, Notifier},
    validation::FieldErrors,
};

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// Refusals and failures every feature has; see [`crate::errors`].
    #[error(transparent)]
    Common(Common),
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    /// Someone else moved the application after it was read; nothing changed.
    #[error("the application was changed by someone else at the same moment")]
    Raced,
    /// The reviewer's own account or organization made the application.
    #[error(transparent)]
    Conflict(#[from] independence::Conflict),
    /// What the application refused that is not the review's own (a stored
    /// state that does not parse, say), kept whole for the edge to word.
    #[error(transparent)]
    Application(applications::ApplicationError),
}

crate::wraps_common!(ReviewError);

impl From<applications::TransitionError> for ReviewError {
    fn from(e: applications::TransitionError) -> Self {
        match e {
            applications::TransitionError::Illegal(e) => ReviewError::Illegal(e),
            applications::TransitionError::Raced { .. } => ReviewError::Raced,
            applications::TransitionError::Db(e) => ReviewError::from(e),
        }
    }
}

impl From<applications::ApplicationError> for ReviewError {
    fn from(e: applications::ApplicationError) -> Self {
        match e {
            applications::ApplicationError::Common(common) => ReviewError::Common(common),
            applications::ApplicationError::Illegal(e) => ReviewError::Illegal(e),
            other => ReviewError::Application(other),
        }
    }
}

pub(crate) fn require_reviewer(user: &CurrentUser) -> Result<(), ReviewError> {
    if user.role.can_review() {
        Ok(())
    } else {
        Err(ReviewError::Common(Common::Forbidden))
    }
}

/// What a reviewer may say about a checklist item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    NeedsChange,
    NotApplicable,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::NeedsChange => "needs_change",
            Verdict::NotApplicable => "not_applicable",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Verdict::Pass, Verdict::NeedsChange, Verdict::NotApplicable]
            .into_iter()
            .find(|v| v.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "Pass",
            Verdict::NeedsChange => "Needs change",
            Verdict::NotApplicable => "Not applicable",
        }
    }
}

/// Which applications a queue shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AssigneeFilter {
    #[default]
    Anyone,
    Me,
    Unassigned,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum QueueSort {
    /// First-response due time, soonest first (the default: what needs attention).
    #[default]
    Due,
    /// Oldest submission first.
    Age,
    App,
    State,
}

#[derive(Clone, Debug, Default)]
pub struct QueueFilter {
    pub state: Option<AccessState>,
    pub assignee: AssigneeFilter,
    pub overdue_only: bool,
    /// Matches app name or organization, case-insensitively.
    pub search: Option<String>,
    pub sort: QueueSort,
    pub page: u64,
    pub per_page: u64,
}

/// One application in the queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueRow {
    pub id: Uuid,
    pub app_name: String,
    pub organization: String,
    pub state: AccessState,
    pub version: i32,
    pub submitted_at: Option<DateTime<Utc>>,
    pub assignee: Option<String>,
    pub assigned_to_viewer: bool,
    pub due_at: Option<DateTime<Utc>>,
    /// Waiting for a first response past its due time.
    pub overdue: bool,
}

/// A page of the queue and how many rows match in all.
#[derive(Clone, Debug)]
pub struct QueuePage {
    pub rows: Vec<QueueRow>,
    pub total: u64,
}

/// Waiting for a response means submitted and not yet picked up.
fn awaiting_response(r: &access_request::Model) -> bool {
    r.first_response_at.is_none()
        && applications::state_of(r).is_ok_and(|s| s == AccessState::Submitted)
}

/// The queue: every submitted application, filtered, sorted and paged.
pub async fn queue(
    db: &DatabaseConnection,
    viewer: &CurrentUser,
    filter: &QueueFilter,
    now: DateTime<Utc>,
) -> Result<QueuePage, ReviewError> {
    require_reviewer(viewer)?;
    let requests = access_request::Entity::find()
        .filter(access_request::Column::State.ne(AccessState::Draft.as_str()))
        .all(db)
        .await?;
    let mut names = std::collections::HashMap::new();
    for a in account::Entity::find()
        .filter(account::Column::Role.is_in([Role::Reviewer.as_str(), Role::Admin.as_str()]))
        .all(db)
        .await?
    {
        names.insert(a.id, a.name);
    }
    let mut rows = Vec::new();
    for r in requests {
        let snapshot = latest_snapshot(db, r.id).await?;
        let app_name = match &snapshot {
            Some(s) => s.app_name.clone(),
            None => String::new(),
        };
        let organization = snapshot
            .as_ref()
            .map(|s| s.answer("organization", "legal_name").to_string())
            .unwrap_or_default();
        let overdue = awaiting_response(&r) && r.first_response_due_at.is_some_and(|due| due < now);
        rows.push(QueueRow {
            id: r.id,
            app_name,
            organization,
            state: applications::state_of(&r)?,
            version: r.current_version,
            submitted_at: r.submitted_at,
            assignee: r.assignee_id.and_then(|id| names.get(&id).cloned()),
            assigned_to_viewer: r.assignee_id == Some(viewer.id.0),
            due_at: awaiting_response(&r)
                .then_some(r.first_response_due_at)
                .flatten(),
            overdue,
        });
    }
    let search = filter
        .search
        .as_deref()
        .map(str::to_lowercase)
        .filter(|s| !s.trim().is_empty());
    rows.retain(|row| {
        filter.state.is_none_or(|s| row.state == s)
            && match filter.assignee {
                AssigneeFilter::Anyone => true,
                AssigneeFilter::Me => row.assigned_to_viewer,
                AssigneeFilter::Unassigned => row.assignee.is_none(),
            }
            && (!filter.overdue_only || row.overdue)
            && search.as_ref().is_none_or(|q| {
                row.app_name.to_lowercase().contains(q.trim())
                    || row.organization.to_lowercase().contains(q.trim())
            })
    });
    match filter.sort {
        QueueSort::Due => rows.sort_by_key(|r| (r.due_at.is_none(), r.due_at, r.submitted_at)),
        QueueSort::Age => rows.sort_by_key(|r| r.submitted_at),
        QueueSort::App => rows.sort_by_key(|r| r.app_name.to_lowercase()),
        QueueSort::State => rows.sort_by_key(|r| (r.state.as_str(), r.submitted_at)),
    }
    let total = rows.len() as u64;
    let per_page = filter.per_page.clamp(1, 100);
    let rows = rows
        .into_iter()
        .skip(usize::try_from(filter.page.saturating_mul(per_page)).unwrap_or(usize::MAX))
        .take(per_page as usize)
        .collect();
    Ok(QueuePage { rows, total })
}

/// Assigns the application to `reviewer` and, if it was waiting, starts the
/// review: that is the first response the applicant is promised.
pub async fn assign_to_me(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    reviewer: &CurrentUser,
    id: Uuid,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<AccessState, ReviewError> {
    independence::require_reviewer_for(db, reviewer, id).await?;
    assign(db, ctx, reviewer.id, reviewer.id, id, notifier, now).await
}

/// The staff an admin may assign the application `id` to: reviewers and
/// admins without a conflict of interest with it, by name.
pub async fn assignable(
    db: &DatabaseConnection,
    admin: &CurrentUser,
    id: Uuid,
) -> Result<Vec<(AccountId, String)>, ReviewError> {
    if admin.role != Role::Admin {
        return Err(ReviewError::Common(Common::Forbidden));
    }
    let request = applications::find(db, id).await?;
    let mut staff = Vec::new();
    for a in account::Entity::find()
        .filter(account::Column::Role.is_in([Role::Reviewer.as_str(), Role::Admin.as_str()]))
        .order_by_asc(account::Column::Name)
        .all(db)
        .await?
    {
        if independence::conflict_with(db, (&a.id, &a.organization), &request)
            .await?
            .is_none()
        {
            staff.push((AccountId(a.id), a.name));
        }
    }
    Ok(staff)
}

/// An admin assigns the application to another reviewer, for example when
/// the reviewer who would take it has a conflict of interest with it.
pub async fn reassign(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    admin: &CurrentUser,
    id: Uuid,
    assignee: AccountId,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<AccessState, ReviewError> {
    if admin.role != Role::Admin {
        return Err(ReviewError::Common(Common::Forbidden));
    }
    let invalid = |message: String| {
        let mut errors = FieldErrors::new();
        errors.add("assignee", message);
        ReviewError::from(errors)
    };
    let Some(staff) = account::Entity::find_by_id(assignee.0)
        .one(db)
        .await?
        .filter(|a| Role::parse(&a.role).is_some_and(Role::can_review))
    else {
        return Err(invalid("Choose a reviewer.".into()));
    };
    let request = applications::find(db, id).await?;
    if let Some(conflict) =
        independence::conflict_with(db, (&staff.id, &staff.organization), &request).await?
    {
        let why = match conflict {
            independence::Conflict::OwnAccount => {
                "the application was made from their account".to_string()
            }
            independence::Conflict::OwnOrganization(org) => {
                format!("the application comes from their organization ({org})")
            }
        };
        return Err(invalid(format!("{} cannot review it: {why}.", staff.name)));
    }
    assign(db, ctx, admin.id, assignee, id, notifier, now).await
}

/// Assigns the application `id` to `assignee`, starting the review if it
/// was waiting; `actor` is who did it.
async fn assign(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    actor: AccountId,
    assignee: AccountId,
    id: Uuid,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<AccessState, ReviewError> {
    let txn = crate::db::begin_write(db).await?;
    let request = applications::find(&txn, id).await?;
    let state = applications::state_of(&request)?;
    if state == AccessState::Draft {
        return Err(ReviewError::Common(Common::NotFound));
    }
    let assign = |update: UpdateMany<access_request::Entity>| {
        update.col_expr(access_request::Column::AssigneeId, Expr::value(assignee.0))
    };
    // Picking up a waiting application starts its review, and that is the
    // first response the applicant is promised.
    let next = if state == AccessState::Submitted {
        let first_response = request.first_response_at.is_none();
        applications::transition(&txn, id, state, Transition::StartReview, now, |update| {
            let update = assign(update);
            if first_response {
                update.col_expr(access_request::Column::FirstResponseAt, Expr::value(now))
            } else {
                update
            }
        })
        .await?
    } else {
        applications::update_in_state(&txn, id, state, now, assign).await?;
        state
    };
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("access_request.assigned", "access_request", id)
            .before(serde_json::json!({ "state": state.as_str(), "assignee": request.assignee_id }))
            .after(serde_json::json!({ "state": next.as_str(), "assignee": assignee.0 })),
    )
    .await?;
    if state != next {
        applications::event(
            &txn,
            id,
            Some(actor),
            "review_started",
            "A reviewer started reviewing the application.".into(),
            now,
        )
        .await?;
        let name = app_name(&txn, &request).await?;
        let (application, app) = (&request, name.as_str());
        notifier
            .send(&txn, Notice::ReviewStarted { application, app }, now)
            .await?;
    }
    txn.commit().await?;
    Ok(next)
}

/// One checklist verdict as a reviewer records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation {
    pub item: String,
    pub verdict: Option<Verdict>,
    pub comment: String,
}

/// A stored verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemVerdict {
    pub item: &'static ReviewItem,
    pub verdict: Verdict,
    pub comment: String,
    pub updated_at: DateTime<Utc>,
}

fn reviewable(state: AccessState) -> bool {
    matches!(
        state,
        AccessState::InReview | AccessState::DemoScheduled | AccessState::DemoHeld
    )
}

/// Records verdicts on checklist items. "Needs change" requires a comment,
/// since that comment is what the applicant is told.
pub async fn evaluate(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    reviewer: &CurrentUser,
    id: Uuid,
    evaluations: &[Evaluation],
    now: DateTime<Utc>,
) -> Result<(), ReviewError> {
    crate::review::independence::require_reviewer_for(db, reviewer, id).await?;
    let mut errors = FieldErrors::new();
    let mut valid = Vec::new();
    for e in evaluations {
        let Some(item) = checklist::item(&e.item) else {
            continue;
        };
        let comment = e.comment.trim().to_string();
        if comment.chars().count() > 4000 {
            errors.add(
                &format!("comment.{}", item.key),
                "Keep the comment to 4,000 characters.",
            );
        }
        match e.verdict {
            Some(Verdict::NeedsChange) if comment.is_empty() => errors.add(
                &format!("comment.{}", item.key),
                "Say what needs to change: the applicant sees this comment.",
            ),
            Some(verdict) => valid.push((item, verdict, comment)),
            None => {}
        }
    }
    errors.into_result().map_err(ReviewError::from)?;
    let txn = crate::db::begin_write(db).await?;
    let request = applications::find(&txn, id).await?;
    let state = applications::state_of(&request)?;
    if !reviewable(state) {
        return Err(IllegalTransition {
            from: state,
            transition: Transition::RequestChanges,
        }
        .into());
    }
    let mut changed = Vec::new();
    for (item, verdict, comment) in valid {
        let existing = review_evaluation::Entity::find_by_id((id, item.key.to_string()))
            .one(&txn)
            .await?;
        match existing {
            Some(row) if row.status == verdict.as_str() && row.comment == comment => continue,
            Some(row) => {
                let mut row: review_evaluation::ActiveModel = row.into();
                row.status = Set(verdict.as_str().into());
                row.comment = Set(comment.clone());
                row.reviewer_id = Set(reviewer.id.0);
                row.updated_at = Set(now);
                row.update(&txn).await?;
            }
            None => {
                review_evaluation::ActiveModel {
                    request_id: Set(id),
                    item_key: Set(item.key.into()),
                    status: Set(verdict.as_str().into()),
                    comment: Set(comment.clone()),
                    reviewer_id: Set(reviewer.id.0),
                    updated_at: Set(now),
                }
                .insert(&txn)
                .await?;
            }
        }
        changed.push(serde_json::json!({ "item": item.key, "verdict": verdict.as_str(), "comment": comment }));
    }
    if !changed.is_empty() {
        audit::record(
            &txn,
            ctx,
            now,
            AuditRecord::new("access_request.evaluated", "access_request", id).after(changed),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The stored verdicts, in checklist order.
pub async fn verdicts(db: &impl ConnectionTrait, id: Uuid) -> Result<Vec<ItemVerdict>, DbErr> {
    let rows = review_evaluation::Entity::find()
        .filter(review_evaluation::Column::RequestId.eq(id))
        .all(db)
        .await?;
    Ok(checklist::items()
        .iter()
        .filter_map(|item| {
            let row = rows.iter().find(|r| r.item_key == item.key)?;
            Some(ItemVerdict {
                item,
                verdict: Verdict::parse(&row.status)?,
                comment: row.comment.clone(),
                updated_at: row.updated_at,
            })
        })
        .collect())
}

/// Sends the application back to the applicant with the items marked
/// "needs change" and their comments.
pub async fn request_changes(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    reviewer: &CurrentUser,
    id: Uuid,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<(), ReviewError> {
    crate::review::independence::require_reviewer_for(db, reviewer, id).await?;
    let txn = crate::db::begin_write(db).await?;
    let request = applications::find(&txn, id).await?;
    let state = applications::state_of(&request)?;
    let next = state.apply(Transition::RequestChanges)?;
    let needed: Vec<ItemVerdict> = verdicts(&txn, id)
        .await?
        .into_iter()
        .filter(|v| v.verdict == Verdict::NeedsChange)
        .collect();
    if needed.is_empty() {
        let mut errors = FieldErrors::new();
        errors.add(
            "request_changes",
            "Mark at least one checklist item “needs change”, with a comment, before requesting changes.",
        );
        return Err(ReviewError::from(errors));
    }
    applications::transition(&txn, id, state, Transition::RequestChanges, now, |u| u).await?;
    applications::event(
        &txn,
        id,
        Some(reviewer.id),
        "changes_requested",
        format!(
            "The reviewer asked for changes to {} item(s).",
            needed.len()
        ),
        now,
    )
    .await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("access_request.changes_requested", "access_request", id)
            .before(serde_json::json!({ "state": state.as_str() }))
            .after(serde_json::json!({
                "state": next.as_str(),
                "items": needed.iter().map(|v| serde_json::json!({ "item": v.item.key, "comment": v.comment })).collect::<Vec<_>>(),
            })),
    )
    .await?;
    let name = app_name(&txn, &request).await?;
    let items = needed
        .iter()
        .map(|v| Item {
            text: v.item.text.to_string(),
            comment: v.comment.clone(),
        })
        .collect();
    let (application, app) = (&request, name.as_str());
    notifier
        .send(
            &txn,
            Notice::ChangesRequested {
                application,
                app,
                items,
            },
            now,
        )
        .await?;
    txn.commit().await?;
    Ok(())
}

/// A message on an application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    pub author: String,
    pub from_reviewer: bool,
    pub internal: bool,
    pub body: String,
    pub at: DateTime<Utc>,
}

/// Posts a message. Applicants write to reviewers; reviewers write to the
/// applicant or, with `internal`, to other reviewers only. Each message to
/// the other side is emailed.
#[allow(clippy::too_many_arguments)]
pub async fn comment(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    author: &CurrentUser,
    id: Uuid,
    body: &str,
    internal: bool,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<(), ReviewError> {
    let body = body.trim();
    let mut errors = FieldErrors::new();
    if body.is_empty() {
        errors.add("body", "Write a message first.");
    } else if body.chars().count() > 5000 {
        errors.add("body", "Keep the message to 5,000 characters.");
    }
    errors.into_result().map_err(ReviewError::from)?;
    let txn = crate::db::begin_write(db).await?;
    let request = applications::find(&txn, id).await?;
    let is_reviewer = author.role.can_review();
    if !applications::may_read(&request, author)
        || applications::state_of(&request)? == AccessState::Draft
    {
        return Err(ReviewError::Common(Common::NotFound));
    }
    if internal && !is_reviewer {
        return Err(ReviewError::Common(Common::Forbidden));
    }
    review_comment::ActiveModel {
        id: Set(Uuid::new_v4()),
        request_id: Set(id),
        author_id: Set(author.id.0),
        author_role: Set(author.role.as_str().into()),
        internal: Set(internal),
        body: Set(body.to_string()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new(
            if internal {
                "access_request.internal_note"
            } else {
                "access_request.comment"
            },
            "access_request",
            id,
        )
        .after(serde_json::json!({ "internal": internal, "length": body.chars().count() })),
    )
    .await?;
    if !internal {
        let name = app_name(&txn, &request).await?;
        let (application, app) = (&request, name.as_str());
        let notice = if is_reviewer {
            Notice::ReviewerWrote {
                application,
                app,
                body,
            }
        } else {
            Notice::ApplicantWrote {
                application,
                app,
                body,
            }
        };
        notifier.send(&txn, notice, now).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The messages on an application that `viewer` may see, oldest first:
/// applicants never get internal notes.
pub async fn comments(
    db: &DatabaseConnection,
    viewer: &CurrentUser,
    id: Uuid,
) -> Result<Vec<Comment>, ReviewError> {
    let request = applications::find(db, id).await?;
    if !applications::may_read(&request, viewer) {
        return Err(ReviewError::Common(Common::NotFound));
    }
    let mut select =
        review_comment::Entity::find().filter(review_comment::Column::RequestId.eq(id));
    if !viewer.role.can_review() {
        select = select.filter(review_comment::Column::Internal.eq(false));
    }
    let rows = select
        .order_by_asc(review_comment::Column::CreatedAt)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let from_reviewer = Role::parse(&r.author_role).is_some_and(Role::can_review);
        let author = if from_reviewer && !viewer.role.can_review() {
            "Blue Button 2.0 API team".to_string()
        } else {
            account::Entity::find_by_id(r.author_id)
                .one(db)
                .await?
                .map(|a| a.name)
                .unwrap_or_default()
        };
        out.push(Comment {
            author,
            from_reviewer,
            internal: r.internal,
            body: r.body,
            at: r.created_at,
        });
    }
    Ok(out)
}

/// What the applicant is asked to change: the "needs change" items and their
/// comments, while changes are requested.
pub async fn requested_changes(
    db: &DatabaseConnection,
    viewer: &CurrentUser,
    id: Uuid,
) -> Result<Vec<ItemVerdict>, ReviewError> {
    let request = applications::find(db, id).await?;
    if !applications::may_read(&request, viewer) {
        return Err(ReviewError::Common(Common::NotFound));
    }
    if applications::state_of(&request)? != AccessState::ChangesRequested {
        return Ok(vec![]);
    }
    Ok(verdicts(db, id)
        .await?
        .into_iter()
        .filter(|v| v.verdict == Verdict::NeedsChange)
        .collect())
}

/// The app's sandbox activity, as reviewers see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxActivity {
    pub authorizations: u64,
    pub successful_calls: u64,
    pub failed_calls: u64,
    pub last_call: Option<DateTime<Utc>>,
}

/// Everything the review page needs beyond the application itself.
#[derive(Clone, Debug)]
pub struct ReviewState {
    pub state: AccessState,
    pub assignee: Option<String>,
    pub assigned_to_viewer: bool,
    pub due_at: Option<DateTime<Utc>>,
    pub responded_at: Option<DateTime<Utc>>,
    pub overdue: bool,
    /// Business time left until the first response is due (negative when overdue).
    pub business_minutes_left: Option<i64>,
    pub verdicts: Vec<ItemVerdict>,
    pub activity: SandboxActivity,
    /// Why the viewer may look but not act.
    pub conflict: Option<independence::Conflict>,
}

pub async fn review_state(
    db: &DatabaseConnection,
    reviewer: &CurrentUser,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<ReviewState, ReviewError> {
    require_reviewer(reviewer)?;
    let request = applications::find(db, id).await?;
    if applications::state_of(&request)? == AccessState::Draft {
        return Err(ReviewError::Common(Common::NotFound));
    }
    let conflict =
        independence::conflict_with(db, (&reviewer.id.0, &reviewer.organization), &request).await?;
    let assignee = match request.assignee_id {
        Some(a) => account::Entity::find_by_id(a)
            .one(db)
            .await?
            .map(|a| a.name),
        None => None,
    };
    let calendar = crate::calendar::closures::calendar(db).await?;
    let waiting = awaiting_response(&request);
    let due_at = waiting.then_some(request.first_response_due_at).flatten();
    let business_minutes_left = due_at.map(|due| {
        if due >= now {
            calendar.business_time_between(now, due).num_minutes()
        } else {
            -calendar.business_time_between(due, now).num_minutes()
        }
    });
    let app = request.application_id;
    let calls = |ok: bool| {
        let select = api_access::Entity::find().filter(api_access::Column::ApplicationId.eq(app));
        if ok {
            select.filter(api_access::Column::Status.lt(400))
        } else {
            select.filter(api_access::Column::Status.gte(400))
        }
    };
    let activity = SandboxActivity {
        authorizations: data_access_grant::Entity::find()
            .filter(data_access_grant::Column::ApplicationId.eq(app))
            .count(db)
            .await?,
        successful_calls: calls(true).count(db).await?,
        failed_calls: calls(false).count(db).await?,
        last_call: api_access::Entity::find()
            .filter(api_access::Column::ApplicationId.eq(app))
            .order_by_desc(api_access::Column::Id)
            .one(db)
            .await?
            .map(|c| c.occurred_at),
    };
    Ok(ReviewState {
        state: applications::state_of(&request)?,
        assigned_to_viewer: request.assignee_id == Some(reviewer.id.0),
        assignee,
        overdue: due_at.is_some_and(|d| d < now),
        due_at,
        responded_at: request.first_response_at,
        business_minutes_left,
        verdicts: verdicts(db, id).await?,
        activity,
        conflict,
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::{entities::outbox_message, notifications::Notifier, testing};

    /// A submitted application of a developer at Example Health.
    async fn submitted(db: &DatabaseConnection) -> access_request::Model {
        let owner = testing::account("dev@example.com")
            .insert(db)
            .await
            .unwrap();
        let app = testing::production_app(owner.id, "Claims Tracker", "help@example.com")
            .insert(db)
            .await
            .unwrap();
        testing::access_request(owner.id, app.id, "submitted")
            .insert(db)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn picking_up_a_waiting_application_starts_its_review_and_tells_the_applicant() {
        let db = crate::db::in_memory().await;
        let request = submitted(&db).await;
        let reviewer = testing::user(Role::Reviewer);
        let notifier = Notifier::without_worker("https://portal.example.gov");
        let now = Utc.with_ymd_and_hms(2027, 2, 1, 15, 0, 0).unwrap();
        let ctx = AuditContext::default();

        let state = assign_to_me(&db, &ctx, &reviewer, request.id, &notifier, now)
            .await
            .unwrap();
        assert_eq!(state, AccessState::InReview);
        let stored = applications::find(&db, request.id).await.unwrap();
        assert_eq!(stored.assignee_id, Some(reviewer.id.0));
        assert_eq!(
            stored.first_response_at,
            Some(now),
            "the promised first response"
        );
        let mail = outbox_message::Entity::find().all(&db).await.unwrap();
        assert_eq!(mail.len(), 1);
        assert_eq!(
            mail[0].subject,
            "A reviewer started reviewing your application: Claims Tracker"
        );
        assert_eq!(mail[0].recipients, r#"["dev@example.com"]"#);

        // A second reviewer takes it over: no second "started" email.
        let other = testing::user(Role::Reviewer);
        let state = assign_to_me(&db, &ctx, &other, request.id, &notifier, now)
            .await
            .unwrap();
        assert_eq!(state, AccessState::InReview);
        assert_eq!(
            outbox_message::Entity::find().all(&db).await.unwrap().len(),
            1
        );
    }

    #[tokio::test]
    async fn nobody_reviews_an_application_from_their_own_organization_or_as_a_developer() {
        let db = crate::db::in_memory().await;
        let request = submitted(&db).await;
        let notifier = Notifier::without_worker("https://portal.example.gov");
        let ctx = AuditContext::default();
        let now = Utc.with_ymd_and_hms(2027, 2, 1, 15, 0, 0).unwrap();
        let mut colleague = testing::user(Role::Reviewer);
        colleague.organization = "Example Health".into();
        let refused = assign_to_me(&db, &ctx, &colleague, request.id, &notifier, now).await;
        assert!(
            matches!(refused, Err(ReviewError::Conflict(_))),
            "{refused:?}"
        );
        let developer = testing::user(Role::Developer);
        let refused = assign_to_me(&db, &ctx, &developer, request.id, &notifier, now).await;
        assert!(
            matches!(refused, Err(ReviewError::Common(Common::Forbidden))),
            "{refused:?}"
        );
        let stored = applications::find(&db, request.id).await.unwrap();
        assert_eq!(
            (stored.state.as_str(), stored.assignee_id),
            ("submitted", None)
        );
    }
}

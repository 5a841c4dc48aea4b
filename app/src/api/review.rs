//! Reviewers' server functions: the queue, the review page, checklist
//! verdicts, messages and requests for changes; plus what applicants see of
//! a review (requested changes, messages).
use std::collections::BTreeMap;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ssr::{internal, Call};
use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueRowDto {
    pub id: String,
    pub app_name: String,
    pub organization: String,
    pub state_label: String,
    pub version: i32,
    pub submitted: String,
    /// How long ago, in words ("3 days").
    pub age: String,
    pub assignee: Option<String>,
    pub assigned_to_me: bool,
    pub due: Option<String>,
    pub overdue: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueDto {
    pub rows: Vec<QueueRowDto>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistRowDto {
    pub key: String,
    pub group: String,
    pub text: String,
    /// `pass`, `needs_change`, `not_applicable` or empty.
    pub verdict: String,
    pub comment: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentDto {
    pub author: String,
    pub from_reviewer: bool,
    pub internal: bool,
    pub body: String,
    pub at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewDto {
    pub id: String,
    pub state: String,
    pub state_label: String,
    pub assignee: Option<String>,
    pub assigned_to_me: bool,
    /// The first-response clock, in words.
    pub sla: String,
    pub overdue: bool,
    pub checklist: Vec<ChecklistRowDto>,
    pub evaluated: usize,
    pub needs_change: usize,
    pub can_evaluate: bool,
    pub can_request_changes: bool,
    pub authorizations: u64,
    pub successful_calls: u64,
    pub failed_calls: u64,
    pub last_call: Option<String>,
    pub comments: Vec<CommentDto>,
    /// Why the viewer may look but not act (conflict of interest).
    pub conflict: Option<String>,
    /// For admins: the staff without a conflict, as (account id, name).
    pub assignable: Vec<(String, String)>,
    /// The viewer may take the application on (assign it to themselves, or
    /// start the review they were assigned).
    pub may_take: bool,
    /// Taking it on starts the review (it is waiting to be picked up).
    pub taking_starts_review: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestedChangeDto {
    pub item: String,
    pub comment: String,
}

/// What the applicant sees of the review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackDto {
    pub requested: Vec<RequestedChangeDto>,
    pub comments: Vec<CommentDto>,
    /// Messages can be written once the application is submitted.
    pub can_write: bool,
}

/// A moment in US Eastern time, as reviewers and applicants read it.
#[cfg(feature = "ssr")]
pub fn eastern(at: chrono::DateTime<chrono::Utc>) -> String {
    server::calendar::format_eastern(at, "%a %b %-d, %Y, %-I:%M %p")
}

/// How long ago, roughly ("3 hours"), for lists that show waiting times.
#[cfg(feature = "ssr")]
pub(crate) fn age(elapsed: chrono::Duration) -> String {
    match (
        elapsed.num_days(),
        elapsed.num_hours(),
        elapsed.num_minutes(),
    ) {
        (d, _, _) if d >= 2 => format!("{d} days"),
        (_, h, _) if h >= 2 => format!("{h} hours"),
        (_, _, m) if m >= 2 => format!("{m} minutes"),
        _ => "just now".into(),
    }
}

#[cfg(feature = "ssr")]
fn business_time(minutes: i64) -> String {
    let (h, m) = (minutes.abs() / 60, minutes.abs() % 60);
    match (h, m) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

#[cfg(feature = "ssr")]
fn review_error(error: server::review::ReviewError) -> AppError {
    use server::review::ReviewError;
    match error {
        ReviewError::Common(c) => super::ssr::common(c, "We could not find that application."),
        ReviewError::Illegal(e) => AppError::Message(format!(
            "That is not possible while the application is {}; reload the page to see where it stands.",
            e.from.label().to_lowercase()
        )),
        ReviewError::Raced => AppError::Message(
            "Someone else changed the application at the same moment; reload the page to see where it stands.".into(),
        ),
        ReviewError::Conflict(c) => AppError::Message(c.to_string()),
        ReviewError::Application(e) => super::access::access_error(e),
    }
}

#[cfg(feature = "ssr")]
fn parse_id(id: &str) -> Result<uuid::Uuid, AppError> {
    super::format::id(id, "We could not find that application.")
}

#[cfg(feature = "ssr")]
fn comment_dto(c: server::review::Comment) -> CommentDto {
    CommentDto {
        author: c.author,
        from_reviewer: c.from_reviewer,
        internal: c.internal,
        body: c.body,
        at: eastern(c.at),
    }
}

#[server(endpoint = "review/queue")]
pub async fn review_queue(
    state: Option<String>,
    assignee: Option<String>,
    overdue: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    page: Option<u64>,
) -> Result<QueueDto, AppError> {
    use server::review::{AssigneeFilter, QueueFilter, QueueSort};
    let call = Call::capture();
    let user = call.require_reviewer().await?;
    let per_page = 25;
    let filter = QueueFilter {
        state: state
            .as_deref()
            .and_then(server::applications::AccessState::parse),
        assignee: match assignee.as_deref() {
            Some("me") => AssigneeFilter::Me,
            Some("unassigned") => AssigneeFilter::Unassigned,
            _ => AssigneeFilter::Anyone,
        },
        overdue_only: overdue.is_some_and(|o| !o.is_empty()),
        search: q,
        sort: match sort.as_deref() {
            Some("age") => QueueSort::Age,
            Some("app") => QueueSort::App,
            Some("state") => QueueSort::State,
            _ => QueueSort::Due,
        },
        page: page.unwrap_or(0),
        per_page,
    };
    let result = server::review::queue(&call.state.db, &user, &filter, call.now())
        .await
        .map_err(review_error)?;
    Ok(QueueDto {
        rows: result
            .rows
            .into_iter()
            .map(|r| QueueRowDto {
                id: r.id.to_string(),
                app_name: r.app_name,
                organization: r.organization,
                state_label: r.state.label().into(),
                version: r.version,
                submitted: r.submitted_at.map(eastern).unwrap_or_default(),
                age: r
                    .submitted_at
                    .map(|at| age(call.now() - at))
                    .unwrap_or_default(),
                assignee: r.assignee,
                assigned_to_me: r.assigned_to_viewer,
                due: r.due_at.map(eastern),
                overdue: r.overdue,
            })
            .collect(),
        total: result.total,
        page: filter.page,
        per_page,
    })
}

#[server(endpoint = "review/assign")]
pub async fn assign_to_me(id: String) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_reviewer().await?;
    server::review::assign_to_me(
        &call.state.db,
        &call.audit_as(&user),
        &user,
        parse_id(&id)?,
        &call.notifier(),
        call.now(),
    )
    .await
    .map_err(review_error)?;
    call.redirect(&format!("/review/{id}?assigned=1"));
    Ok(())
}

/// An admin assigns the application to another reviewer.
#[server(endpoint = "review/reassign")]
pub async fn reassign(id: String, assignee: String) -> Result<(), AppError> {
    let call = Call::capture();
    let admin = call.require_admin().await?;
    let assignee = uuid::Uuid::parse_str(&assignee).map_err(|_| {
        AppError::Fields([("assignee".to_string(), "Choose a reviewer.".to_string())].into())
    })?;
    server::review::reassign(
        &call.state.db,
        &call.audit_as(&admin),
        &admin,
        parse_id(&id)?,
        server::ids::AccountId(assignee),
        &call.notifier(),
        call.now(),
    )
    .await
    .map_err(review_error)?;
    call.redirect(&format!("/review/{id}?reassigned=1"));
    Ok(())
}

#[server(endpoint = "review/detail")]
pub async fn review_detail(id: String) -> Result<ReviewDto, AppError> {
    use server::applications::AccessState;
    let call = Call::capture();
    let user = call.require_reviewer().await?;
    let request = parse_id(&id)?;
    let now = call.now();
    let review = server::review::review_state(&call.state.db, &user, request, now)
        .await
        .map_err(review_error)?;
    let comments = server::review::comments(&call.state.db, &user, request)
        .await
        .map_err(review_error)?;
    let assignable = if user.role == server::ids::Role::Admin {
        server::review::assignable(&call.state.db, &user, request)
            .await
            .map_err(review_error)?
            .into_iter()
            .map(|(id, name)| (id.0.to_string(), name))
            .collect()
    } else {
        Vec::new()
    };
    let checklist: Vec<ChecklistRowDto> = server::review::checklist::items()
        .iter()
        .map(|item| {
            let verdict = review.verdicts.iter().find(|v| v.item.key == item.key);
            ChecklistRowDto {
                key: item.key.into(),
                group: item.group.into(),
                text: item.text.into(),
                verdict: verdict
                    .map(|v| v.verdict.as_str().to_string())
                    .unwrap_or_default(),
                comment: verdict.map(|v| v.comment.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let sla = match (
        review.due_at,
        review.business_minutes_left,
        review.responded_at,
    ) {
        (Some(due), Some(left), _) if left >= 0 => format!(
            "First response due {} ({} of business time left)",
            eastern(due),
            business_time(left)
        ),
        (Some(due), Some(left), _) => format!(
            "First response overdue since {} (by {} of business time)",
            eastern(due),
            business_time(left)
        ),
        (_, _, Some(at)) => format!("First response given {}", eastern(at)),
        _ => "No response due".into(),
    };
    Ok(ReviewDto {
        id,
        state: review.state.as_str().into(),
        state_label: review.state.label().into(),
        assignee: review.assignee,
        assigned_to_me: review.assigned_to_viewer,
        sla,
        overdue: review.overdue,
        evaluated: checklist.iter().filter(|c| !c.verdict.is_empty()).count(),
        needs_change: checklist
            .iter()
            .filter(|c| c.verdict == "needs_change")
            .count(),
        checklist,
        can_evaluate: review.conflict.is_none()
            && matches!(
                review.state,
                AccessState::InReview | AccessState::DemoScheduled | AccessState::DemoHeld
            ),
        can_request_changes: review.conflict.is_none()
            && review
                .state
                .apply(server::applications::Transition::RequestChanges)
                .is_ok(),
        authorizations: review.activity.authorizations,
        successful_calls: review.activity.successful_calls,
        failed_calls: review.activity.failed_calls,
        last_call: review.activity.last_call.map(eastern),
        comments: comments.into_iter().map(comment_dto).collect(),
        may_take: review.conflict.is_none()
            && (!review.assigned_to_viewer || review.state.taking_starts_review()),
        taking_starts_review: review.state.taking_starts_review(),
        conflict: review.conflict.map(|c| c.to_string()),
        assignable,
    })
}

/// A checklist form (`verdict[key]`, `comment[key]`) as evaluations, and the
/// comments to keep for a form posted without JavaScript if it is refused.
#[cfg(feature = "ssr")]
pub(crate) fn evaluations_from_form(
    verdict: &BTreeMap<String, String>,
    comment: &BTreeMap<String, String>,
) -> (Vec<server::review::Evaluation>, Vec<(String, String)>) {
    let keys: std::collections::BTreeSet<&String> = verdict.keys().chain(comment.keys()).collect();
    let evaluations = keys
        .into_iter()
        .map(|key| server::review::Evaluation {
            item: key.clone(),
            verdict: verdict
                .get(key)
                .and_then(|v| server::review::Verdict::parse(v)),
            comment: comment.get(key).cloned().unwrap_or_default(),
        })
        .collect();
    let kept = comment
        .iter()
        .map(|(k, v)| (format!("comment.{k}"), v.clone()))
        .collect();
    (evaluations, kept)
}

#[server(endpoint = "review/evaluate")]
pub async fn save_evaluations(
    id: String,
    #[server(default)] verdict: BTreeMap<String, String>,
    #[server(default)] comment: BTreeMap<String, String>,
) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_reviewer().await?;
    let (evaluations, kept) = evaluations_from_form(&verdict, &comment);
    server::review::evaluate(
        &call.state.db,
        &call.audit_as(&user),
        &user,
        parse_id(&id)?,
        &evaluations,
        call.now(),
    )
    .await
    .map_err(|e| {
        let kept: Vec<(&str, &str)> = kept.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        review_error(e).keeping(&kept)
    })?;
    call.redirect(&format!("/review/{id}?saved=1#checklist"));
    Ok(())
}

#[server(endpoint = "review/request_changes")]
pub async fn request_changes(id: String) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_reviewer().await?;
    server::review::request_changes(
        &call.state.db,
        &call.audit_as(&user),
        &user,
        parse_id(&id)?,
        &call.notifier(),
        call.now(),
    )
    .await
    .map_err(review_error)?;
    call.redirect(&format!("/review/{id}?changes_requested=1"));
    Ok(())
}

#[server(endpoint = "review/comment")]
pub async fn post_comment(
    id: String,
    body: String,
    internal: Option<String>,
) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    let internal = internal.is_some_and(|v| !v.is_empty());
    server::review::comment(
        &call.state.db,
        &call.audit_as(&user),
        &user,
        parse_id(&id)?,
        &body,
        internal,
        &call.notifier(),
        call.now(),
    )
    .await
    .map_err(|e| review_error(e).keeping(&[("body", body.as_str())]))?;
    let back = if user.role.can_review() {
        "review"
    } else {
        "access"
    };
    call.redirect(&format!("/{back}/{id}?sent=1#messages"));
    Ok(())
}

#[server(endpoint = "review/feedback")]
pub async fn access_feedback(id: String) -> Result<FeedbackDto, AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    let request = parse_id(&id)?;
    let requested = server::review::requested_changes(&call.state.db, &user, request)
        .await
        .map_err(review_error)?;
    let comments = server::review::comments(&call.state.db, &user, request)
        .await
        .map_err(review_error)?;
    let status = server::applications::status(&call.state.db, &user, request)
        .await
        .map_err(|e| review_error(e.into()))?;
    Ok(FeedbackDto {
        requested: requested
            .into_iter()
            .map(|v| RequestedChangeDto {
                item: v.item.text.into(),
                comment: v.comment,
            })
            .collect(),
        comments: comments.into_iter().map(comment_dto).collect(),
        can_write: status.current_version > 0,
    })
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotDto {
    pub id: String,
    /// RFC 3339, UTC: pages rewrite the shown time into the viewer's zone.
    pub starts_iso: String,
    /// Eastern time, shown without JavaScript.
    pub starts_eastern: String,
    pub reviewer: String,
    pub meeting_link: String,
    pub booked: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingDto {
    pub slot: SlotDto,
    /// `booked`, `cancelled` or `held`.
    pub status: String,
    pub outcome: Option<String>,
    /// (topic, note, shared with the applicant).
    pub notes: Vec<(String, String, bool)>,
    pub concerns: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LetterDto {
    pub id: String,
    pub decision: String,
    pub filename: String,
    pub at: String,
}

/// The demo and decision part of an application, for either side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoDto {
    pub state: String,
    pub invited: bool,
    /// A re-review campaign asks this live app for a new demo not yet passed.
    pub re_review_demo: bool,
    pub booking: Option<BookingDto>,
    /// Free future slots (the applicant's choices).
    pub slots: Vec<SlotDto>,
    pub letters: Vec<LetterDto>,
    /// The data access the applicant asked for (the default at approval).
    pub requested_access: String,
    /// What the server accepts now (`server::review::demos::DemoActions`).
    pub actions: DemoActionsDto,
}

/// The demo and decision steps open now; the page offers exactly these.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoActionsDto {
    pub invite: bool,
    pub book: bool,
    pub cancel: bool,
    pub record_outcome: bool,
    pub approve: bool,
    pub deny: bool,
}

#[cfg(feature = "ssr")]
fn slot_dto(s: server::review::demos::SlotView) -> SlotDto {
    SlotDto {
        id: s.id.to_string(),
        starts_iso: s.starts_at.to_rfc3339(),
        starts_eastern: eastern(s.starts_at),
        reviewer: s.reviewer,
        meeting_link: s.meeting_link,
        booked: s.booked,
    }
}

#[cfg(feature = "ssr")]
fn demo_error(error: server::review::demos::DemoError) -> AppError {
    match error {
        server::review::demos::DemoError::SlotTaken => AppError::Message(
            "Someone else booked that time a moment ago. Please choose another.".into(),
        ),
        server::review::demos::DemoError::Review(e) => review_error(e),
    }
}

#[server(endpoint = "review/demo")]
pub async fn demo_and_decision(id: String) -> Result<DemoDto, AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    let request = parse_id(&id)?;
    let db = &call.state.db;
    let status = server::applications::status(db, &user, request)
        .await
        .map_err(|e| review_error(e.into()))?;
    let booking = server::review::demos::booking(db, &user, request)
        .await
        .map_err(review_error)?;
    let slots = server::review::demos::slots(db, &user, call.now())
        .await
        .map_err(review_error)?;
    let letters = server::review::decisions::letters(db, &user, request)
        .await
        .map_err(review_error)?;
    let re_review_demo = status.state == server::applications::AccessState::Live
        && server::campaigns::demo_requested(db, request)
            .await
            .map_err(internal)?;
    let booked = booking
        .as_ref()
        .is_some_and(|b| b.status == server::review::booking::BookingStatus::Booked);
    let actions = server::review::demos::DemoActions::now(
        status.state,
        status.demo_invited,
        booked,
        re_review_demo,
    );
    Ok(DemoDto {
        actions: DemoActionsDto {
            invite: actions.invite,
            book: actions.book,
            cancel: actions.cancel,
            record_outcome: actions.record_outcome,
            approve: actions.approve,
            deny: actions.deny,
        },
        state: status.state.as_str().into(),
        invited: status.demo_invited,
        re_review_demo,
        booking: booking.map(|b| BookingDto {
            slot: slot_dto(b.slot),
            status: b.status.as_str().into(),
            outcome: b.outcome.map(|o| o.label().to_string()),
            notes: server::review::demos::DEMO_TOPICS
                .iter()
                .filter_map(|(k, label)| {
                    let shared = b.shared.contains(*k);
                    b.notes
                        .get(*k)
                        .map(|n| (label.to_string(), n.clone(), shared))
                })
                .collect(),
            concerns: b.concerns,
        }),
        slots: slots
            .into_iter()
            .filter(|s| !s.booked)
            .map(slot_dto)
            .collect(),
        letters: letters
            .into_iter()
            .map(|l| LetterDto {
                id: l.id.to_string(),
                decision: l.decision,
                filename: l.filename,
                at: eastern(l.created_at),
            })
            .collect(),
        requested_access: status.requested_access,
    })
}

#[server(endpoint = "review/slots")]
pub async fn my_slots() -> Result<Vec<SlotDto>, AppError> {
    let call = Call::capture();
    let user = call.require_reviewer().await?;
    let slots = server::review::demos::slots(&call.state.db, &user, call.now())
        .await
        .map_err(review_error)?;
    Ok(slots.into_iter().map(slot_dto).collect())
}

/// `starts_at` is a `datetime-local` value; `tz_offset_minutes` is the
/// browser's `getTimezoneOffset()` (filled in by script). Without it the time
/// is read as US Eastern time.
#[server(endpoint = "review/publish_slot")]
pub async fn publish_slot(
    starts_at: String,
    meeting_link: String,
    tz_offset_minutes: Option<String>,
) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_reviewer().await?;
    let kept = [
        ("starts_at", starts_at.as_str()),
        ("meeting_link", meeting_link.as_str()),
    ];
    let local = chrono::NaiveDateTime::parse_from_str(starts_at.trim(), "%Y-%m-%dT%H:%M")
        .ok()
        .filter(|at| server::validation::is_plausible_date(at.date()))
        .ok_or(())
        .map_err(|_| {
            let mut errors = BTreeMap::new();
            errors.insert(
                "starts_at".to_string(),
                "Enter a date and time, like 2026-12-01 10:00.".to_string(),
            );
            AppError::Fields(errors).keeping(&kept)
        })?;
    // Real offsets are within ±14 hours; anything else is ignored.
    let utc = match tz_offset_minutes
        .and_then(|m| m.trim().parse::<i64>().ok())
        .filter(|m| (-14 * 60..=14 * 60).contains(m))
    {
        Some(minutes) => (local + chrono::Duration::minutes(minutes)).and_utc(),
        None => server::calendar::eastern_to_utc(local),
    };
    server::review::demos::publish_slot(
        &call.state.db,
        &call.audit_as(&user),
        &user,
        utc,
        &meeting_link,
        call.now(),
    )
    .await
    .map_err(|e| review_error(e).keeping(&kept))?;
    call.redirect("/review/slots?published=1");
    Ok(())
}

#[server(endpoint = "review/invite")]
pub async fn invite_to_demo(id: String) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_reviewer().await?;
    server::review::demos::invite(
        &call.state.db,
        &call.audit_as(&user),
        &user,
        parse_id(&id)?,
        &call.notifier(),
        call.now(),
    )
    .await
    .map_err(review_error)?;
    call.redirect(&format!("/review/{id}?invited=1#demo"));
    Ok(())
}

#[server(endpoint = "review/book")]
pub async fn book_demo(id: String, slot: String) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    server::review::demos::book(
        &call.state.db,
        &call.audit_as(&user),
        &user,
        parse_id(&id)?,
        parse_id(&slot)?,
        &call.notifier(),
        call.now(),
    )
    .await
    .map_err(demo_error)?;
    call.redirect(&format!("/access/{id}?booked=1#demo"));
    Ok(())
}

#[server(endpoint = "review/cancel_demo")]
pub async fn cancel_demo(id: String, confirm: Option<String>) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    if confirm.is_none() {
        let mut errors = BTreeMap::new();
        errors.insert(
            "confirm".to_string(),
            "Tick the box to confirm: everyone is told the demo is off.".to_string(),
        );
        return Err(AppError::Fields(errors));
    }
    server::review::demos::cancel(
        &call.state.db,
        &call.audit_as(&user),
        &user,
        parse_id(&id)?,
        &call.notifier(),
        call.now(),
    )
    .await
    .map_err(review_error)?;
    let back = if user.role.can_review() {
        "review"
    } else {
        "access"
    };
    call.redirect(&format!("/{back}/{id}?demo_cancelled=1#demo"));
    Ok(())
}

#[server(endpoint = "review/record_demo")]
pub async fn record_demo(
    id: String,
    outcome: Option<String>,
    #[server(default)] notes: BTreeMap<String, String>,
    #[server(default)] shared: BTreeMap<String, String>,
    #[server(default)] concerns: String,
) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_reviewer().await?;
    let shared: std::collections::BTreeSet<String> = shared.into_keys().collect();
    server::review::demos::record_outcome(
        &call.state.db,
        &call.audit_as(&user),
        &user,
        parse_id(&id)?,
        outcome
            .as_deref()
            .and_then(server::review::demos::Outcome::parse),
        &notes,
        &shared,
        &concerns,
        &call.notifier(),
        call.now(),
    )
    .await
    .map_err(|e| review_error(e).keeping(&[("concerns", concerns.as_str())]))?;
    call.redirect(&format!("/review/{id}?demo_recorded=1#demo"));
    Ok(())
}

#[server(endpoint = "review/approve")]
pub async fn approve_application(id: String, data_access_type: String) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_reviewer().await?;
    server::review::decisions::approve(
        &call.state.db,
        &call.state.blobs,
        &call.audit_as(&user),
        &user,
        parse_id(&id)?,
        &data_access_type,
        &call.notifier(),
        call.now(),
    )
    .await
    .map_err(review_error)?;
    call.redirect(&format!("/review/{id}?decided=1#decision"));
    Ok(())
}

#[server(endpoint = "review/deny")]
pub async fn deny_application(
    id: String,
    reason: String,
    confirm: Option<String>,
) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_reviewer().await?;
    if confirm.is_none() {
        let mut errors = BTreeMap::new();
        errors.insert(
            "confirm".to_string(),
            "Tick the box to confirm the denial: it cannot be undone.".to_string(),
        );
        return Err(AppError::Fields(errors).keeping(&[("reason", reason.as_str())]));
    }
    server::review::decisions::deny(
        &call.state.db,
        &call.state.blobs,
        &call.audit_as(&user),
        &user,
        parse_id(&id)?,
        &reason,
        &call.notifier(),
        call.now(),
    )
    .await
    .map_err(|e| review_error(e).keeping(&[("reason", reason.as_str())]))?;
    call.redirect(&format!("/review/{id}?decided=1#decision"));
    Ok(())
}

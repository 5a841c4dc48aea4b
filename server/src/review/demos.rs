//! The 1-hour demo: reviewers publish slots, the applicant books one once
//! invited (exactly one booking wins a slot), everyone gets calendar
//! invitations that later updates and cancellations replace (same UID, higher
//! SEQUENCE), a reminder goes out a day before, and the reviewer records the
//! outcome against the guide's five demo topics. A live app books one only
//! when a re-review campaign asks for a new demo; its state does not move,
//! and a passing outcome is recorded against the campaign.
use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, Set, UpdateMany,
};
use uuid::Uuid;

use super::{
    app_name,
    booking::{self, BookingStatus, BookingStep},
    require_reviewer, ReviewError,
};
use crate::{
    accounts::CurrentUser,
    applications::{self, AccessState, IllegalTransition, Transition},
    audit::{self, AuditContext, AuditRecord},
    entities::{access_request, account, demo_booking, demo_slot},
    errors::Common,
    notifications::{recipients, AfterDemo, DemoChange, Notice, Notifier},
    validation::FieldErrors,
};

/// The guide's demo topics: what the applicant shows.
pub const DEMO_TOPICS: &[(&str, &str)] = &[
    ("account_creation", "User account creation"),
    ("authorization", "User authorization to share Medicare data"),
    ("display", "How the application displays enrollees' data"),
    ("use", "How enrollees' data is used"),
    ("sharing", "Sharing with others"),
];

/// How a demo went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    /// Passed with concerns the applicant must resolve (listed to them).
    Concerns,
    AnotherDemo,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Concerns => "concerns",
            Outcome::AnotherDemo => "another_demo",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Outcome::Passed, Outcome::Concerns, Outcome::AnotherDemo]
            .into_iter()
            .find(|o| o.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Passed => "Passed",
            Outcome::Concerns => "Concerns to resolve",
            Outcome::AnotherDemo => "Another demo needed",
        }
    }
}

/// A slot as pages show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotView {
    pub id: Uuid,
    pub reviewer_id: Uuid,
    pub reviewer: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub meeting_link: String,
    pub booked: bool,
}

/// The application's current or last booking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookingView {
    pub slot: SlotView,
    pub status: BookingStatus,
    pub sequence: i32,
    pub outcome: Option<Outcome>,
    /// Topic key → the reviewer's note: for reviewers every note, for the
    /// applicant only those the reviewer shared.
    pub notes: BTreeMap<String, String>,
    /// The topics whose note the applicant sees.
    pub shared: std::collections::BTreeSet<String>,
    /// Concerns the applicant must resolve.
    pub concerns: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("someone else booked this slot a moment ago")]
    SlotTaken,
    #[error(transparent)]
    Review(#[from] ReviewError),
}

impl From<sea_orm::DbErr> for DemoError {
    fn from(e: sea_orm::DbErr) -> Self {
        DemoError::Review(ReviewError::from(e))
    }
}

impl From<applications::TransitionError> for DemoError {
    fn from(e: applications::TransitionError) -> Self {
        DemoError::Review(e.into())
    }
}

impl From<IllegalTransition> for DemoError {
    fn from(e: IllegalTransition) -> Self {
        DemoError::Review(ReviewError::Illegal(e))
    }
}

fn invalid(field: &str, message: &str) -> ReviewError {
    let mut errors = FieldErrors::new();
    errors.add(field, message);
    ReviewError::from(errors)
}

async fn slot_view(
    db: &impl ConnectionTrait,
    slot: demo_slot::Model,
) -> Result<SlotView, sea_orm::DbErr> {
    let reviewer = account::Entity::find_by_id(slot.reviewer_id)
        .one(db)
        .await?
        .map(|a| a.name)
        .unwrap_or_default();
    Ok(SlotView {
        id: slot.id,
        reviewer_id: slot.reviewer_id,
        reviewer,
        starts_at: slot.starts_at,
        ends_at: slot.ends_at,
        meeting_link: slot.meeting_link,
        booked: slot.booked_request_id.is_some(),
    })
}

/// Publishes an hour of `reviewer`'s time for demos.
pub async fn publish_slot(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    reviewer: &CurrentUser,
    starts_at: DateTime<Utc>,
    meeting_link: &str,
    now: DateTime<Utc>,
) -> Result<Uuid, ReviewError> {
    require_reviewer(reviewer)?;
    let link_ok = url::Url::parse(meeting_link.trim())
        .map(|u| u.scheme() == "https" && u.host().is_some())
        .unwrap_or(false);
    if !link_ok {
        return Err(invalid(
            "meeting_link",
            "Enter the meeting's https:// address (Zoom, Teams, …).",
        ));
    }
    if starts_at <= now {
        return Err(invalid("starts_at", "Choose a time in the future."));
    }
    let ends_at = starts_at + Duration::hours(1);
    let txn = crate::db::begin_write(db).await?;
    let overlapping = demo_slot::Entity::find()
        .filter(demo_slot::Column::ReviewerId.eq(reviewer.id.0))
        .filter(demo_slot::Column::WithdrawnAt.is_null())
        .filter(demo_slot::Column::StartsAt.lt(ends_at))
        .filter(demo_slot::Column::EndsAt.gt(starts_at))
        .one(&txn)
        .await?;
    if overlapping.is_some() {
        return Err(invalid(
            "starts_at",
            "You already offered a slot that overlaps this hour.",
        ));
    }
    let id = Uuid::new_v4();
    demo_slot::ActiveModel {
        id: Set(id),
        reviewer_id: Set(reviewer.id.0),
        starts_at: Set(starts_at),
        ends_at: Set(ends_at),
        meeting_link: Set(meeting_link.trim().into()),
        booked_request_id: Set(None),
        created_at: Set(now),
        withdrawn_at: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("demo_slot.published", "demo_slot", id)
            .after(serde_json::json!({ "starts_at": starts_at, "ends_at": ends_at })),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// Future slots. Applicants see the free ones; reviewers see all.
pub async fn slots(
    db: &DatabaseConnection,
    viewer: &CurrentUser,
    now: DateTime<Utc>,
) -> Result<Vec<SlotView>, ReviewError> {
    let mut select = demo_slot::Entity::find()
        .filter(demo_slot::Column::WithdrawnAt.is_null())
        .filter(demo_slot::Column::StartsAt.gt(now));
    if !viewer.role.can_review() {
        select = select.filter(demo_slot::Column::BookedRequestId.is_null());
    }
    let mut out = Vec::new();
    for slot in select
        .order_by_asc(demo_slot::Column::StartsAt)
        .all(db)
        .await?
    {
        out.push(slot_view(db, slot).await?);
    }
    Ok(out)
}

/// Invites the applicant to book a demo.
pub async fn invite(
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
    state.apply(Transition::ScheduleDemo)?;
    access_request::Entity::update_many()
        .col_expr(access_request::Column::DemoInvitedAt, Expr::value(now))
        .col_expr(access_request::Column::UpdatedAt, Expr::value(now))
        .filter(access_request::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    applications::event(
        &txn,
        id,
        Some(reviewer.id),
        "demo_invited",
        "The reviewer invited you to book a 1-hour demo.".into(),
        now,
    )
    .await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("access_request.demo_invited", "access_request", id),
    )
    .await?;
    let name = app_name(&txn, &request).await?;
    let (application, app) = (&request, name.as_str());
    let topics = DEMO_TOPICS.iter().map(|(_, topic)| *topic).collect();
    notifier
        .send(
            &txn,
            Notice::DemoInvited {
                application,
                app,
                topics,
            },
            now,
        )
        .await?;
    txn.commit().await?;
    Ok(())
}

/// The state after a demo is cancelled or held: a live app's re-review demo
/// leaves it live; an application under review moves on.
fn after_demo(
    state: AccessState,
    transition: Transition,
) -> Result<AccessState, IllegalTransition> {
    if state == AccessState::Live {
        Ok(state)
    } else {
        state.apply(transition)
    }
}

/// The calendar file for a booking: METHOD:REQUEST for a new or moved demo,
/// METHOD:CANCEL (same UID, higher SEQUENCE) when it is called off.
pub fn invitation(
    uid: &str,
    sequence: i32,
    app_name: &str,
    slot: &SlotView,
    organizer: &str,
    attendees: &[String],
    cancelled: bool,
) -> String {
    let mut event = Event::new();
    event
        .uid(uid)
        .summary(&format!("Blue Button 2.0 API demo: {app_name}"))
        .description(&format!(
            "A 1-hour demo of {app_name} for the Blue Button 2.0 API team. Join: {}",
            slot.meeting_link
        ))
        .location(&slot.meeting_link)
        .starts(slot.starts_at)
        .ends(slot.ends_at)
        .add_property("SEQUENCE", sequence.to_string())
        .add_property("ORGANIZER", format!("mailto:{organizer}"));
    event.status(if cancelled {
        EventStatus::Cancelled
    } else {
        EventStatus::Confirmed
    });
    for attendee in attendees {
        event.add_multi_property("ATTENDEE", &format!("mailto:{attendee}"));
    }
    let mut calendar = Calendar::new();
    calendar.append_property(icalendar::Property::new(
        "METHOD",
        if cancelled { "CANCEL" } else { "REQUEST" },
    ));
    calendar.push(event.done());
    calendar.done().to_string()
}

#[allow(clippy::too_many_arguments)]
async fn send_invitation(
    db: &impl ConnectionTrait,
    request: &access_request::Model,
    booking: &demo_booking::Model,
    slot: &SlotView,
    change: DemoChange,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let cancelled = change == DemoChange::Cancelled;
    let name = app_name(db, request).await?;
    let mut to = recipients::applicants(db, request).await?;
    let reviewer = account::Entity::find_by_id(slot.reviewer_id)
        .one(db)
        .await?;
    let organizer = reviewer
        .as_ref()
        .map(|r| r.email.clone())
        .unwrap_or_default();
    if let Some(r) = &reviewer {
        to.push(r.email.clone());
    }
    let ics = invitation(
        &booking.ics_uid,
        booking.sequence,
        &name,
        slot,
        &organizer,
        &to,
        cancelled,
    );
    let notice = Notice::DemoInvitation {
        application: request,
        app: &name,
        attendees: to,
        change,
        starts_at: slot.starts_at,
        meeting_link: &slot.meeting_link,
        ics,
    };
    notifier.send(db, notice, now).await?;
    Ok(())
}

fn when(slot: &SlotView) -> String {
    crate::calendar::format_eastern(slot.starts_at, "%A, %B %-d, %Y at %-I:%M %p")
}

async fn active_booking(
    db: &impl ConnectionTrait,
    request: Uuid,
) -> Result<Option<demo_booking::Model>, sea_orm::DbErr> {
    demo_booking::Entity::find()
        .filter(demo_booking::Column::RequestId.eq(request))
        .filter(demo_booking::Column::Status.eq(BookingStatus::Booked.as_str()))
        .one(db)
        .await
}

/// Books `slot` for the applicant's application, or moves the existing
/// booking there. Of two applicants booking one slot at once, exactly one
/// gets it; the other gets [`DemoError::SlotTaken`].
pub async fn book(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    owner: &CurrentUser,
    id: Uuid,
    slot: Uuid,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<(), DemoError> {
    let txn = crate::db::begin_write(db).await?;
    let request = applications::find(&txn, id)
        .await
        .map_err(ReviewError::from)?;
    if request.owner_id != owner.id.0 {
        return Err(ReviewError::Common(Common::NotFound).into());
    }
    let state = applications::state_of(&request)?;
    let existing = active_booking(&txn, id).await?;
    let re_review =
        state == AccessState::Live && crate::campaigns::demo_requested(&txn, id).await?;
    if existing.is_none()
        && !re_review
        && (request.demo_invited_at.is_none() || state.apply(Transition::ScheduleDemo).is_err())
    {
        return Err(ReviewError::Illegal(IllegalTransition {
            from: state,
            transition: Transition::ScheduleDemo,
        })
        .into());
    }
    let chosen = demo_slot::Entity::find_by_id(slot)
        .one(&txn)
        .await?
        .filter(|s| s.withdrawn_at.is_none() && s.starts_at > now)
        .ok_or(ReviewError::Common(Common::NotFound))?;
    // The conditional update is the lock: only one booking can fill the slot.
    let won = demo_slot::Entity::update_many()
        .col_expr(demo_slot::Column::BookedRequestId, Expr::value(id))
        .filter(demo_slot::Column::Id.eq(slot))
        .filter(demo_slot::Column::BookedRequestId.is_null())
        .exec(&txn)
        .await?;
    if won.rows_affected != 1 {
        return Err(DemoError::SlotTaken);
    }
    let view = slot_view(&txn, chosen).await?;
    let (booking, change) = match existing {
        Some(old) => {
            demo_slot::Entity::update_many()
                .col_expr(
                    demo_slot::Column::BookedRequestId,
                    Expr::value(Option::<Uuid>::None),
                )
                .filter(demo_slot::Column::Id.eq(old.slot_id))
                .exec(&txn)
                .await?;
            let sequence = old.sequence + 1;
            let mut row: demo_booking::ActiveModel = old.into();
            row.slot_id = Set(slot);
            row.sequence = Set(sequence);
            row.updated_at = Set(now);
            let booking = row.update(&txn).await?;
            applications::event(
                &txn,
                id,
                Some(owner.id),
                "demo_rescheduled",
                format!("Demo moved to {}.", when(&view)),
                now,
            )
            .await?;
            (booking, DemoChange::Moved)
        }
        None => {
            if !re_review {
                applications::transition(&txn, id, state, Transition::ScheduleDemo, now, |u| u)
                    .await?;
            }
            let booking_id = Uuid::new_v4();
            let booking = demo_booking::ActiveModel {
                id: Set(booking_id),
                request_id: Set(id),
                slot_id: Set(slot),
                ics_uid: Set(format!("{booking_id}@bluebutton-portal")),
                sequence: Set(0),
                status: Set(BookingStatus::Booked.as_str().into()),
                outcome: Set(None),
                outcome_notes: Set(None),
                reminder_sent_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?;
            applications::event(
                &txn,
                id,
                Some(owner.id),
                "demo_booked",
                format!("Demo booked for {}.", when(&view)),
                now,
            )
            .await?;
            (booking, DemoChange::Booked)
        }
    };
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("access_request.demo_booked", "access_request", id)
            .after(serde_json::json!({ "slot": slot, "starts_at": view.starts_at, "sequence": booking.sequence })),
    )
    .await?;
    send_invitation(&txn, &request, &booking, &view, change, notifier, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Calls off the booked demo (applicant or reviewer); the slot is free again.
pub async fn cancel(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    actor: &CurrentUser,
    id: Uuid,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<(), ReviewError> {
    let txn = crate::db::begin_write(db).await?;
    let request = applications::find(&txn, id).await?;
    if !applications::may_read(&request, actor) {
        return Err(ReviewError::Common(Common::NotFound));
    }
    let state = applications::state_of(&request)?;
    let next = after_demo(state, Transition::CancelDemo)?;
    let booking = active_booking(&txn, id)
        .await?
        .ok_or(ReviewError::Common(Common::NotFound))?;
    let slot = demo_slot::Entity::find_by_id(booking.slot_id)
        .one(&txn)
        .await?
        .ok_or(ReviewError::Common(Common::NotFound))?;
    demo_slot::Entity::update_many()
        .col_expr(
            demo_slot::Column::BookedRequestId,
            Expr::value(Option::<Uuid>::None),
        )
        .filter(demo_slot::Column::Id.eq(slot.id))
        .exec(&txn)
        .await?;
    let sequence = booking.sequence + 1;
    let status = booking::transition(&txn, &booking, BookingStep::Cancel, now, |u| {
        u.col_expr(demo_booking::Column::Sequence, Expr::value(sequence))
    })
    .await?;
    let booking = demo_booking::Model {
        status: status.as_str().into(),
        sequence,
        updated_at: now,
        ..booking
    };
    if next == state {
        // A re-review demo: the app stays live.
        applications::update_in_state(&txn, id, state, now, |u| u).await?;
    } else {
        applications::transition(&txn, id, state, Transition::CancelDemo, now, |u| u).await?;
    }
    let view = slot_view(&txn, slot).await?;
    applications::event(
        &txn,
        id,
        Some(actor.id),
        "demo_cancelled",
        format!("The demo of {} was cancelled.", when(&view)),
        now,
    )
    .await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("access_request.demo_cancelled", "access_request", id),
    )
    .await?;
    let cancelled = DemoChange::Cancelled;
    send_invitation(&txn, &request, &booking, &view, cancelled, notifier, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Records how the demo went. "Another demo needed" invites the applicant to book again.
#[allow(clippy::too_many_arguments)]
pub async fn record_outcome(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    reviewer: &CurrentUser,
    id: Uuid,
    outcome: Option<Outcome>,
    notes: &BTreeMap<String, String>,
    shared: &std::collections::BTreeSet<String>,
    concerns: &str,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<(), ReviewError> {
    crate::review::independence::require_reviewer_for(db, reviewer, id).await?;
    let Some(outcome) = outcome else {
        return Err(invalid("outcome", "Choose how the demo went."));
    };
    let concerns = concerns.trim();
    if outcome == Outcome::Concerns && concerns.is_empty() {
        return Err(invalid(
            "concerns",
            "List the concerns the applicant must resolve: they see this list.",
        ));
    }
    let notes: BTreeMap<String, String> = DEMO_TOPICS
        .iter()
        .filter_map(|(k, _)| notes.get(*k).map(|n| (k.to_string(), n.trim().to_string())))
        .filter(|(_, n)| !n.is_empty())
        .collect();
    // Notes are internal unless shared; sharing a topic without a note shares nothing.
    let shared: Vec<&String> = notes.keys().filter(|k| shared.contains(*k)).collect();
    let txn = crate::db::begin_write(db).await?;
    let request = applications::find(&txn, id).await?;
    let state = applications::state_of(&request)?;
    let next = after_demo(state, Transition::RecordDemo)?;
    let booking = active_booking(&txn, id)
        .await?
        .ok_or(ReviewError::Common(Common::NotFound))?;
    let outcome_notes =
        serde_json::json!({ "topics": notes, "shared": shared, "concerns": concerns }).to_string();
    booking::transition(&txn, &booking, BookingStep::Hold, now, |u| {
        u.col_expr(demo_booking::Column::Outcome, Expr::value(outcome.as_str()))
            .col_expr(
                demo_booking::Column::OutcomeNotes,
                Expr::value(outcome_notes),
            )
    })
    .await?;
    // Another demo is an invitation to book again.
    let invite_again = move |update: UpdateMany<access_request::Entity>| {
        if outcome == Outcome::AnotherDemo {
            update.col_expr(access_request::Column::DemoInvitedAt, Expr::value(now))
        } else {
            update
        }
    };
    if next == state {
        // A re-review demo: the app stays live.
        applications::update_in_state(&txn, id, state, now, invite_again).await?;
    } else {
        applications::transition(&txn, id, state, Transition::RecordDemo, now, invite_again)
            .await?;
    }
    let re_review = state == AccessState::Live;
    if re_review && outcome != Outcome::AnotherDemo {
        crate::campaigns::record_demo_passed(&txn, id, now).await?;
    }
    applications::event(
        &txn,
        id,
        Some(reviewer.id),
        "demo_held",
        format!("Demo held: {}.", outcome.label().to_lowercase()),
        now,
    )
    .await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("access_request.demo_recorded", "access_request", id)
            .after(serde_json::json!({ "outcome": outcome.as_str(), "topics": notes, "shared": shared, "concerns": concerns })),
    )
    .await?;
    let name = app_name(&txn, &request).await?;
    let next = match outcome {
        Outcome::Concerns => AfterDemo::Concerns,
        Outcome::AnotherDemo => AfterDemo::AnotherDemo,
        Outcome::Passed if re_review => AfterDemo::ReReviewDone,
        Outcome::Passed => AfterDemo::Decision,
    };
    let notice = Notice::DemoOutcome {
        application: &request,
        app: &name,
        outcome: outcome.label(),
        next,
        concerns,
    };
    notifier.send(&txn, notice, now).await?;
    txn.commit().await?;
    Ok(())
}

/// What may be done about an application's demo and decision now, from the
/// rule in `applications::state`, so that pages show the actions the server
/// will accept rather than re-deriving them from state names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DemoActions {
    /// A reviewer invites the applicant to book a demo.
    pub invite: bool,
    /// The applicant books a demo, or moves the booked one.
    pub book: bool,
    /// Either side calls off the booked demo.
    pub cancel: bool,
    /// A reviewer records how the booked demo went.
    pub record_outcome: bool,
    pub approve: bool,
    pub deny: bool,
}

impl DemoActions {
    /// `invited`: the applicant was invited to book; `booked`: a demo is
    /// booked and not yet held; `re_review`: a re-review asks this live app
    /// for a demo it has not passed yet.
    pub fn now(state: AccessState, invited: bool, booked: bool, re_review: bool) -> Self {
        let allows = |transition| state.apply(transition).is_ok();
        // A live app's re-review demo is booked, held and recorded like an
        // applicant's, while the app stays live (`update_in_state`).
        let re_review_booked = state == AccessState::Live && booked;
        DemoActions {
            invite: allows(Transition::ScheduleDemo) && !invited,
            book: (invited && allows(Transition::ScheduleDemo)) || re_review || booked,
            cancel: allows(Transition::CancelDemo) || re_review_booked,
            record_outcome: allows(Transition::RecordDemo) || re_review_booked,
            approve: allows(Transition::Approve),
            deny: allows(Transition::Deny),
        }
    }
}

/// The application's current or most recent booking.
pub async fn booking(
    db: &DatabaseConnection,
    viewer: &CurrentUser,
    id: Uuid,
) -> Result<Option<BookingView>, ReviewError> {
    let request = applications::find(db, id).await?;
    if !applications::may_read(&request, viewer) {
        return Err(ReviewError::Common(Common::NotFound));
    }
    let Some(b) = demo_booking::Entity::find()
        .filter(demo_booking::Column::RequestId.eq(id))
        .order_by_desc(demo_booking::Column::UpdatedAt)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let slot = demo_slot::Entity::find_by_id(b.slot_id)
        .one(db)
        .await?
        .ok_or(ReviewError::Common(Common::NotFound))?;
    let notes: serde_json::Value = b
        .outcome_notes
        .as_deref()
        .and_then(|n| serde_json::from_str(n).ok())
        .unwrap_or_default();
    let shared: std::collections::BTreeSet<String> =
        serde_json::from_value(notes["shared"].clone()).unwrap_or_default();
    let mut topics: BTreeMap<String, String> =
        serde_json::from_value(notes["topics"].clone()).unwrap_or_default();
    // Checked here, not in the page: an applicant never receives an internal
    // note (rows from before sharing existed have none shared).
    if !viewer.role.can_review() {
        topics.retain(|topic, _| shared.contains(topic));
    }
    Ok(Some(BookingView {
        slot: slot_view(db, slot).await?,
        status: booking::status_of(&b)?,
        sequence: b.sequence,
        outcome: b.outcome.as_deref().and_then(Outcome::parse),
        notes: topics,
        shared,
        concerns: notes["concerns"].as_str().unwrap_or_default().to_string(),
    }))
}

/// Whether the application's latest demo passed (with or without concerns).
pub async fn passed_demo(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, sea_orm::DbErr> {
    Ok(demo_booking::Entity::find()
        .filter(demo_booking::Column::RequestId.eq(id))
        .filter(demo_booking::Column::Status.eq(BookingStatus::Held.as_str()))
        .order_by_desc(demo_booking::Column::UpdatedAt)
        .one(db)
        .await?
        .and_then(|b| b.outcome)
        .is_some_and(|o| o == Outcome::Passed.as_str() || o == Outcome::Concerns.as_str()))
}

/// Emails a reminder for every demo that starts within the next 24 hours and
/// has not had one. Each reminder is claimed with a conditional update, so
/// several server copies never send it twice. Returns how many were sent.
pub async fn send_reminders(
    db: &DatabaseConnection,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<usize, sea_orm::DbErr> {
    let due = demo_booking::Entity::find()
        .filter(demo_booking::Column::Status.eq(BookingStatus::Booked.as_str()))
        .filter(demo_booking::Column::ReminderSentAt.is_null())
        .all(db)
        .await?;
    let mut sent = 0;
    for booking in due {
        let Some(slot) = demo_slot::Entity::find_by_id(booking.slot_id)
            .one(db)
            .await?
        else {
            continue;
        };
        if slot.starts_at <= now || slot.starts_at > now + Duration::hours(24) {
            continue;
        }
        let txn = crate::db::begin_write(db).await?;
        let claimed = demo_booking::Entity::update_many()
            .col_expr(demo_booking::Column::ReminderSentAt, Expr::value(now))
            .filter(demo_booking::Column::Id.eq(booking.id))
            .filter(demo_booking::Column::ReminderSentAt.is_null())
            .exec(&txn)
            .await?;
        if claimed.rows_affected == 1 {
            let Some(request) = access_request::Entity::find_by_id(booking.request_id)
                .one(&txn)
                .await?
            else {
                continue;
            };
            let view = slot_view(&txn, slot).await?;
            let name = app_name(&txn, &request).await?;
            let mut to = recipients::applicants(&txn, &request).await?;
            if let Some(r) = account::Entity::find_by_id(view.reviewer_id)
                .one(&txn)
                .await?
            {
                to.push(r.email);
            }
            let notice = Notice::DemoReminder {
                application: &request,
                app: &name,
                attendees: to,
                starts_at: view.starts_at,
                meeting_link: &view.meeting_link,
            };
            notifier.send(&txn, notice, now).await?;
            sent += 1;
        }
        txn.commit().await?;
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot() -> SlotView {
        SlotView {
            id: Uuid::nil(),
            reviewer_id: Uuid::nil(),
            reviewer: "Rae".into(),
            starts_at: DateTime::parse_from_rfc3339("2026-12-01T15:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            ends_at: DateTime::parse_from_rfc3339("2026-12-01T16:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            meeting_link: "https://meet.example.gov/123".into(),
            booked: true,
        }
    }

    #[test]
    fn invitations_parse_back_with_their_uid_sequence_and_method() {
        let attendees = vec!["pat@acme.example.com".to_string()];
        let ics = invitation(
            "abc@bluebutton-portal",
            2,
            "Acme",
            &slot(),
            "rae@cms.example.gov",
            &attendees,
            false,
        );
        let calendar: Calendar = ics.parse().unwrap();
        assert_eq!(calendar.property_value("METHOD"), Some("REQUEST"));
        let event = calendar
            .components
            .iter()
            .find_map(|c| c.as_event())
            .unwrap();
        assert_eq!(event.get_uid(), Some("abc@bluebutton-portal"));
        assert_eq!(event.property_value("SEQUENCE"), Some("2"));
        assert!(ics.contains("DTSTART:20261201T150000Z"), "{ics}");
        assert!(ics.contains("DTEND:20261201T160000Z"));
        assert!(ics.contains("mailto:pat@acme.example.com"));

        let cancel = invitation(
            "abc@bluebutton-portal",
            3,
            "Acme",
            &slot(),
            "rae@cms.example.gov",
            &attendees,
            true,
        );
        let calendar: Calendar = cancel.parse().unwrap();
        assert_eq!(calendar.property_value("METHOD"), Some("CANCEL"));
        assert!(cancel.contains("STATUS:CANCELLED"));
    }
    #[test]
    fn the_actions_offered_are_the_ones_the_rule_allows() {
        use AccessState as S;
        let none = DemoActions::default();
        let in_review = DemoActions::now(S::InReview, false, false, false);
        assert_eq!(
            in_review,
            DemoActions {
                invite: true,
                deny: true,
                ..none
            }
        );
        let invited = DemoActions::now(S::InReview, true, false, false);
        assert_eq!(
            invited,
            DemoActions {
                book: true,
                deny: true,
                ..none
            },
            "no second invitation"
        );
        let booked = DemoActions::now(S::DemoScheduled, true, true, false);
        assert_eq!(
            booked,
            DemoActions {
                book: true,
                cancel: true,
                record_outcome: true,
                ..none
            }
        );
        let held = DemoActions::now(S::DemoHeld, false, false, false);
        assert_eq!(
            held,
            DemoActions {
                invite: true,
                approve: true,
                deny: true,
                ..none
            }
        );
        for state in [
            S::Draft,
            S::Submitted,
            S::ChangesRequested,
            S::Approved,
            S::Denied,
            S::Suspended,
        ] {
            assert_eq!(DemoActions::now(state, true, false, false), none, "{state}");
        }
    }

    #[test]
    fn a_live_app_asked_for_a_re_review_demo_books_and_holds_it_staying_live() {
        let none = DemoActions::default();
        assert_eq!(
            DemoActions::now(AccessState::Live, false, false, true),
            DemoActions { book: true, ..none }
        );
        assert_eq!(
            DemoActions::now(AccessState::Live, false, true, true),
            DemoActions {
                book: true,
                cancel: true,
                record_outcome: true,
                ..none
            }
        );
        assert_eq!(
            DemoActions::now(AccessState::Live, false, false, false),
            none
        );
    }
}

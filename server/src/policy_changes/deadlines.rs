//! The five-business-day promise: the reviewers' board of open submissions
//! by time left, and the admins' warnings one business day before the due
//! date and once it has passed.
use super::*;

/// Admins are warned when this much business time is left (one business day).
const WARN_WITH_BUSINESS_HOURS_LEFT: i64 = 8;

/// Where an open submission stands against its due date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Urgency {
    OnTrack,
    /// One business day or less left.
    DueSoon,
    Overdue,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoardRow {
    pub change_id: Uuid,
    pub request_id: Uuid,
    pub app_name: String,
    pub submitted_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// Business time left before the due date; negative (wall time) once overdue.
    pub business_time_left: Duration,
    pub urgency: Urgency,
}

/// The reviewers' service-level board.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Board {
    /// Open submissions, least time left first.
    pub open: Vec<BoardRow>,
    /// Submissions answered by their due date.
    pub answered_on_time: u64,
    /// Submissions answered, plus open ones already overdue (they can no
    /// longer be on time).
    pub counted: u64,
}

impl Board {
    /// The share answered within five business days, as a percentage; `None` before any count.
    pub fn on_time_percent(&self) -> Option<f64> {
        (self.counted > 0).then(|| self.answered_on_time as f64 * 100.0 / self.counted as f64)
    }
}

/// How much business time is left until `due` (negative wall time once past).
fn time_left(
    calendar: &crate::calendar::FederalCalendar,
    now: DateTime<Utc>,
    due: DateTime<Utc>,
) -> (Duration, Urgency) {
    if now > due {
        return (due - now, Urgency::Overdue);
    }
    let left = calendar.business_time_between(now, due);
    let urgency = if left <= Duration::hours(WARN_WITH_BUSINESS_HOURS_LEFT) {
        Urgency::DueSoon
    } else {
        Urgency::OnTrack
    };
    (left, urgency)
}

/// The reviewers' board: open submissions by time left, and the share answered on time.
pub async fn board(
    db: &DatabaseConnection,
    reviewer: &CurrentUser,
    now: DateTime<Utc>,
) -> Result<Board, PolicyChangeError> {
    require_reviewer(reviewer)?;
    let calendar = closures::calendar(db).await?;
    let rounds = policy_change_round::Entity::find().all(db).await?;
    let mut open = Vec::new();
    let (mut on_time, mut counted) = (0, 0);
    for round in rounds {
        match (round.answered_at, round.outcome.as_deref()) {
            (_, Some("withdrawn")) => {}
            (Some(at), _) => {
                counted += 1;
                if at <= round.due_at {
                    on_time += 1;
                }
            }
            (None, _) => {
                let (left, urgency) = time_left(&calendar, now, round.due_at);
                if urgency == Urgency::Overdue {
                    counted += 1;
                }
                let change = find_change(db, round.change_id).await?;
                let request = applications::find(db, change.request_id).await?;
                open.push(BoardRow {
                    change_id: change.id,
                    request_id: request.id,
                    app_name: crate::applications::snapshot::app_name(db, &request).await?,
                    submitted_at: round.submitted_at,
                    due_at: round.due_at,
                    business_time_left: left,
                    urgency,
                });
            }
        }
    }
    open.sort_by_key(|r| (r.due_at, r.change_id));
    Ok(Board {
        open,
        answered_on_time: on_time,
        counted,
    })
}

/// Emails admins about open submissions one business day from due, and
/// again once overdue; each warning is claimed by a conditional update, so
/// it goes out once however often this runs. Returns how many were sent.
pub async fn send_escalations(
    db: &DatabaseConnection,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let open = policy_change_round::Entity::find()
        .filter(policy_change_round::Column::AnsweredAt.is_null())
        .filter(
            sea_orm::Condition::any()
                .add(policy_change_round::Column::DueSoonEscalatedAt.is_null())
                .add(policy_change_round::Column::OverdueEscalatedAt.is_null()),
        )
        .all(db)
        .await?;
    if open.is_empty() {
        return Ok(0);
    }
    let calendar = closures::calendar(db).await?;
    let mut sent = 0;
    for round in open {
        let (_, urgency) = time_left(&calendar, now, round.due_at);
        let column = match urgency {
            Urgency::OnTrack => continue,
            Urgency::DueSoon if round.due_soon_escalated_at.is_none() => {
                policy_change_round::Column::DueSoonEscalatedAt
            }
            Urgency::Overdue if round.overdue_escalated_at.is_none() => {
                policy_change_round::Column::OverdueEscalatedAt
            }
            _ => continue,
        };
        let txn = crate::db::begin_write(db).await?;
        let mut claim = policy_change_round::Entity::update_many()
            .col_expr(column, Expr::value(now))
            .filter(policy_change_round::Column::Id.eq(round.id))
            .filter(policy_change_round::Column::AnsweredAt.is_null())
            .filter(column.is_null());
        // An overdue warning makes a missed due-soon one moot.
        if urgency == Urgency::Overdue {
            claim = claim.col_expr(
                policy_change_round::Column::DueSoonEscalatedAt,
                Expr::value(round.due_soon_escalated_at.unwrap_or(now)),
            );
        }
        if claim.exec(&txn).await?.rows_affected != 1 {
            continue;
        }
        let Some(change) = policy_change::Entity::find_by_id(round.change_id)
            .one(&txn)
            .await?
        else {
            continue;
        };
        let Some(request) = access_request::Entity::find_by_id(change.request_id)
            .one(&txn)
            .await?
        else {
            continue;
        };
        let name = crate::applications::snapshot::app_name(&txn, &request).await?;
        let notice = Notice::PolicyChangeEscalation {
            change: change.id,
            app: &name,
            overdue: urgency == Urgency::Overdue,
            submitted_at: round.submitted_at,
            due_at: round.due_at,
        };
        if notifier.send(&txn, notice, now).await?.is_none() {
            // No admin yet: the claim rolls back, and the next run tries again.
            continue;
        }
        audit::record(
            &txn,
            &AuditContext::default(),
            now,
            AuditRecord::new("policy_change.escalated", "policy_change", change.id).after(
                serde_json::json!({ "urgency": if urgency == Urgency::Overdue { "overdue" } else { "due_soon" }, "due_at": round.due_at }),
            ),
        )
        .await?;
        txn.commit().await?;
        sent += 1;
    }
    Ok(sent)
}

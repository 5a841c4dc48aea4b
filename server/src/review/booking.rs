//! The life of a demo booking: booked, then cancelled or held, and nothing
//! after that. [`transition`] is the one writer of the status column: it moves
//! a booking only if it is still booked, so a cancellation and a recorded
//! outcome racing each other cannot both land.
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::Expr, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, UpdateMany,
};

use super::ReviewError;
use crate::{entities::demo_booking, errors::Common};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BookingStatus {
    Booked,
    Cancelled,
    Held,
}

/// Something that ends a booking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BookingStep {
    Cancel,
    /// The demo took place and its outcome is recorded.
    Hold,
}

impl BookingStatus {
    pub const ALL: [BookingStatus; 3] = [
        BookingStatus::Booked,
        BookingStatus::Cancelled,
        BookingStatus::Held,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::Booked => "booked",
            BookingStatus::Cancelled => "cancelled",
            BookingStatus::Held => "held",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// Where `step` takes a booking in this status, or `None` if it may not.
    pub fn apply(self, step: BookingStep) -> Option<BookingStatus> {
        match (self, step) {
            (BookingStatus::Booked, BookingStep::Cancel) => Some(BookingStatus::Cancelled),
            (BookingStatus::Booked, BookingStep::Hold) => Some(BookingStatus::Held),
            _ => None,
        }
    }
}

/// The stored status, parsed strictly: an unknown value is an error.
pub fn status_of(booking: &demo_booking::Model) -> Result<BookingStatus, sea_orm::DbErr> {
    BookingStatus::parse(&booking.status).ok_or_else(|| {
        sea_orm::DbErr::Custom(format!(
            "demo booking {} has a status this version does not know: {:?}",
            booking.id, booking.status
        ))
    })
}

/// Moves `booking` by `step`, with the columns `also` adds, if it is still
/// as read. A booking already ended is [`ReviewError::Common(Common::NotFound)`] (there is
/// no booked demo to act on); one ended meanwhile is [`ReviewError::Raced`].
pub(crate) async fn transition(
    db: &impl ConnectionTrait,
    booking: &demo_booking::Model,
    step: BookingStep,
    now: DateTime<Utc>,
    also: impl FnOnce(UpdateMany<demo_booking::Entity>) -> UpdateMany<demo_booking::Entity>,
) -> Result<BookingStatus, ReviewError> {
    let from = status_of(booking)?;
    let next = from
        .apply(step)
        .ok_or(ReviewError::Common(Common::NotFound))?;
    let moved = also(
        demo_booking::Entity::update_many()
            .col_expr(demo_booking::Column::Status, Expr::value(next.as_str()))
            .col_expr(demo_booking::Column::UpdatedAt, Expr::value(now)),
    )
    .filter(demo_booking::Column::Id.eq(booking.id))
    .filter(demo_booking::Column::Status.eq(from.as_str()))
    .exec(db)
    .await?;
    if moved.rows_affected != 1 {
        return Err(ReviewError::Raced);
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_booked_demo_ends_and_it_ends_once() {
        for status in BookingStatus::ALL {
            assert_eq!(BookingStatus::parse(status.as_str()), Some(status));
            for step in [BookingStep::Cancel, BookingStep::Hold] {
                assert_eq!(
                    status.apply(step).is_some(),
                    status == BookingStatus::Booked,
                    "{status:?} {step:?}"
                );
            }
        }
        assert_eq!(BookingStatus::parse("Booked"), None);
    }
}

#[cfg(test)]
mod db_tests {
    use sea_orm::{ActiveModelTrait, Set};
    use uuid::Uuid;

    use super::*;

    async fn booked(db: &impl ConnectionTrait) -> demo_booking::Model {
        let at: DateTime<Utc> = "2031-05-06T14:00:00Z".parse().unwrap();
        demo_booking::ActiveModel {
            id: Set(Uuid::new_v4()),
            request_id: Set(Uuid::new_v4()),
            slot_id: Set(Uuid::new_v4()),
            ics_uid: Set("demo@test".into()),
            sequence: Set(0),
            status: Set(BookingStatus::Booked.as_str().into()),
            outcome: Set(None),
            outcome_notes: Set(None),
            reminder_sent_at: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
        }
        .insert(db)
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn a_cancellation_and_an_outcome_racing_cannot_both_land() {
        let db = crate::db::in_memory().await;
        let read = booked(&db).await;
        let now: DateTime<Utc> = "2031-05-06T15:00:00Z".parse().unwrap();
        // Both read the booking as booked; the outcome is recorded first.
        let held = transition(&db, &read, BookingStep::Hold, now, |u| {
            u.col_expr(demo_booking::Column::Outcome, Expr::value("passed"))
        })
        .await
        .unwrap();
        assert_eq!(held, BookingStatus::Held);
        let late = transition(&db, &read, BookingStep::Cancel, now, |u| u).await;
        assert!(matches!(late, Err(ReviewError::Raced)), "{late:?}");
        let stored = demo_booking::Entity::find_by_id(read.id)
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (stored.status.as_str(), stored.outcome.as_deref()),
            ("held", Some("passed"))
        );
        // Read again, it is simply no longer a booked demo.
        let again = transition(&db, &stored, BookingStep::Cancel, now, |u| u).await;
        assert!(
            matches!(again, Err(ReviewError::Common(Common::NotFound))),
            "{again:?}"
        );
    }
}

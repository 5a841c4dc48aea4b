//! The one writer of an application's state column. [`transition`] applies
//! the rule of [`super::state`] and moves the row only if it is still in the
//! state the caller read, so two requests racing (two reviewers, two tabs, a
//! job and a person) cannot both move it: the second finds nothing to move
//! and is told so. [`update_in_state`] writes other columns under the same
//! guard without moving the state (assigning an application already in
//! review, a re-review demo on a live app).
//!
//! The caller still writes the timeline event and the audit row, in the same
//! transaction: what they say differs for every step.
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::Expr, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, UpdateMany,
};
use uuid::Uuid;

use super::{AccessState, IllegalTransition, Transition};
use crate::entities::access_request;

/// Why an application was not moved. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum TransitionError {
    /// The rule does not allow the step from the state the caller read.
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    /// Another request changed the application after the caller read it.
    #[error("the application was changed by someone else at the same moment")]
    Raced {
        from: AccessState,
        transition: Option<Transition>,
    },
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Moves application `id` from `expected` by `transition`, with the columns
/// `also` adds, and returns the new state.
pub async fn transition(
    db: &impl ConnectionTrait,
    id: Uuid,
    expected: AccessState,
    transition: Transition,
    now: DateTime<Utc>,
    also: impl FnOnce(UpdateMany<access_request::Entity>) -> UpdateMany<access_request::Entity>,
) -> Result<AccessState, TransitionError> {
    let next = expected.apply(transition)?;
    let update = also(
        access_request::Entity::update_many()
            .col_expr(access_request::Column::State, Expr::value(next.as_str())),
    );
    compare_and_set(db, id, expected, Some(transition), now, update).await?;
    Ok(next)
}

/// Writes the columns `also` sets on application `id`, only while it is
/// still `expected`; the state stays as it is.
pub async fn update_in_state(
    db: &impl ConnectionTrait,
    id: Uuid,
    expected: AccessState,
    now: DateTime<Utc>,
    also: impl FnOnce(UpdateMany<access_request::Entity>) -> UpdateMany<access_request::Entity>,
) -> Result<(), TransitionError> {
    let update = also(access_request::Entity::update_many());
    compare_and_set(db, id, expected, None, now, update).await
}

async fn compare_and_set(
    db: &impl ConnectionTrait,
    id: Uuid,
    expected: AccessState,
    transition: Option<Transition>,
    now: DateTime<Utc>,
    update: UpdateMany<access_request::Entity>,
) -> Result<(), TransitionError> {
    let moved = update
        .col_expr(access_request::Column::UpdatedAt, Expr::value(now))
        .filter(access_request::Column::Id.eq(id))
        .filter(access_request::Column::State.eq(expected.as_str()))
        .exec(db)
        .await?;
    if moved.rows_affected == 1 {
        Ok(())
    } else {
        Err(TransitionError::Raced {
            from: expected,
            transition,
        })
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{ActiveModelTrait, Set};

    use super::*;

    async fn application_in(db: &impl ConnectionTrait, state: AccessState) -> Uuid {
        let id = Uuid::new_v4();
        let then = "2030-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        access_request::ActiveModel {
            id: Set(id),
            application_id: Set(Uuid::new_v4()),
            owner_id: Set(Uuid::new_v4()),
            state: Set(state.as_str().into()),
            current_version: Set(1),
            created_at: Set(then),
            updated_at: Set(then),
            submitted_at: Set(None),
            assignee_id: Set(None),
            first_response_due_at: Set(None),
            first_response_at: Set(None),
            demo_invited_at: Set(None),
            approved_data_access_type: Set(None),
            decided_at: Set(None),
            decision_reason: Set(None),
            production_app_id: Set(None),
            listing_approved_at: Set(None),
        }
        .insert(db)
        .await
        .unwrap();
        id
    }

    async fn stored(db: &impl ConnectionTrait, id: Uuid) -> access_request::Model {
        access_request::Entity::find_by_id(id)
            .one(db)
            .await
            .unwrap()
            .unwrap()
    }

    fn now() -> DateTime<Utc> {
        "2031-06-02T15:00:00Z".parse().unwrap()
    }

    #[tokio::test]
    async fn a_step_the_rule_allows_moves_the_row_with_its_columns() {
        let db = crate::db::in_memory().await;
        let id = application_in(&db, AccessState::DemoHeld).await;
        let next = transition(
            &db,
            id,
            AccessState::DemoHeld,
            Transition::Approve,
            now(),
            |u| u.col_expr(access_request::Column::DecidedAt, Expr::value(now())),
        )
        .await
        .unwrap();
        assert_eq!(next, AccessState::Approved);
        let row = stored(&db, id).await;
        assert_eq!(row.state, "approved");
        assert_eq!((row.decided_at, row.updated_at), (Some(now()), now()));
    }

    #[tokio::test]
    async fn a_step_the_rule_forbids_writes_nothing() {
        let db = crate::db::in_memory().await;
        let id = application_in(&db, AccessState::Draft).await;
        let refused = transition(
            &db,
            id,
            AccessState::Draft,
            Transition::Approve,
            now(),
            |u| u,
        )
        .await;
        assert!(
            matches!(refused, Err(TransitionError::Illegal(_))),
            "{refused:?}"
        );
        assert_eq!(stored(&db, id).await.state, "draft");
    }

    #[tokio::test]
    async fn the_second_of_two_racing_steps_finds_nothing_to_move() {
        let db = crate::db::in_memory().await;
        let id = application_in(&db, AccessState::DemoHeld).await;
        // Both read "demo held"; the first denies, then the second approves.
        transition(
            &db,
            id,
            AccessState::DemoHeld,
            Transition::Deny,
            now(),
            |u| u,
        )
        .await
        .unwrap();
        let late = transition(
            &db,
            id,
            AccessState::DemoHeld,
            Transition::Approve,
            now(),
            |u| u,
        )
        .await;
        assert!(
            matches!(
                late,
                Err(TransitionError::Raced {
                    from: AccessState::DemoHeld,
                    ..
                })
            ),
            "{late:?}"
        );
        assert_eq!(stored(&db, id).await.state, "denied");
    }

    #[tokio::test]
    async fn an_update_in_state_keeps_the_state_and_holds_the_same_guard() {
        let db = crate::db::in_memory().await;
        let id = application_in(&db, AccessState::Live).await;
        let assignee = Uuid::new_v4();
        let set = move |u: UpdateMany<access_request::Entity>| {
            u.col_expr(access_request::Column::AssigneeId, Expr::value(assignee))
        };
        update_in_state(&db, id, AccessState::Live, now(), set)
            .await
            .unwrap();
        let row = stored(&db, id).await;
        assert_eq!(
            (row.state.as_str(), row.assignee_id),
            ("live", Some(assignee))
        );
        let stale = update_in_state(&db, id, AccessState::InReview, now(), set).await;
        assert!(matches!(
            stale,
            Err(TransitionError::Raced {
                transition: None,
                ..
            })
        ));
    }
}

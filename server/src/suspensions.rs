//! Whether an app is suspended now: the one question OAuth asks of incident
//! response (`crate::incidents` suspends and restores). Kept apart and below
//! OAuth so that incident response may use OAuth's grants and tokens without
//! the two depending on each other.
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::{entities::suspension, environment::Environment};

/// Why `app` may not use the API of `environment` now, if it may not.
pub async fn active_reason(
    db: &impl ConnectionTrait,
    app: Uuid,
    environment: Environment,
) -> Result<Option<String>, DbErr> {
    let mut applies = Condition::any().add(suspension::Column::ApplicationId.eq(app));
    if environment == Environment::Production {
        applies = applies.add(suspension::Column::ApplicationId.is_null());
    }
    Ok(suspension::Entity::find()
        .filter(suspension::Column::LiftedAt.is_null())
        .filter(applies)
        .order_by_asc(suspension::Column::CreatedAt)
        .one(db)
        .await?
        .map(|s| s.reason))
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use sea_orm::{ActiveModelTrait, Set};

    use super::*;

    async fn suspend(db: &impl ConnectionTrait, app: Option<Uuid>, reason: &str, lifted: bool) {
        let at: DateTime<Utc> = "2031-02-03T10:00:00Z".parse().unwrap();
        suspension::ActiveModel {
            id: Set(Uuid::new_v4()),
            application_id: Set(app),
            reason: Set(reason.into()),
            created_by: Set(Uuid::new_v4()),
            created_at: Set(at),
            lifted_at: Set(lifted.then_some(at)),
            lifted_by: Set(None),
        }
        .insert(db)
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn an_apps_own_suspension_holds_everywhere_and_a_lifted_one_nowhere() {
        let db = crate::db::in_memory().await;
        let (app, other) = (Uuid::new_v4(), Uuid::new_v4());
        suspend(&db, Some(app), "investigating", false).await;
        suspend(&db, Some(other), "was investigated", true).await;
        for environment in [Environment::Sandbox, Environment::Production] {
            let reason = active_reason(&db, app, environment).await.unwrap();
            assert_eq!(reason.as_deref(), Some("investigating"));
            assert_eq!(active_reason(&db, other, environment).await.unwrap(), None);
        }
    }

    #[tokio::test]
    async fn suspending_all_production_leaves_the_sandbox_working() {
        let db = crate::db::in_memory().await;
        suspend(&db, None, "incident", false).await;
        let app = Uuid::new_v4();
        let production = active_reason(&db, app, Environment::Production)
            .await
            .unwrap();
        assert_eq!(production.as_deref(), Some("incident"));
        assert_eq!(
            active_reason(&db, app, Environment::Sandbox).await.unwrap(),
            None
        );
    }
}

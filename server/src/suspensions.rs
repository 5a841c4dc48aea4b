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

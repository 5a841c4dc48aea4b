//! Production access is renewed a year after an app goes live (the audit the
//! developer agreed to at approval). Owners are reminded 30 and 7 days ahead;
//! each reminder is claimed by a conditional update, so it goes out once
//! however often and wherever the job runs.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{sea_query::Expr, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use crate::{
    entities::{account, application},
    notifications::{Notice, Notifier},
};

/// Sends the renewal reminders due at `now`; returns how many went out.
pub async fn send_reminders(
    db: &DatabaseConnection,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let mut sent = 0;
    // Each reminder covers its own window, so an app is never sent both at once.
    for (days, after, column) in [
        (30, 7, application::Column::RenewalReminded30At),
        (7, 0, application::Column::RenewalReminded7At),
    ] {
        let due = application::Entity::find()
            .filter(application::Column::Environment.eq("production"))
            .filter(application::Column::RenewalDueAt.is_not_null())
            .filter(application::Column::RenewalDueAt.lte(now + Duration::days(days)))
            .filter(application::Column::RenewalDueAt.gt(now + Duration::days(after)))
            .filter(column.is_null())
            .all(db)
            .await?;
        for app in due {
            let txn = crate::db::begin_write(db).await?;
            let claimed = application::Entity::update_many()
                .col_expr(column, Expr::value(now))
                .filter(application::Column::Id.eq(app.id))
                .filter(column.is_null())
                .exec(&txn)
                .await?;
            if claimed.rows_affected != 1 {
                continue;
            }
            // A 7-day reminder makes a missed 30-day one moot.
            if days == 7 {
                application::Entity::update_many()
                    .col_expr(application::Column::RenewalReminded30At, Expr::value(now))
                    .filter(application::Column::Id.eq(app.id))
                    .filter(application::Column::RenewalReminded30At.is_null())
                    .exec(&txn)
                    .await?;
            }
            let owner = account::Entity::find_by_id(app.owner_id).one(&txn).await?;
            let mut to: Vec<String> = owner.map(|o| o.email).into_iter().collect();
            if !to
                .iter()
                .any(|t| t.eq_ignore_ascii_case(&app.support_email))
            {
                to.push(app.support_email.clone());
            }
            let due_at = app.renewal_due_at.unwrap_or(now);
            let notice = Notice::RenewalReminder {
                to,
                app: &app.name,
                app_id: app.id,
                due_at,
                days,
            };
            notifier.send(&txn, notice, now).await?;
            txn.commit().await?;
            sent += 1;
        }
    }
    Ok(sent)
}

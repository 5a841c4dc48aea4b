//! Suspensions of API access: one app, or all of production at once (seed
//! 004: access was suspended while a bug was investigated). Rows are never
//! deleted: lifting a suspension records who lifted it and when.
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

use crate::m0002_outbox_and_audit::log_row_changes_sql;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("suspensions")
                    .col(uuid("id").primary_key())
                    // NULL: every production app.
                    .col(uuid_null("application_id"))
                    .col(text("reason"))
                    .col(uuid("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("lifted_at"))
                    .col(uuid_null("lifted_by"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("suspensions", "application_id")
                            .to("applications", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(&log_row_changes_sql("suspensions"))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("suspensions").to_owned())
            .await
    }
}

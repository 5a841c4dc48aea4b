//! Re-review campaigns: an admin publishes new terms of service and/or a new
//! attestation checklist with a deadline; every live app must accept and
//! re-attest by then or is suspended. One row per app follows its reminders,
//! its attestation and any suspension the deadline caused.
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
                    .table("review_campaigns")
                    .col(uuid("id").primary_key())
                    .col(string_len("title", 200))
                    .col(string_len("terms_version", 32))
                    .col(text("terms_text"))
                    // JSON array of the statements each app must attest.
                    .col(text("attestations"))
                    .col(boolean("demo_required"))
                    .col(timestamp_with_time_zone("deadline"))
                    .col(uuid("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("enforced_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("campaign_apps")
                    .col(uuid("campaign_id"))
                    .col(uuid("application_id"))
                    .col(uuid("request_id"))
                    .col(timestamp_with_time_zone_null("attested_at"))
                    .col(uuid_null("attested_by"))
                    .col(timestamp_with_time_zone_null("reminded_30_at"))
                    .col(timestamp_with_time_zone_null("reminded_14_at"))
                    .col(timestamp_with_time_zone_null("reminded_7_at"))
                    .col(timestamp_with_time_zone_null("reminded_1_at"))
                    .col(uuid_null("suspension_id"))
                    .primary_key(Index::create().col("campaign_id").col("application_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("campaign_apps", "campaign_id")
                            .to("review_campaigns", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("campaign_apps", "application_id")
                            .to("applications", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            for table in ["review_campaigns", "campaign_apps"] {
                manager
                    .get_connection()
                    .execute_unprepared(&log_row_changes_sql(table))
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["campaign_apps", "review_campaigns"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

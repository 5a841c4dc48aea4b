//! Life after approval: the directory listing an approved applicant submits,
//! the production credential handoff links, and what a live production app
//! keeps (a retiring secret during a grace period, the go-live and renewal dates).
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

use crate::m0002_outbox_and_audit::log_row_changes_sql;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds columns one at a time.
        for column in [
            uuid_null("production_app_id"),
            timestamp_with_time_zone_null("listing_approved_at"),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("access_requests")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [
            // The secret being retired: it keeps working until the grace period ends.
            string_len_null("previous_secret_hash", 64),
            timestamp_with_time_zone_null("previous_secret_expires_at"),
            timestamp_with_time_zone_null("live_at"),
            timestamp_with_time_zone_null("renewal_due_at"),
            timestamp_with_time_zone_null("renewal_reminded_30_at"),
            timestamp_with_time_zone_null("renewal_reminded_7_at"),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("applications")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("app_listings")
                    .col(uuid("request_id").primary_key())
                    .col(string_len("name", 100))
                    .col(string_len("short_description", 200))
                    .col(text("long_description"))
                    .col(string_len("website_url", 500))
                    .col(string_len("privacy_policy_url", 500))
                    .col(string_len("support_email", 254))
                    .col(string_len("support_url", 500))
                    // Comma-separated keys from the fixed lists in `production::listing`.
                    .col(string_len("categories", 200))
                    .col(string_len("platforms", 100))
                    .col(integer("revision"))
                    .col(timestamp_with_time_zone_null("submitted_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("app_listings", "request_id")
                            .to("access_requests", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("credential_handoffs")
                    .col(uuid("id").primary_key())
                    .col(uuid("request_id"))
                    .col(uuid("application_id"))
                    // The point of contact the link is for: only their signed-in account may use it.
                    .col(string_len("contact_email", 254))
                    .col(string_len_uniq("token_hash", 64))
                    .col(uuid("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .col(uuid_null("used_by"))
                    // Set when a reissue replaced this link before it was used.
                    .col(timestamp_with_time_zone_null("superseded_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("credential_handoffs", "request_id")
                            .to("access_requests", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("credential_handoffs", "application_id")
                            .to("applications", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            for table in ["app_listings", "credential_handoffs"] {
                manager
                    .get_connection()
                    .execute_unprepared(&log_row_changes_sql(table))
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["credential_handoffs", "app_listings"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in [
            "previous_secret_hash",
            "previous_secret_expires_at",
            "live_at",
            "renewal_due_at",
            "renewal_reminded_30_at",
            "renewal_reminded_7_at",
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("applications")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in ["production_app_id", "listing_approved_at"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("access_requests")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

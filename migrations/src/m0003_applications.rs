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
                    .table("applications")
                    .col(uuid("id").primary_key())
                    .col(uuid("owner_id"))
                    .col(string_len("environment", 16))
                    .col(string_len("name", 100))
                    // Lower-cased name: app names are unique regardless of case.
                    .col(string_len_uniq("name_key", 100))
                    .col(text("description"))
                    .col(string_len("website_url", 2048))
                    .col(string_len("privacy_policy_url", 2048))
                    .col(string_len("terms_url", 2048))
                    .col(string_len("support_email", 254))
                    .col(string_len("support_phone", 40))
                    .col(string_len("client_type", 16))
                    .col(string_len("grant_type", 32))
                    .col(text("redirect_uris"))
                    .col(boolean("requires_demographics"))
                    .col(string_len("data_access_type", 16))
                    .col(string_len_uniq("client_id", 64))
                    .col(string_len("secret_hash", 64))
                    .col(boolean("active"))
                    .col(timestamp_with_time_zone("terms_accepted_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("applications", "owner_id")
                            .to("accounts", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_applications_owner")
                    .table("applications")
                    .col("owner_id")
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(&log_row_changes_sql("applications"))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("applications").to_owned())
            .await
    }
}

//! Changes to a live app's privacy policy or terms of service. The developer
//! proposes new documents (with the notice enrollees will get); a reviewer
//! must answer within five federal business days of each submission. Every
//! submission is a review round, so the share answered on time can be counted.
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
                    .table("policy_changes")
                    .col(uuid("id").primary_key())
                    .col(uuid("request_id"))
                    // draft, submitted, changes_requested, approved, withdrawn
                    .col(string_len("state", 24))
                    // The request id while the change is open, NULL once it is
                    // closed: the unique index allows one open change per app.
                    .col(uuid_null("open_for"))
                    .col(text("enrollee_notice"))
                    .col(integer("revision"))
                    .col(uuid("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("approved_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("policy_changes", "request_id")
                            .to("access_requests", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("policy_changes_one_open")
                    .table("policy_changes")
                    .col("open_for")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("policy_changes_by_request")
                    .table("policy_changes")
                    .col("request_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("policy_change_documents")
                    .col(uuid("id").primary_key())
                    .col(uuid("change_id"))
                    .col(string_len("kind", 32))
                    .col(string_len("filename", 255))
                    .col(string_len("sha256", 64))
                    .col(big_integer("size_bytes"))
                    .col(integer("page_count"))
                    .col(integer("word_count"))
                    .col(text("extracted_text"))
                    .col(text("analysis"))
                    .col(uuid("uploaded_by"))
                    .col(timestamp_with_time_zone("uploaded_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("policy_change_documents", "change_id")
                            .to("policy_changes", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("policy_change_rounds")
                    .col(uuid("id").primary_key())
                    .col(uuid("change_id"))
                    .col(timestamp_with_time_zone("submitted_at"))
                    .col(timestamp_with_time_zone("due_at"))
                    .col(timestamp_with_time_zone_null("answered_at"))
                    // approved or changes_requested
                    .col(string_len_null("outcome", 24))
                    .col(text_null("comment"))
                    .col(uuid_null("answered_by"))
                    // Escalations to admins, each claimed once.
                    .col(timestamp_with_time_zone_null("due_soon_escalated_at"))
                    .col(timestamp_with_time_zone_null("overdue_escalated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("policy_change_rounds", "change_id")
                            .to("policy_changes", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("policy_change_rounds_open")
                    .table("policy_change_rounds")
                    .col("answered_at")
                    .col("due_at")
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            for table in ["policy_changes", "policy_change_rounds"] {
                manager
                    .get_connection()
                    .execute_unprepared(&log_row_changes_sql(table))
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "policy_change_rounds",
            "policy_change_documents",
            "policy_changes",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

//! Reviews of production-access applications: who has one, the first-response
//! clock, checklist evaluations, and comments (to the applicant or internal).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds columns one at a time.
        for column in [
            uuid_null("assignee_id"),
            timestamp_with_time_zone_null("first_response_due_at"),
            timestamp_with_time_zone_null("first_response_at"),
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
        manager
            .create_table(
                Table::create()
                    .table("review_evaluations")
                    .col(uuid("request_id"))
                    .col(string_len("item_key", 48))
                    // `pass`, `needs_change` or `not_applicable`.
                    .col(string_len("status", 16))
                    .col(text("comment"))
                    .col(uuid("reviewer_id"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .primary_key(Index::create().col("request_id").col("item_key"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("review_evaluations", "request_id")
                            .to("access_requests", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("review_comments")
                    .col(uuid("id").primary_key())
                    .col(uuid("request_id"))
                    .col(uuid("author_id"))
                    .col(string_len("author_role", 16))
                    // Internal notes are for reviewers only: never shown or mailed to applicants.
                    .col(boolean("internal"))
                    .col(text("body"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("review_comments", "request_id")
                            .to("access_requests", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_review_comments_request")
                    .table("review_comments")
                    .col("request_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["review_comments", "review_evaluations"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in ["assignee_id", "first_response_due_at", "first_response_at"] {
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

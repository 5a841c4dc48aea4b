//! The one-time links (password reset, email verification, set-password,
//! credential handoff) inside a queued email, so that the worker can remove
//! them from the stored body once the email is delivered (issue 18).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("outbox_messages")
                    .add_column(text_null("one_time_links"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("outbox_messages")
                    .drop_column("one_time_links")
                    .to_owned(),
            )
            .await
    }
}

//! A cap on the emails anyone may make us send to an account without signing
//! in (password resets, "someone tried to sign up with your email"), so that
//! an attacker with many addresses can neither flood an inbox nor grow the
//! outbox, the link and the audit tables without bound (issue 18). One
//! fixed window per account: when it started and how many were sent in it.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        manager
            .alter_table(
                Table::alter()
                    .table("accounts")
                    .add_column(timestamp_with_time_zone_null("unrequested_mail_window"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("accounts")
                    .add_column(integer("unrequested_mail_count").default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["unrequested_mail_count", "unrequested_mail_window"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("accounts")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

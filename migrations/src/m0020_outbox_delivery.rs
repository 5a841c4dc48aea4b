//! Mail that survives a long SMTP outage and a bad address (issue 19).
//!
//! - `recipient_outcomes`: JSON object, address → delivered or rejected
//!   (with the server's reason). An address not in it is still to be sent,
//!   so a retry never sends twice to someone who has it, and one rejected
//!   address does not fail the message for the others.
//! - `failing_since`: when the current run of transient failures began;
//!   the worker keeps retrying until it is older than the retry window.
//! - `claim_token`: the lease of the worker that claimed the row. The
//!   worker's final update is conditional on it, so a worker whose lease
//!   ran out cannot overwrite what the next one did.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for column in [
            text_null("recipient_outcomes"),
            timestamp_with_time_zone_null("failing_since"),
            uuid_null("claim_token"),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("outbox_messages")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["claim_token", "failing_since", "recipient_outcomes"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("outbox_messages")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

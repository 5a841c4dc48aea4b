//! A registry of the files in the blob store, so that files no record
//! refers to can be collected without racing an upload (issue 19).
//!
//! - `claimed_at`: the last time an upload was about to store these bytes.
//!   An upload claims before it writes, so a recent claim means a record
//!   that refers to the file may be about to commit.
//! - `collecting_since`: set by the collector before it deletes the file;
//!   an upload of the same bytes waits until the row is gone.
//!
//! The three tables that refer to blobs get an index on `sha256`, which
//! the collector's "is it referred to" check uses.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const REFERRERS: [&str; 3] = [
    "access_documents",
    "decision_letters",
    "policy_change_documents",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("stored_blobs")
                    .col(string_len("sha256", 64).primary_key())
                    .col(timestamp_with_time_zone("claimed_at"))
                    .col(timestamp_with_time_zone_null("collecting_since"))
                    .to_owned(),
            )
            .await?;
        for table in REFERRERS {
            manager
                .create_index(
                    Index::create()
                        .name(format!("idx_{table}_sha256"))
                        .table(table)
                        .col("sha256")
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in REFERRERS {
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("idx_{table}_sha256"))
                        .table(table)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table("stored_blobs").to_owned())
            .await
    }
}

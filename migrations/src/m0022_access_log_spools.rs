//! How far each portal process's access-log spool is settled (issue 19).
//!
//! Each process appends every API access record to a spool file in its data
//! directory before the response goes out, and its writer moves the records
//! into `api_access_log` in batches; each batch also sets `settled_seq` to
//! its last record's number, in the same transaction. After a crash the next
//! process to start replays the dead one's spool from the record after
//! `settled_seq`: each record is written exactly once.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("access_log_spools")
                    .col(uuid("instance_id").primary_key())
                    .col(big_integer("settled_seq"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("access_log_spools").to_owned())
            .await
    }
}

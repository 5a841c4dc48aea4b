//! A campaign that asks for a new demo: when a reviewer records that the
//! app's re-review demo passed.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("campaign_apps")
                    .add_column(timestamp_with_time_zone_null("demo_passed_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("campaign_apps")
                    .drop_column("demo_passed_at")
                    .to_owned(),
            )
            .await
    }
}

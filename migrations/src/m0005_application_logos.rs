//! App logos, stored with the app (they are small: at most 100 KB).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("application_logos")
                    .col(uuid("application_id").primary_key())
                    .col(string_len("content_type", 32))
                    .col(blob("content"))
                    .col(string_len("sha256", 64))
                    .col(integer("width"))
                    .col(integer("height"))
                    .col(timestamp_with_time_zone("uploaded_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("application_logos", "application_id")
                            .to("applications", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("application_logos").to_owned())
            .await
    }
}

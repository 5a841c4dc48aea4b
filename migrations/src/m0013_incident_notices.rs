//! Incident notices: a message from the team to the contacts of selected
//! apps, one email per contact so that each delivery can be followed.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("incident_notices")
                    .col(uuid("id").primary_key())
                    .col(string_len("subject", 200))
                    .col(text("body"))
                    // `all` or an app id, as chosen.
                    .col(string_len("audience", 64))
                    .col(uuid("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("incident_notice_recipients")
                    .col(uuid("notice_id"))
                    .col(string_len("email", 254))
                    .col(uuid("outbox_message_id"))
                    .primary_key(Index::create().col("notice_id").col("email"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("incident_notice_recipients", "notice_id")
                            .to("incident_notices", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["incident_notice_recipients", "incident_notices"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

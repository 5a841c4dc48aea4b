//! Demo scheduling (reviewers' 1-hour slots, applicants' bookings, outcomes)
//! and decisions (approval or denial, with the letter kept on record).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            timestamp_with_time_zone_null("demo_invited_at"),
            string_len_null("approved_data_access_type", 16),
            timestamp_with_time_zone_null("decided_at"),
            text_null("decision_reason"),
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
                    .table("demo_slots")
                    .col(uuid("id").primary_key())
                    .col(uuid("reviewer_id"))
                    .col(timestamp_with_time_zone("starts_at"))
                    .col(timestamp_with_time_zone("ends_at"))
                    .col(string_len("meeting_link", 2048))
                    // Set by the one booking that wins the slot (a conditional update).
                    .col(uuid_null("booked_request_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("withdrawn_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_demo_slots_starts_at")
                    .table("demo_slots")
                    .col("starts_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("demo_bookings")
                    .col(uuid("id").primary_key())
                    .col(uuid("request_id"))
                    .col(uuid("slot_id"))
                    // The calendar event's UID and SEQUENCE: updates and cancellations reuse the UID.
                    .col(string_len("ics_uid", 128))
                    .col(integer("sequence"))
                    // `booked`, `cancelled` or `held`.
                    .col(string_len("status", 16))
                    // `passed`, `concerns` or `another_demo`.
                    .col(string_len_null("outcome", 16))
                    // JSON: topic → note, and the concerns to resolve.
                    .col(text_null("outcome_notes"))
                    .col(timestamp_with_time_zone_null("reminder_sent_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("demo_bookings", "request_id")
                            .to("access_requests", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("demo_bookings", "slot_id")
                            .to("demo_slots", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("decision_letters")
                    .col(uuid("id").primary_key())
                    .col(uuid("request_id"))
                    // `approved` or `denied`.
                    .col(string_len("decision", 16))
                    .col(string_len("filename", 255))
                    // The PDF, in the blob store.
                    .col(string_len("sha256", 64))
                    .col(uuid("decided_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("decision_letters", "request_id")
                            .to("access_requests", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["decision_letters", "demo_bookings", "demo_slots"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in [
            "demo_invited_at",
            "approved_data_access_type",
            "decided_at",
            "decision_reason",
        ] {
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

//! Production-access applications: answers saved per section, uploaded policy
//! documents, immutable submitted versions and the applicant-facing timeline.
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

use crate::m0002_outbox_and_audit::log_row_changes_sql;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("access_requests")
                    .col(uuid("id").primary_key())
                    // One application per sandbox app.
                    .col(uuid_uniq("application_id"))
                    .col(uuid("owner_id"))
                    .col(string_len("state", 32))
                    // The number of the latest submitted version; 0 before the first.
                    .col(integer("current_version"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("submitted_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("access_requests", "application_id")
                            .to("applications", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("access_requests", "owner_id")
                            .to("accounts", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_access_requests_owner")
                    .table("access_requests")
                    .col("owner_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("access_request_sections")
                    .col(uuid("request_id"))
                    .col(string_len("section", 32))
                    // JSON object: field key → answer.
                    .col(text("answers"))
                    // Bumped on every save; a save must name the revision it edited.
                    .col(integer("revision"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(uuid("updated_by"))
                    .primary_key(Index::create().col("request_id").col("section"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("access_request_sections", "request_id")
                            .to("access_requests", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("access_documents")
                    .col(uuid("id").primary_key())
                    .col(uuid("request_id"))
                    // `privacy_policy` or `terms_of_service`.
                    .col(string_len("kind", 32))
                    .col(string_len("filename", 255))
                    // Names the file in the blob store.
                    .col(string_len("sha256", 64))
                    .col(big_integer("size_bytes"))
                    .col(integer("page_count"))
                    .col(integer("word_count"))
                    .col(text("extracted_text"))
                    // JSON: readability figures and checklist hints.
                    .col(text("analysis"))
                    .col(uuid("uploaded_by"))
                    .col(timestamp_with_time_zone("uploaded_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("access_documents", "request_id")
                            .to("access_requests", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_access_documents_request")
                    .table("access_documents")
                    .col("request_id")
                    .col("kind")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("access_request_versions")
                    .col(uuid("request_id"))
                    .col(integer("version"))
                    // JSON: every answer, the documents (id, name, sha256) and the attestation.
                    .col(text("snapshot"))
                    .col(uuid("submitted_by"))
                    .col(timestamp_with_time_zone("submitted_at"))
                    // The version is unique per request: a double submit cannot make two.
                    .primary_key(Index::create().col("request_id").col("version"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("access_request_versions", "request_id")
                            .to("access_requests", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("access_request_events")
                    .col(big_integer("id").primary_key().auto_increment())
                    .col(uuid("request_id"))
                    .col(timestamp_with_time_zone("occurred_at"))
                    .col(uuid_null("actor_id"))
                    .col(string_len("kind", 48))
                    .col(text("detail"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("access_request_events", "request_id")
                            .to("access_requests", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_access_request_events_request")
                    .table("access_request_events")
                    .col("request_id")
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            for table in ["access_requests", "access_request_versions"] {
                manager
                    .get_connection()
                    .execute_unprepared(&log_row_changes_sql(table))
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "access_request_events",
            "access_request_versions",
            "access_documents",
            "access_request_sections",
            "access_requests",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

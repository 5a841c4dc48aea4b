use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Tables whose every row change is also logged by the database itself
/// (seed 004: audit "at the database level, to log from the bottom up").
/// Later migrations add their security-critical tables with [`log_row_changes_sql`].
const ROW_LOGGED_TABLES: &[&str] = &["accounts"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("outbox_messages")
                    .col(uuid("id").primary_key())
                    .col(text("recipients"))
                    .col(string_len("subject", 300))
                    .col(text("body_text"))
                    .col(text("body_html"))
                    .col(string_len("status", 16))
                    .col(integer("attempts").default(0))
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .col(timestamp_with_time_zone_null("claimed_until"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_due")
                    .table("outbox_messages")
                    .col("status")
                    .col("next_attempt_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("outbox_attachments")
                    .col(uuid("id").primary_key())
                    .col(uuid("message_id"))
                    .col(string_len("filename", 200))
                    .col(string_len("content_type", 100))
                    .col(blob("content"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("outbox_attachments", "message_id")
                            .to("outbox_messages", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("audit_events")
                    .col(big_pk_auto("id"))
                    .col(timestamp_with_time_zone("occurred_at"))
                    .col(uuid_null("actor_id"))
                    .col(string_len_null("actor_role", 16))
                    .col(string_len("action", 64))
                    .col(string_len("target_type", 64))
                    .col(string_len_null("target_id", 128))
                    .col(text_null("before"))
                    .col(text_null("after"))
                    .col(string_len_null("request_id", 64))
                    .col(string_len_null("ip", 64))
                    .col(string_len_null("user_agent", 512))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("idx_audit_time", vec!["occurred_at"]),
            ("idx_audit_action", vec!["action"]),
            ("idx_audit_actor", vec!["actor_id"]),
        ] {
            let mut index = Index::create();
            index.name(name).table("audit_events");
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }

        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Sqlite => {
                for op in ["UPDATE", "DELETE"] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER audit_events_no_{op} BEFORE {op} ON audit_events \
                         BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;",
                        op = op.to_lowercase()
                    ))
                    .await?;
                }
            }
            DbBackend::Postgres => {
                // `row_changes.changed_at` defaults to the database's own
                // clock on purpose: this trigger log records when PostgreSQL
                // saw each write, independent of the portal (whose audit
                // records use its injected clock), so the two can be compared.
                db.execute_unprepared(
                    r#"
                    CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
                    BEGIN RAISE EXCEPTION 'audit_events is append-only'; END;
                    $$ LANGUAGE plpgsql;
                    CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
                        FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

                    CREATE TABLE row_changes (
                        id BIGSERIAL PRIMARY KEY,
                        changed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                        table_name TEXT NOT NULL,
                        operation TEXT NOT NULL,
                        row_id TEXT,
                        old_row JSONB,
                        new_row JSONB,
                        db_user TEXT NOT NULL DEFAULT current_user,
                        transaction_id BIGINT NOT NULL DEFAULT txid_current()
                    );
                    -- Secrets never enter the log, even hashed.
                    CREATE FUNCTION log_row_change() RETURNS trigger AS $$
                    DECLARE
                        redacted TEXT[] := ARRAY['password_hash', 'token_hash', 'secret_hash'];
                        old_json JSONB := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) - redacted END;
                        new_json JSONB := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) - redacted END;
                    BEGIN
                        INSERT INTO row_changes (table_name, operation, row_id, old_row, new_row)
                        VALUES (TG_TABLE_NAME, TG_OP,
                                COALESCE(new_json ->> 'id', old_json ->> 'id'), old_json, new_json);
                        RETURN NULL;
                    END;
                    $$ LANGUAGE plpgsql;
                    CREATE FUNCTION row_changes_append_only() RETURNS trigger AS $$
                    BEGIN RAISE EXCEPTION 'row_changes is append-only'; END;
                    $$ LANGUAGE plpgsql;
                    CREATE TRIGGER row_changes_append_only BEFORE UPDATE OR DELETE ON row_changes
                        FOR EACH ROW EXECUTE FUNCTION row_changes_append_only();
                    "#,
                )
                .await?;
                for table in ROW_LOGGED_TABLES {
                    db.execute_unprepared(&log_row_changes_sql(table)).await?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Postgres {
            for table in ROW_LOGGED_TABLES {
                db.execute_unprepared(&format!(
                    "DROP TRIGGER IF EXISTS {table}_row_changes ON {table}"
                ))
                .await?;
            }
            db.execute_unprepared(
                "DROP TABLE row_changes; DROP FUNCTION log_row_change(); \
                 DROP FUNCTION row_changes_append_only();",
            )
            .await?;
        }
        for table in ["audit_events", "outbox_attachments", "outbox_messages"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("DROP FUNCTION audit_events_append_only();")
                .await?;
        }
        Ok(())
    }
}

/// PostgreSQL: attach the row-change log trigger to `table`.
pub(crate) fn log_row_changes_sql(table: &str) -> String {
    format!(
        "CREATE TRIGGER {table}_row_changes AFTER INSERT OR UPDATE OR DELETE ON {table} \
         FOR EACH ROW EXECUTE FUNCTION log_row_change();"
    )
}

//! Delivers queued messages: claims due rows, sends them, and reschedules
//! failures with exponential backoff. Nothing is dropped: a message that keeps
//! failing ends `failed`, listed for admins, who can queue it again.
use std::{sync::Arc, time::Duration};

use chrono::Utc;
use lettre::{
    message::{header::ContentType, Attachment as MailAttachment, Mailbox, MultiPart},
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, DbErr,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set,
};
use tokio::sync::{watch, Notify};

use crate::{
    audit::{self, AuditContext, AuditRecord},
    entities::{outbox_attachment, outbox_message},
};

pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";

/// How long a claimed message stays reserved for the worker that claimed it.
const CLAIM_FOR: chrono::Duration = chrono::Duration::minutes(5);
const BATCH: u64 = 20;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("mail configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Where messages go.
#[derive(Clone)]
pub enum Transport {
    /// `.eml` files in a directory (the embedded default).
    Files(AsyncFileTransport<Tokio1Executor>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl Transport {
    /// SMTP when `smtp_url` is set, otherwise files under `outbox_dir`.
    pub fn from_settings(
        smtp_url: Option<&str>,
        outbox_dir: &std::path::Path,
    ) -> Result<Self, MailError> {
        match smtp_url {
            Some(url) => AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map(|builder| {
                    Transport::Smtp(builder.timeout(Some(Duration::from_secs(20))).build())
                })
                .map_err(|e| MailError::Config(format!("SMTP_URL: {e}"))),
            None => {
                std::fs::create_dir_all(outbox_dir)
                    .map_err(|e| MailError::Config(format!("creating {outbox_dir:?}: {e}")))?;
                Ok(Transport::Files(AsyncFileTransport::new(outbox_dir)))
            }
        }
    }

    async fn send(&self, message: Message) -> Result<(), String> {
        match self {
            Transport::Files(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
            Transport::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
        }
    }
}

/// Retry schedule: `base × 2^(attempt-1)`, capped, for at most `max_attempts` tries.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    pub base: Duration,
    pub max_delay: Duration,
    pub max_attempts: i32,
}

impl RetryPolicy {
    pub fn delay_after(&self, attempts: i32) -> Duration {
        let factor = 2u32.saturating_pow((attempts.max(1) - 1) as u32);
        self.base.saturating_mul(factor).min(self.max_delay)
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(5),
            max_delay: Duration::from_secs(3600),
            max_attempts: 10,
        }
    }
}

/// The delivery loop's state. Cheap to clone.
#[derive(Clone)]
pub struct OutboxWorker {
    db: DatabaseConnection,
    transport: Transport,
    from: Mailbox,
    policy: RetryPolicy,
    wake: Arc<Notify>,
    /// The portal's clock: messages queued at a test's advanced time fall due by it.
    clock: crate::Clock,
}

impl OutboxWorker {
    pub fn new(
        db: DatabaseConnection,
        transport: Transport,
        from: &str,
        policy: RetryPolicy,
        wake: Arc<Notify>,
    ) -> Result<Self, MailError> {
        let from = from
            .parse()
            .map_err(|e| MailError::Config(format!("MAIL_FROM: {e}")))?;
        Ok(Self {
            db,
            transport,
            from,
            policy,
            wake,
            clock: crate::Clock::default(),
        })
    }

    /// Reads time from `clock` (the portal's own) instead of the wall clock.
    pub fn with_clock(mut self, clock: crate::Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Runs until `shutdown` turns true: delivers what is due, then sleeps until
    /// woken by a new message or `poll` elapses.
    pub async fn run(self, poll: Duration, mut shutdown: watch::Receiver<bool>) {
        loop {
            match self.deliver_due().await {
                Ok(sent) if sent > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "outbox pass failed"),
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(poll) => {}
                _ = shutdown.changed() => return,
            }
            if *shutdown.borrow() {
                return;
            }
        }
    }

    /// One pass: claims and attempts every due message. Returns how many were sent.
    pub async fn deliver_due(&self) -> Result<usize, DbErr> {
        let now = self.clock.now();
        let due = outbox_message::Entity::find()
            .filter(outbox_message::Column::Status.eq(PENDING))
            .filter(outbox_message::Column::NextAttemptAt.lte(now))
            .filter(
                Condition::any()
                    .add(outbox_message::Column::ClaimedUntil.is_null())
                    .add(outbox_message::Column::ClaimedUntil.lt(now)),
            )
            .order_by_asc(outbox_message::Column::CreatedAt)
            .limit(BATCH)
            .all(&self.db)
            .await?;
        let mut sent = 0;
        for message in due {
            if self.claim(&message, now).await? {
                sent += usize::from(self.attempt(message).await?);
            }
        }
        Ok(sent)
    }

    /// A conditional update: of several workers racing for a row, exactly one
    /// sees it change. Works the same on SQLite and PostgreSQL.
    async fn claim(
        &self,
        message: &outbox_message::Model,
        now: chrono::DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        let result = outbox_message::Entity::update_many()
            .col_expr(
                outbox_message::Column::ClaimedUntil,
                Expr::value(now + CLAIM_FOR),
            )
            .filter(outbox_message::Column::Id.eq(message.id))
            .filter(outbox_message::Column::Status.eq(PENDING))
            .filter(
                Condition::any()
                    .add(outbox_message::Column::ClaimedUntil.is_null())
                    .add(outbox_message::Column::ClaimedUntil.lt(now)),
            )
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    async fn attempt(&self, message: outbox_message::Model) -> Result<bool, DbErr> {
        let attachments = outbox_attachment::Entity::find()
            .filter(outbox_attachment::Column::MessageId.eq(message.id))
            .all(&self.db)
            .await?;
        let outcome = match self.build(&message, attachments) {
            Ok(mail) => self.transport.send(mail).await,
            Err(e) => Err(e),
        };
        let attempts = message.attempts + 1;
        let delivered_copy = outcome.is_ok().then(|| without_one_time_links(&message));
        let mut row = message.into_active_model();
        row.attempts = Set(attempts);
        row.claimed_until = Set(None);
        let delivered = outcome.is_ok();
        match outcome {
            Ok(()) => {
                row.status = Set(SENT.into());
                row.sent_at = Set(Some(self.clock.now()));
                row.last_error = Set(None);
                if let Some((text, html)) = delivered_copy.flatten() {
                    row.body_text = Set(text);
                    row.body_html = Set(html);
                    row.one_time_links = Set(None);
                }
            }
            Err(error) => {
                tracing::warn!(%error, attempts, "email delivery failed");
                row.last_error = Set(Some(error));
                if attempts >= self.policy.max_attempts {
                    row.status = Set(FAILED.into());
                } else {
                    let delay = chrono::Duration::from_std(self.policy.delay_after(attempts))
                        .unwrap_or(chrono::Duration::hours(1));
                    row.next_attempt_at = Set(self.clock.now() + delay);
                }
            }
        }
        row.update(&self.db).await?;
        Ok(delivered)
    }

    fn build(
        &self,
        message: &outbox_message::Model,
        attachments: Vec<outbox_attachment::Model>,
    ) -> Result<Message, String> {
        let recipients: Vec<String> =
            serde_json::from_str(&message.recipients).map_err(|e| e.to_string())?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(message.subject.clone())
            // Stable per outbox row, so a receiver can tell a retry from a new message.
            .message_id(Some(format!("<{}@outbox.bluebutton.portal>", message.id)));
        for to in &recipients {
            builder = builder.to(to.parse().map_err(|e| format!("recipient {to}: {e}"))?);
        }
        let body =
            MultiPart::alternative_plain_html(message.body_text.clone(), message.body_html.clone());
        let result = if attachments.is_empty() {
            builder.multipart(body)
        } else {
            let mut mixed = MultiPart::mixed().multipart(body);
            for a in attachments {
                let content_type =
                    ContentType::parse(&a.content_type).map_err(|e| e.to_string())?;
                mixed =
                    mixed.singlepart(MailAttachment::new(a.filename).body(a.content, content_type));
            }
            builder.multipart(mixed)
        };
        result.map_err(|e| e.to_string())
    }
}

/// Messages that are not delivered yet (pending with errors, or failed), for admins.
pub async fn undelivered(db: &DatabaseConnection) -> Result<Vec<outbox_message::Model>, DbErr> {
    outbox_message::Entity::find()
        .filter(
            Condition::any()
                .add(outbox_message::Column::Status.eq(FAILED))
                .add(
                    Condition::all()
                        .add(outbox_message::Column::Status.eq(PENDING))
                        .add(outbox_message::Column::Attempts.gt(0)),
                ),
        )
        .order_by_desc(outbox_message::Column::CreatedAt)
        .all(db)
        .await
}

/// The stored bodies of a delivered message with its one-time links taken
/// out (`None` if it had none): the recipient has them, and anyone who can
/// read the outbox table later must not be able to use them. What remains
/// (recipients, subject, the rest of the text) keeps the record, with the
/// SHA-256 of the text as delivered.
fn without_one_time_links(message: &outbox_message::Model) -> Option<(String, String)> {
    let links: Vec<String> = serde_json::from_str(message.one_time_links.as_deref()?).ok()?;
    let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        message.body_text.as_bytes(),
    ));
    let removed = "[one-time link removed after delivery]";
    let (mut text, mut html) = (message.body_text.clone(), message.body_html.clone());
    for link in &links {
        text = text.replace(link.as_str(), removed);
        html = html
            .replace(link.as_str(), removed)
            .replace(super::templates::escape_html(link).as_str(), removed);
    }
    text.push_str(&format!("\n[SHA-256 of the text as delivered: {digest}]\n"));
    Some((text, html))
}

/// Puts a failed message back in the queue, due `now`.
///
/// `now` is the portal clock's reading: the worker compares `next_attempt_at`
/// with that clock, so a wall-clock "now" would leave a retried message never
/// due while the clock runs behind the wall.
pub async fn retry(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    id: uuid::Uuid,
    now: chrono::DateTime<Utc>,
) -> Result<bool, DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let Some(message) = outbox_message::Entity::find_by_id(id).one(&txn).await? else {
        return Ok(false);
    };
    if message.status == SENT {
        return Ok(false);
    }
    let before = serde_json::json!({ "status": message.status, "attempts": message.attempts });
    let mut row = message.into_active_model();
    row.status = Set(PENDING.into());
    row.attempts = Set(0);
    row.next_attempt_at = Set(now);
    row.claimed_until = Set(None);
    row.update(&txn).await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("outbox.retry", "outbox_message", id)
            .before(before)
            .after(serde_json::json!({ "status": PENDING, "attempts": 0 })),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let p = RetryPolicy {
            base: Duration::from_secs(5),
            max_delay: Duration::from_secs(60),
            max_attempts: 5,
        };
        assert_eq!(p.delay_after(1), Duration::from_secs(5));
        assert_eq!(p.delay_after(2), Duration::from_secs(10));
        assert_eq!(p.delay_after(4), Duration::from_secs(40));
        assert_eq!(p.delay_after(5), Duration::from_secs(60));
        assert_eq!(p.delay_after(40), Duration::from_secs(60));
    }
}

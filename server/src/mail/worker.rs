//! Delivers queued messages: claims due rows, sends them, and reschedules
//! failures by [`super::policy`]. Nothing is dropped: a message whose
//! failures outlast the retry window ends `failed`, listed for admins, who
//! can queue it again ([`super::outbox`]).
use std::{sync::Arc, time::Duration};

use chrono::Utc;
use lettre::{
    address::Envelope,
    message::{header::ContentType, Attachment as MailAttachment, Mailbox, MultiPart},
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use sea_orm::{
    sea_query::Expr, ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set,
};
use tokio::sync::{watch, Notify};
use tracing::Instrument;
use uuid::Uuid;

pub use super::policy::RetryPolicy;
use super::policy::{RecipientOutcome, RecipientOutcomes};
use crate::entities::{outbox_attachment, outbox_message};

pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";

/// How long a claimed message stays reserved for the worker that claimed it.
/// Longer than the SMTP timeout times a message's recipients.
pub(crate) const CLAIM_FOR: chrono::Duration = chrono::Duration::minutes(5);
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

/// Why a send did not go through.
#[derive(Debug)]
enum SendError {
    /// Worth trying again later: no connection, a timeout, a 4xx reply.
    Transient(String),
    /// The server refused for good (5xx), or the message cannot be sent as is.
    Permanent(String),
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

    /// Sends `message` (its headers name everyone) to the envelope
    /// recipients `to` only.
    async fn send_to(&self, message: &Message, to: &[Mailbox]) -> Result<(), SendError> {
        let envelope = Envelope::new(
            message.envelope().from().cloned(),
            to.iter().map(|m| m.email.clone()).collect(),
        )
        .map_err(|e| SendError::Permanent(e.to_string()))?;
        let bytes = message.formatted();
        match self {
            Transport::Files(t) => t
                .send_raw(&envelope, &bytes)
                .await
                .map(|_| ())
                .map_err(|e| SendError::Transient(e.to_string())),
            Transport::Smtp(t) => t
                .send_raw(&envelope, &bytes)
                .await
                .map(|_| ())
                .map_err(|e| {
                    if e.is_permanent() {
                        SendError::Permanent(e.to_string())
                    } else {
                        SendError::Transient(e.to_string())
                    }
                }),
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
            let pass = self
                .deliver_due()
                .instrument(crate::telemetry::task_span("outbox"));
            match pass.await {
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

    /// One pass: claims and attempts every due message. Returns how many
    /// were sent to at least one more address.
    pub async fn deliver_due(&self) -> Result<usize, DbErr> {
        let now = self.clock.now();
        let due = outbox_message::Entity::find()
            .filter(outbox_message::Column::Status.eq(PENDING))
            .filter(outbox_message::Column::NextAttemptAt.lte(now))
            .filter(unclaimed(now))
            .order_by_asc(outbox_message::Column::CreatedAt)
            .limit(BATCH)
            .all(&self.db)
            .await?;
        let mut sent = 0;
        for message in due {
            if let Some(lease) = self.claim(&message, now).await? {
                let span = tracing::info_span!("message", message_id = %message.id);
                sent += usize::from(self.attempt(message, lease).instrument(span).await?);
            }
        }
        Ok(sent)
    }

    /// A conditional update: of several workers racing for a row, exactly one
    /// sees it change, and gets the lease. Works the same on SQLite and
    /// PostgreSQL.
    async fn claim(
        &self,
        message: &outbox_message::Model,
        now: chrono::DateTime<Utc>,
    ) -> Result<Option<Uuid>, DbErr> {
        let lease = Uuid::new_v4();
        let result = outbox_message::Entity::update_many()
            .col_expr(
                outbox_message::Column::ClaimedUntil,
                Expr::value(now + CLAIM_FOR),
            )
            .col_expr(outbox_message::Column::ClaimToken, Expr::value(lease))
            .filter(outbox_message::Column::Id.eq(message.id))
            .filter(outbox_message::Column::Status.eq(PENDING))
            .filter(unclaimed(now))
            .exec(&self.db)
            .await?;
        Ok((result.rows_affected == 1).then_some(lease))
    }

    /// Sends to every address not yet settled, records what happened, and
    /// reschedules what is left. Returns whether anyone new got the message.
    async fn attempt(&self, message: outbox_message::Model, lease: Uuid) -> Result<bool, DbErr> {
        let attachments = outbox_attachment::Entity::find()
            .filter(outbox_attachment::Column::MessageId.eq(message.id))
            .all(&self.db)
            .await?;
        let recipients: Vec<String> = serde_json::from_str(&message.recipients).unwrap_or_default();
        let mut outcomes = RecipientOutcomes::parse(message.recipient_outcomes.as_deref());
        let delivered_before = outcomes.delivered();
        let mut mailboxes = Vec::new();
        for address in outcomes.unsettled(&recipients) {
            match address.parse::<Mailbox>() {
                Ok(mailbox) => mailboxes.push((address.clone(), mailbox)),
                Err(e) => outcomes.settle(
                    address,
                    RecipientOutcome::Rejected {
                        reason: format!("not an address we can send to: {e}"),
                    },
                ),
            }
        }
        let transient = match self.build(&message, &recipients, attachments) {
            Ok(mail) => self.send(&mail, &mailboxes, &mut outcomes).await,
            Err(reason) => {
                for (address, _) in &mailboxes {
                    outcomes.settle(
                        address,
                        RecipientOutcome::Rejected {
                            reason: reason.clone(),
                        },
                    );
                }
                None
            }
        };
        let now = self.clock.now();
        let attempts = message.attempts + 1;
        let newly_delivered = outcomes.delivered() > delivered_before;
        let all_settled = outcomes.unsettled(&recipients).is_empty();
        let delivered_copy = all_settled
            .then(|| without_one_time_links(&message))
            .flatten();
        let failing_since = message.failing_since;
        let mut row = message.into_active_model();
        row.attempts = Set(attempts);
        row.claimed_until = Set(None);
        row.claim_token = Set(None);
        row.recipient_outcomes = Set(outcomes.to_stored());
        if all_settled {
            row.failing_since = Set(None);
            row.last_error = Set(outcomes.rejection_summary());
            if outcomes.delivered() > 0 {
                tracing::info!(attempts, recipients = outcomes.delivered(), "email sent");
                row.status = Set(SENT.into());
                row.sent_at = Set(Some(now));
                if let Some((text, html)) = delivered_copy {
                    row.body_text = Set(text);
                    row.body_html = Set(html);
                    row.one_time_links = Set(None);
                }
            } else {
                tracing::warn!(attempts, "email rejected for every recipient");
                row.status = Set(FAILED.into());
            }
        } else {
            let error = transient.unwrap_or_default();
            tracing::warn!(%error, attempts, "email delivery failed; will retry");
            let since = failing_since.unwrap_or(now);
            row.failing_since = Set(Some(since));
            match self.policy.next_attempt(attempts, since, now) {
                Some(at) => {
                    row.status = Set(PENDING.into());
                    row.next_attempt_at = Set(at);
                    row.last_error = Set(Some(error));
                }
                None => {
                    row.status = Set(FAILED.into());
                    row.last_error = Set(Some(format!(
                        "gave up after failing since {}: {error}",
                        since.format("%Y-%m-%d %H:%M UTC")
                    )));
                }
            }
        }
        // Only while the lease is ours: a worker that stalled past it must
        // not overwrite what the next one recorded.
        let update = outbox_message::Entity::update(row).validate()?;
        match update
            .filter(outbox_message::Column::ClaimToken.eq(lease))
            .exec(&self.db)
            .await
        {
            Ok(_) => Ok(newly_delivered),
            Err(DbErr::RecordNotUpdated) => {
                tracing::warn!("outbox lease lost before the attempt was recorded; the next holder's record stands");
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// Sends once to every unsettled address together; if that is refused
    /// for good, once to each, so that a bad address fails alone. Settles
    /// what it can in `outcomes` and returns the transient error, if any
    /// address is left.
    async fn send(
        &self,
        mail: &Message,
        mailboxes: &[(String, Mailbox)],
        outcomes: &mut RecipientOutcomes,
    ) -> Option<String> {
        let unsettled: Vec<&(String, Mailbox)> = mailboxes.iter().collect();
        if unsettled.is_empty() {
            return None;
        }
        let together: Vec<Mailbox> = unsettled.iter().map(|(_, m)| m.clone()).collect();
        match self.transport.send_to(mail, &together).await {
            Ok(()) => {
                for (address, _) in &unsettled {
                    outcomes.settle(address, RecipientOutcome::Delivered);
                }
                None
            }
            Err(SendError::Transient(error)) => Some(error),
            Err(SendError::Permanent(reason)) if unsettled.len() == 1 => {
                outcomes.settle(&unsettled[0].0, RecipientOutcome::Rejected { reason });
                None
            }
            Err(SendError::Permanent(_)) => {
                let mut transient = None;
                for (address, mailbox) in unsettled {
                    match self
                        .transport
                        .send_to(mail, std::slice::from_ref(mailbox))
                        .await
                    {
                        Ok(()) => outcomes.settle(address, RecipientOutcome::Delivered),
                        Err(SendError::Permanent(reason)) => {
                            outcomes.settle(address, RecipientOutcome::Rejected { reason })
                        }
                        Err(SendError::Transient(error)) => transient = Some(error),
                    }
                }
                transient
            }
        }
    }

    /// The message as every recipient sees it: all of them in To, whatever
    /// the envelope of one send.
    fn build(
        &self,
        message: &outbox_message::Model,
        recipients: &[String],
        attachments: Vec<outbox_attachment::Model>,
    ) -> Result<Message, String> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(message.subject.clone())
            // Stable per outbox row, so a receiver can tell a retry from a new message.
            .message_id(Some(format!("<{}@outbox.bluebutton.portal>", message.id)));
        for to in recipients {
            if let Ok(mailbox) = to.parse::<Mailbox>() {
                builder = builder.to(mailbox);
            }
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

/// Rows no worker holds a live lease on.
pub(crate) fn unclaimed(now: chrono::DateTime<Utc>) -> Condition {
    Condition::any()
        .add(outbox_message::Column::ClaimedUntil.is_null())
        .add(outbox_message::Column::ClaimedUntil.lt(now))
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
            .replace(crate::html::escape(link).as_str(), removed);
    }
    text.push_str(&format!("\n[SHA-256 of the text as delivered: {digest}]\n"));
    Some((text, html))
}

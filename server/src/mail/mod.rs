//! Email, through a transactional outbox: a message is queued in the same
//! transaction as the state change that causes it, and [`worker`] delivers it.
pub mod outbox;
pub mod policy;
pub mod worker;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};
use uuid::Uuid;

use crate::entities::{outbox_attachment, outbox_message};

/// A file sent with a message (decision letters, summaries, calendar invitations).
#[derive(Clone, Debug)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// A message ready to queue: rendered text and HTML bodies.
#[derive(Clone, Debug)]
pub struct OutgoingEmail {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachments: Vec<Attachment>,
    /// Links in the body that work once (resets, verification, handoffs):
    /// removed from the stored copy after delivery, since whoever reads the
    /// outbox table afterwards must not be able to use them.
    pub one_time_links: Vec<String>,
}

/// Queues `email` through `db` (the caller's transaction). Returns the outbox id.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    email: OutgoingEmail,
    now: DateTime<Utc>,
) -> Result<Uuid, DbErr> {
    let id = Uuid::new_v4();
    outbox_message::ActiveModel {
        id: Set(id),
        recipients: Set(serde_json::to_string(&email.to).expect("strings serialize")),
        subject: Set(email.subject),
        body_text: Set(email.text),
        body_html: Set(email.html),
        status: Set(worker::PENDING.into()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        claimed_until: Set(None),
        one_time_links: Set((!email.one_time_links.is_empty())
            .then(|| serde_json::to_string(&email.one_time_links).expect("strings serialize"))),
        recipient_outcomes: Set(None),
        failing_since: Set(None),
        claim_token: Set(None),
    }
    .insert(db)
    .await?;
    for attachment in email.attachments {
        outbox_attachment::ActiveModel {
            id: Set(Uuid::new_v4()),
            message_id: Set(id),
            filename: Set(attachment.filename),
            content_type: Set(attachment.content_type),
            content: Set(attachment.content),
        }
        .insert(db)
        .await?;
    }
    Ok(id)
}

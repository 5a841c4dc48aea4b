use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// JSON array of addresses.
    pub recipients: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    /// A worker that claimed the message owns it until then.
    pub claimed_until: Option<DateTimeUtc>,
    /// JSON array of the one-time links in the body, removed from the stored
    /// body once it is delivered (then this is cleared too).
    pub one_time_links: Option<String>,
    /// JSON object, address → [`crate::mail::worker::RecipientOutcome`].
    /// Addresses not in it are still to be delivered.
    pub recipient_outcomes: Option<String>,
    /// When the current run of transient failures began.
    pub failing_since: Option<DateTimeUtc>,
    /// The lease of the worker that claimed the row (see `claimed_until`).
    pub claim_token: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

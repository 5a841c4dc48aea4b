use sea_orm::entity::prelude::*;

/// A registered OAuth client. Only the secret's digest is stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "applications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub owner_id: Uuid,
    pub environment: String,
    pub name: String,
    pub name_key: String,
    pub description: String,
    pub website_url: String,
    pub privacy_policy_url: String,
    pub terms_url: String,
    pub support_email: String,
    pub support_phone: String,
    pub client_type: String,
    pub grant_type: String,
    /// Newline-separated, exactly as registered.
    pub redirect_uris: String,
    pub requires_demographics: bool,
    pub data_access_type: String,
    pub client_id: String,
    pub secret_hash: String,
    pub active: bool,
    pub terms_accepted_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The secret being retired after a rotation with a grace period, and
    /// when it stops working.
    pub previous_secret_hash: Option<String>,
    pub previous_secret_expires_at: Option<DateTimeUtc>,
    /// Production apps: when the credentials were handed over, and when the
    /// production access is due for renewal (a year later).
    pub live_at: Option<DateTimeUtc>,
    pub renewal_due_at: Option<DateTimeUtc>,
    pub renewal_reminded_30_at: Option<DateTimeUtc>,
    pub renewal_reminded_7_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

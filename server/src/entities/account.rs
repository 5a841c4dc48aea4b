use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub organization: String,
    pub password_hash: Option<String>,
    pub role: String,
    pub verified_at: Option<DateTimeUtc>,
    pub tos_version: Option<String>,
    pub tos_accepted_at: Option<DateTimeUtc>,
    pub failed_logins: i32,
    pub locked_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// When the current window of [`crate::accounts::UNREQUESTED_MAIL_PER_HOUR`] started.
    pub unrequested_mail_window: Option<DateTimeUtc>,
    pub unrequested_mail_count: i32,
    /// The authenticator's TOTP secret, sealed (see `crate::second_factor`).
    pub totp_secret: Option<String>,
    pub totp_enabled_at: Option<DateTimeUtc>,
    pub totp_last_step: Option<i64>,
    /// An enrolment shown but not yet confirmed, sealed.
    pub totp_pending: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

/// A single-use authorization code (digest only), bound to its client, redirect URI, PKCE challenge, scopes and beneficiary.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "authorization_codes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub code_hash: String,
    pub grant_id: Uuid,
    pub application_id: Uuid,
    pub beneficiary_id: Uuid,
    pub redirect_uri: String,
    pub redirect_uri_given: bool,
    pub code_challenge: Option<String>,
    pub scopes: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

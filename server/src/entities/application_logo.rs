use sea_orm::entity::prelude::*;

/// An app's logo image (PNG or JPEG, checked on upload).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "application_logos")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub application_id: Uuid,
    pub content_type: String,
    pub content: Vec<u8>,
    pub sha256: String,
    pub width: i32,
    pub height: i32,
    pub uploaded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

/// A Medicare enrollee (synthetic). `fhir_id` is the Patient id, whole.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "beneficiaries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub fhir_id: String,
    pub given_name: String,
    pub family_name: String,
    pub middle_initial: Option<String>,
    pub gender: String,
    pub birth_date: Date,
    pub race_code: String,
    pub state_code: String,
    pub county_code: String,
    pub postal_code: String,
    pub mbi: String,
    pub hicn_hash: String,
    pub email: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! Enrollees' Medicare data — coverage and claims — and the searches the
//! FHIR API runs over it. Every function takes the enrollee whose data it
//! reads: there is no way to ask for a claim or coverage without naming them,
//! so a token can only ever reach its own beneficiary's records.
pub mod http;
pub mod load;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::{
    entities::{beneficiary, claim, coverage, crosswalk, identity_user},
    ids::BeneficiaryId,
    synthetic::{
        claims::{Claim, ClaimType},
        coverage::CoveragePart,
    },
};

/// A comparison from a FHIR date search parameter (`ge2024-01-01`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound<T> {
    Eq(T),
    Ge(T),
    Gt(T),
    Le(T),
    Lt(T),
}

/// Which claims an ExplanationOfBenefit search wants.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClaimFilter {
    /// `None`: every type.
    pub types: Option<Vec<ClaimType>>,
    /// On the claim's last service date.
    pub service_date: Vec<Bound<NaiveDate>>,
    pub last_updated: Vec<Bound<DateTime<Utc>>>,
}

/// What searches and paging need to know of a claim, without its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimRef {
    pub row_id: i64,
    pub resource_id: String,
    pub claim_type: ClaimType,
    pub service_end: NaiveDate,
    pub last_updated: DateTime<Utc>,
}

fn holds<T: PartialOrd>(bound: &Bound<T>, value: &T) -> bool {
    match bound {
        Bound::Eq(v) => value == v,
        Bound::Ge(v) => value >= v,
        Bound::Gt(v) => value > v,
        Bound::Le(v) => value <= v,
        Bound::Lt(v) => value < v,
    }
}

impl ClaimFilter {
    /// The same test [`search_claims`] makes in SQL, on a claim in memory.
    pub fn matches(&self, claim: &ClaimRef) -> bool {
        self.types
            .as_ref()
            .is_none_or(|types| types.contains(&claim.claim_type))
            && self
                .service_date
                .iter()
                .all(|b| holds(b, &claim.service_end))
            && self
                .last_updated
                .iter()
                .all(|b| holds(b, &claim.last_updated))
    }
}

/// All of `beneficiary`'s claims as [`ClaimRef`]s, in id order (the paging order).
pub async fn claim_index(
    db: &impl ConnectionTrait,
    beneficiary: BeneficiaryId,
) -> Result<Vec<ClaimRef>, DbErr> {
    let rows: Vec<(i64, String, String, NaiveDate, DateTime<Utc>)> = claim::Entity::find()
        .select_only()
        .column(claim::Column::Id)
        .column(claim::Column::ResourceId)
        .column(claim::Column::ClaimType)
        .column(claim::Column::ServiceEnd)
        .column(claim::Column::LastUpdated)
        .filter(claim::Column::BeneficiaryId.eq(beneficiary.0))
        .order_by_asc(claim::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(
            |(row_id, resource_id, claim_type, service_end, last_updated)| {
                Some(ClaimRef {
                    row_id,
                    resource_id,
                    claim_type: ClaimType::parse(&claim_type)?,
                    service_end,
                    last_updated,
                })
            },
        )
        .collect())
}

/// `beneficiary`'s claims with these row ids (others' rows are never returned).
pub async fn claims_by_rows(
    db: &impl ConnectionTrait,
    beneficiary: BeneficiaryId,
    rows: &[i64],
) -> Result<Vec<(i64, StoredClaim)>, DbErr> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    claim::Entity::find()
        .filter(claim::Column::BeneficiaryId.eq(beneficiary.0))
        .filter(claim::Column::Id.is_in(rows.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let id = row.id;
            decode_claim(row).map(|claim| (id, claim))
        })
        .collect()
}

/// A claim with the time it last changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredClaim {
    pub claim: Claim,
    pub last_updated: DateTime<Utc>,
}

/// One coverage part with the time it last changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCoverage {
    pub id: String,
    pub part: CoveragePart,
    pub last_updated: DateTime<Utc>,
}

fn bound_condition<T, C>(column: C, bound: Bound<T>) -> sea_orm::sea_query::SimpleExpr
where
    C: ColumnTrait,
    T: Into<sea_orm::Value>,
{
    match bound {
        Bound::Eq(v) => column.eq(v),
        Bound::Ge(v) => column.gte(v),
        Bound::Gt(v) => column.gt(v),
        Bound::Le(v) => column.lte(v),
        Bound::Lt(v) => column.lt(v),
    }
}

fn claim_condition(beneficiary: BeneficiaryId, filter: &ClaimFilter) -> Condition {
    let mut condition = Condition::all().add(claim::Column::BeneficiaryId.eq(beneficiary.0));
    if let Some(types) = &filter.types {
        condition = condition.add(claim::Column::ClaimType.is_in(types.iter().map(|t| t.as_str())));
    }
    for bound in &filter.service_date {
        condition = condition.add(bound_condition(claim::Column::ServiceEnd, *bound));
    }
    for bound in &filter.last_updated {
        condition = condition.add(bound_condition(claim::Column::LastUpdated, *bound));
    }
    condition
}

fn decode_claim(row: claim::Model) -> Result<StoredClaim, DbErr> {
    let claim = serde_json::from_str(&row.payload)
        .map_err(|e| DbErr::Custom(format!("claim {} is not readable: {e}", row.resource_id)))?;
    Ok(StoredClaim {
        claim,
        last_updated: row.last_updated,
    })
}

/// One page of `beneficiary`'s claims matching `filter`, oldest first, and how many match in all.
pub async fn search_claims(
    db: &impl ConnectionTrait,
    beneficiary: BeneficiaryId,
    filter: &ClaimFilter,
    offset: u64,
    limit: u64,
) -> Result<(u64, Vec<StoredClaim>), DbErr> {
    let condition = claim_condition(beneficiary, filter);
    let total = claim::Entity::find()
        .filter(condition.clone())
        .count(db)
        .await?;
    if limit == 0 || offset >= total {
        return Ok((total, Vec::new()));
    }
    let rows = claim::Entity::find()
        .filter(condition)
        .order_by_asc(claim::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    let claims = rows
        .into_iter()
        .map(decode_claim)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((total, claims))
}

/// One of `beneficiary`'s claims by its resource id; another enrollee's claim is `None`.
pub async fn claim(
    db: &impl ConnectionTrait,
    beneficiary: BeneficiaryId,
    resource_id: &str,
) -> Result<Option<StoredClaim>, DbErr> {
    claim::Entity::find()
        .filter(claim::Column::ResourceId.eq(resource_id))
        .filter(claim::Column::BeneficiaryId.eq(beneficiary.0))
        .one(db)
        .await?
        .map(decode_claim)
        .transpose()
}

fn decode_coverage(row: coverage::Model) -> Result<StoredCoverage, DbErr> {
    let part = serde_json::from_str(&row.payload)
        .map_err(|e| DbErr::Custom(format!("coverage {} is not readable: {e}", row.id)))?;
    Ok(StoredCoverage {
        id: row.id,
        part,
        last_updated: row.last_updated,
    })
}

/// All of `beneficiary`'s coverage parts, A to D.
pub async fn coverages(
    db: &impl ConnectionTrait,
    beneficiary: BeneficiaryId,
) -> Result<Vec<StoredCoverage>, DbErr> {
    coverage::Entity::find()
        .filter(coverage::Column::BeneficiaryId.eq(beneficiary.0))
        .order_by_asc(coverage::Column::Part)
        .all(db)
        .await?
        .into_iter()
        .map(decode_coverage)
        .collect()
}

/// One of `beneficiary`'s coverage parts; another enrollee's is `None`.
pub async fn coverage(
    db: &impl ConnectionTrait,
    beneficiary: BeneficiaryId,
    id: &str,
) -> Result<Option<StoredCoverage>, DbErr> {
    coverage::Entity::find_by_id(id.to_string())
        .filter(coverage::Column::BeneficiaryId.eq(beneficiary.0))
        .one(db)
        .await?
        .map(decode_coverage)
        .transpose()
}

/// Claim counts by type for `beneficiary` (the sample-beneficiaries CSV).
pub async fn claim_counts(
    db: &impl ConnectionTrait,
    beneficiary: BeneficiaryId,
) -> Result<Vec<(ClaimType, u64)>, DbErr> {
    let rows: Vec<(String, i64)> = claim::Entity::find()
        .select_only()
        .column(claim::Column::ClaimType)
        .column_as(claim::Column::Id.count(), "n")
        .filter(claim::Column::BeneficiaryId.eq(beneficiary.0))
        .group_by(claim::Column::ClaimType)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(t, n)| ClaimType::parse(&t).map(|t| (t, n.max(0) as u64)))
        .collect())
}

/// A row of the sample-beneficiaries CSV.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleBeneficiary {
    pub username: String,
    pub password: String,
    pub fhir_id: String,
    pub total: u64,
    pub by_type: Vec<(ClaimType, u64)>,
}

/// The `limit` loaded synthetic enrollees with the most claims, most first.
pub async fn richest(
    db: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<SampleBeneficiary>, DbErr> {
    let top: Vec<(uuid::Uuid, i64)> = claim::Entity::find()
        .select_only()
        .column(claim::Column::BeneficiaryId)
        .column_as(claim::Column::Id.count(), "n")
        .group_by(claim::Column::BeneficiaryId)
        .order_by_desc(claim::Column::Id.count())
        .order_by_asc(claim::Column::BeneficiaryId)
        .limit(limit * 2)
        .into_tuple()
        .all(db)
        .await?;
    let mut out = Vec::new();
    for (bene, total) in top {
        let Some(patient) = beneficiary::Entity::find_by_id(bene).one(db).await? else {
            continue;
        };
        let subjects: Vec<uuid::Uuid> = crosswalk::Entity::find()
            .select_only()
            .column(crosswalk::Column::Subject)
            .filter(crosswalk::Column::BeneficiaryId.eq(bene))
            .into_tuple()
            .all(db)
            .await?;
        let username = identity_user::Entity::find()
            .filter(identity_user::Column::Subject.is_in(subjects))
            .all(db)
            .await?
            .into_iter()
            .map(|u| u.username)
            .find(|u| crate::synthetic::number_of(u).is_some());
        let Some(username) = username else { continue };
        let number = crate::synthetic::number_of(&username).expect("checked above");
        out.push(SampleBeneficiary {
            password: crate::synthetic::password(number),
            username,
            fhir_id: patient.fhir_id,
            total: total.max(0) as u64,
            by_type: claim_counts(db, crate::ids::BeneficiaryId(bene)).await?,
        });
        if out.len() as u64 == limit {
            break;
        }
    }
    Ok(out)
}

//! Loading the synthetic data set, and the weekly/monthly data refresh.
//!
//! Enrollees are loaded in chunks; each chunk (people, sign-ins, crosswalk,
//! coverage, claims) is one transaction, so an interrupted load leaves whole
//! enrollees behind and can simply be run again.
use std::ops::Range;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use sea_orm::{
    sea_query::Expr, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use crate::{
    audit::{self, AuditContext, AuditRecord},
    beneficiaries::new_subject,
    entities::{beneficiary, claim, coverage, crosswalk, identity_user},
    invalidation::{self, Stale},
    passwords,
    synthetic::{
        self,
        claims::{Claim, ClaimSpec, ClaimType},
        coverage::coverage_for,
        SeededRng, SyntheticPerson,
    },
};

/// Enrollees per chunk (and so per transaction).
const CHUNK: usize = 500;
/// Rows per INSERT (well under SQLite's and PostgreSQL's bind limits).
const ROWS_PER_INSERT: usize = 400;

/// What a load did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadReport {
    pub created: u32,
    pub already_present: u32,
    pub claims: u64,
}

impl LoadReport {
    pub fn add(&mut self, other: LoadReport) {
        self.created += other.created;
        self.already_present += other.already_present;
        self.claims += other.claims;
    }
}

/// Everything one chunk inserts, prepared off the async threads.
#[derive(Default)]
struct Rows {
    benes: Vec<beneficiary::ActiveModel>,
    users: Vec<identity_user::ActiveModel>,
    walks: Vec<crosswalk::ActiveModel>,
    coverages: Vec<coverage::ActiveModel>,
    claims: Vec<claim::ActiveModel>,
}

/// When a claim was last updated in the warehouse: the day it was processed.
fn processed_at(claim: &Claim) -> DateTime<Utc> {
    claim.processed.and_time(NaiveTime::MIN).and_utc()
}

/// A claim row for `beneficiary`.
pub(crate) fn claim_row(
    beneficiary: Uuid,
    claim: &Claim,
    last_updated: DateTime<Utc>,
) -> claim::ActiveModel {
    claim::ActiveModel {
        id: Default::default(),
        resource_id: Set(claim.resource_id()),
        claim_type: Set(claim.claim_type.as_str().into()),
        beneficiary_id: Set(beneficiary),
        service_start: Set(claim.from),
        service_end: Set(claim.thru),
        last_updated: Set(last_updated),
        payload: Set(serde_json::to_string(claim).expect("claims serialize")),
    }
}

fn prepare(people: &[SyntheticPerson], now: DateTime<Utc>) -> Rows {
    let coverage_updated = synthetic::claims::window()
        .1
        .and_time(NaiveTime::MIN)
        .and_utc();
    let mut rows = Rows::default();
    for person in people {
        let id = Uuid::new_v4();
        let subject = new_subject();
        rows.benes.push(beneficiary::ActiveModel {
            id: Set(id),
            fhir_id: Set(person.fhir_id.clone()),
            given_name: Set(person.given_name.clone()),
            family_name: Set(person.family_name.clone()),
            middle_initial: Set(person.middle_initial.clone()),
            gender: Set(person.gender.into()),
            birth_date: Set(person.birth_date),
            race_code: Set(person.race_code.into()),
            state_code: Set(person.state_code.clone()),
            county_code: Set(person.county_code.clone()),
            postal_code: Set(person.postal_code.clone()),
            mbi: Set(person.mbi.clone()),
            hicn_hash: Set(person.hicn_hash.clone()),
            email: Set(person.email.clone()),
            created_at: Set(now),
            updated_at: Set(now),
        });
        rows.users.push(identity_user::ActiveModel {
            subject: Set(subject.0),
            username: Set(person.username.clone()),
            password_hash: Set(passwords::hash_published(&person.password)),
            created_at: Set(now),
        });
        rows.walks.push(crosswalk::ActiveModel {
            id: Set(Uuid::new_v4()),
            subject: Set(subject.0),
            beneficiary_id: Set(id),
            created_at: Set(now),
        });
        for part in coverage_for(person) {
            rows.coverages.push(coverage::ActiveModel {
                id: Set(part.part.coverage_id(&person.fhir_id)),
                beneficiary_id: Set(id),
                part: Set(part.part.as_str().into()),
                payload: Set(serde_json::to_string(&part).expect("coverage serializes")),
                last_updated: Set(coverage_updated),
            });
        }
        for claim in synthetic::claims::claims_for(person.number) {
            rows.claims
                .push(claim_row(id, &claim, processed_at(&claim)));
        }
    }
    rows
}

/// Builds the rows of `people` on every core.
fn prepare_in_parallel(people: Vec<SyntheticPerson>, now: DateTime<Utc>) -> Rows {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let per_thread = people.len().div_ceil(threads).max(1);
    let parts: Vec<Rows> = std::thread::scope(|scope| {
        let workers: Vec<_> = people
            .chunks(per_thread)
            .map(|chunk| scope.spawn(move || prepare(chunk, now)))
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("loader thread"))
            .collect()
    });
    let mut rows = Rows::default();
    for part in parts {
        rows.benes.extend(part.benes);
        rows.users.extend(part.users);
        rows.walks.extend(part.walks);
        rows.coverages.extend(part.coverages);
        rows.claims.extend(part.claims);
    }
    rows
}

async fn insert_all<E, A>(txn: &sea_orm::DatabaseTransaction, rows: Vec<A>) -> Result<(), DbErr>
where
    E: EntityTrait,
    A: sea_orm::ActiveModelTrait<Entity = E> + Clone + Send,
{
    let mut rows = rows;
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(ROWS_PER_INSERT));
        E::insert_many(rows).exec_without_returning(txn).await?;
        rows = rest;
    }
    Ok(())
}

/// Loads the synthetic enrollees numbered `numbers` that are not there yet,
/// with their sign-ins, coverage and claims. Safe to run again.
pub async fn load_synthetic(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    numbers: Range<u32>,
    now: DateTime<Utc>,
) -> Result<LoadReport, DbErr> {
    let numbers = numbers.start..numbers.end.min(synthetic::POPULATION);
    let mut report = LoadReport::default();
    let all: Vec<u32> = numbers.clone().collect();
    for chunk in all.chunks(CHUNK) {
        let names: Vec<String> = chunk.iter().map(|n| synthetic::username(*n)).collect();
        let present: std::collections::HashSet<String> = identity_user::Entity::find()
            .select_only()
            .column(identity_user::Column::Username)
            .filter(identity_user::Column::Username.is_in(names))
            .into_tuple::<String>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let missing: Vec<u32> = chunk
            .iter()
            .copied()
            .filter(|n| !present.contains(&synthetic::username(*n)))
            .collect();
        report.already_present += present.len() as u32;
        if missing.is_empty() {
            continue;
        }
        let rows = tokio::task::spawn_blocking(move || {
            let people: Vec<SyntheticPerson> = missing.into_iter().map(synthetic::person).collect();
            prepare_in_parallel(people, now)
        })
        .await
        .map_err(|e| DbErr::Custom(format!("preparing synthetic data stopped: {e}")))?;
        report.created += rows.benes.len() as u32;
        report.claims += rows.claims.len() as u64;
        let txn = crate::db::begin_write(db).await?;
        insert_all(&txn, rows.benes).await?;
        insert_all(&txn, rows.users).await?;
        insert_all(&txn, rows.walks).await?;
        insert_all(&txn, rows.coverages).await?;
        insert_all(&txn, rows.claims).await?;
        invalidation::commit(txn, Some(Stale::Data)).await?;
    }
    if report.created > 0 {
        let txn = crate::db::begin_write(db).await?;
        audit::record(
            &txn,
            ctx,
            now,
            AuditRecord {
                action: "beneficiaries.loaded",
                target_type: "beneficiary",
                target_id: None,
                before: None,
                after: Some(serde_json::json!({
                    "first": numbers.start, "end": numbers.end, "created": report.created, "claims": report.claims,
                })),
            },
        )
        .await?;
        txn.commit().await?;
        settle(db).await?;
    }
    Ok(report)
}

/// After a bulk load on PostgreSQL: vacuum and analyze the loaded tables
/// now, so the planner knows their new size at once (where autovacuum is
/// off, nothing else would tell it) and, where it is on, the vacuum so many
/// inserted rows would set off does not land minutes later in the middle of
/// the API's traffic. (SQLite has neither.)
async fn settle(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        use sea_orm::ConnectionTrait;
        db.execute_unprepared(
            "VACUUM (ANALYZE) beneficiaries, identity_users, crosswalks, coverages, claims",
        )
        .await?;
    }
    Ok(())
}

/// What a refresh appended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RefreshReport {
    pub part_ab_claims: u64,
    pub part_d_events: u64,
}

/// The weekly Part A/B refresh and the monthly Part D refresh, at once: new
/// claims with service dates in the past week (Part D: month) and
/// `lastUpdated` = now, for about one enrollee in ten, so that apps can test
/// incremental sync with `_lastUpdated`.
pub async fn refresh(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    now: DateTime<Utc>,
) -> Result<RefreshReport, DbErr> {
    // Everything from reading the largest claim id to the insert happens in
    // one write transaction, so that two runs at once (an overlapping cron)
    // take turns instead of both numbering from the same id: on SQLite
    // through its write lock, on PostgreSQL through an advisory lock.
    use sea_orm::ConnectionTrait;
    let txn = crate::db::begin_write(db).await?;
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        txn.execute_unprepared("SELECT pg_advisory_xact_lock(hashtext('claims refresh'))")
            .await?;
    }
    let benes: Vec<(Uuid, String)> = beneficiary::Entity::find()
        .select_only()
        .column(beneficiary::Column::Id)
        .column(beneficiary::Column::FhirId)
        .order_by_asc(beneficiary::Column::FhirId)
        .into_tuple()
        .all(&txn)
        .await?;
    // New claim ids continue after the largest one in use.
    let next_id: Option<i64> = claim::Entity::find()
        .select_only()
        .expr(sea_orm::sea_query::Func::max(Expr::col(claim::Column::Id)))
        .into_tuple()
        .one(&txn)
        .await?
        .flatten();
    let mut sequence = 40_000_000_000u64 + next_id.unwrap_or(0).max(0) as u64 * 10;
    let today: NaiveDate = now.date_naive();
    let mut rng = SeededRng::new(now.timestamp() as u64);
    let mut rows = Vec::new();
    let mut report = RefreshReport::default();
    // About one enrollee in ten (at least one) gets a new claim.
    let picks = (benes.len() / 10).max(usize::from(!benes.is_empty()));
    for _ in 0..picks {
        let (id, _) = &benes[rng.below(benes.len() as u64) as usize];
        let part_d = rng.chance(50);
        let (claim_type, back) = if part_d {
            (ClaimType::Pde, 30)
        } else {
            (
                *rng.pick(&[
                    ClaimType::Carrier,
                    ClaimType::Carrier,
                    ClaimType::Outpatient,
                    ClaimType::Dme,
                ]),
                7,
            )
        };
        sequence += 1;
        let from = today - Duration::days(rng.between(1, back));
        let lines = if claim_type == ClaimType::Pde {
            1
        } else {
            rng.between(1, 4) as usize
        };
        let spec = ClaimSpec::new(claim_type, sequence.to_string(), from, lines);
        let mut claim = synthetic::claims::generate(&spec, &mut rng);
        claim.processed = today;
        rows.push(claim_row(*id, &claim, now));
        if part_d {
            report.part_d_events += 1;
        } else {
            report.part_ab_claims += 1;
        }
    }
    insert_all(&txn, rows).await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord {
            action: "claims.refreshed",
            target_type: "claim",
            target_id: None,
            before: None,
            after: Some(serde_json::json!({ "part_ab_claims": report.part_ab_claims, "part_d_events": report.part_d_events })),
        },
    )
    .await?;
    invalidation::commit(txn, Some(Stale::Data)).await?;
    Ok(report)
}

//! Enrollees' data and rendered resources, kept off the database on the
//! API's hot path. Entries follow [`invalidation::DATA`], so a load or
//! refresh is seen at once; rendered claims are keyed on their lastUpdated,
//! so a changed claim is a new key.
use std::{sync::Arc, time::Duration};

use uuid::Uuid;

use super::FhirVersion;
use crate::{
    cache::TtlCache,
    entities::beneficiary,
    invalidation,
    medicare::{ClaimRef, StoredCoverage},
};

pub struct ResourceCaches {
    pub beneficiaries: TtlCache<Uuid, Arc<beneficiary::Model>>,
    pub coverages: TtlCache<Uuid, Arc<Vec<StoredCoverage>>>,
    /// Each enrollee's claims (ids, types, dates), for searching and paging in memory.
    pub claim_index: TtlCache<Uuid, Arc<Vec<ClaimRef>>>,
    /// Rendered Patient JSON by (FHIR version, beneficiary).
    pub patients: TtlCache<(FhirVersion, Uuid), Arc<str>>,
    /// Rendered ExplanationOfBenefit JSON by (FHIR version, claim row, lastUpdated in ms).
    pub rendered: TtlCache<(FhirVersion, i64, i64), Arc<str>>,
}

impl ResourceCaches {
    /// Each cache's name, hits and misses, for `/metrics`.
    pub fn counts(&self) -> Vec<(&'static str, u64, u64)> {
        [
            ("beneficiaries", self.beneficiaries.counts()),
            ("coverages", self.coverages.counts()),
            ("claim_index", self.claim_index.counts()),
            ("patients", self.patients.counts()),
            ("rendered", self.rendered.counts()),
        ]
        .into_iter()
        .map(|(name, (hits, misses))| (name, hits, misses))
        .collect()
    }
}

impl Default for ResourceCaches {
    fn default() -> Self {
        const MB: usize = 1024 * 1024;
        let data = &invalidation::DATA;
        Self {
            beneficiaries: TtlCache::new(Duration::from_secs(60), data, 8 * MB),
            coverages: TtlCache::new(Duration::from_secs(60), data, 8 * MB),
            claim_index: TtlCache::new(Duration::from_secs(10), data, 16 * MB),
            patients: TtlCache::new(Duration::from_secs(60), data, 8 * MB),
            rendered: TtlCache::new(Duration::from_secs(600), &invalidation::NEVER, 32 * MB),
        }
    }
}

//! Synthetic claims of the eight Medicare claim types. A claim is a pure
//! function of (enrollee number, claim index), so every machine generates the
//! same four years of claims. As in the real sandbox, claims are drawn at
//! random and dealt to enrollees like cards, so one person's claims need not
//! tell a consistent medical story; but every claim's amounts add up:
//! for each line `allowed = paid + deductible + coinsurance` and
//! `submitted ≥ allowed`, and each claim's totals are the sums of its lines.
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{codes, SeededRng};

const STREAM_CLAIMS: u64 = 2;
const STREAM_COUNT: u64 = 3;

/// The first and last service dates of the synthetic data set (four years).
pub fn window() -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(2022, 11, 1).expect("date"),
        NaiveDate::from_ymd_opt(2026, 10, 31).expect("date"),
    )
}

/// The eight Medicare claim types, as their ids and the `type` search parameter name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClaimType {
    Carrier,
    Dme,
    Hha,
    Hospice,
    Inpatient,
    Outpatient,
    Pde,
    Snf,
}

impl ClaimType {
    pub const ALL: [ClaimType; 8] = [
        ClaimType::Carrier,
        ClaimType::Dme,
        ClaimType::Hha,
        ClaimType::Hospice,
        ClaimType::Inpatient,
        ClaimType::Outpatient,
        ClaimType::Pde,
        ClaimType::Snf,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClaimType::Carrier => "carrier",
            ClaimType::Dme => "dme",
            ClaimType::Hha => "hha",
            ClaimType::Hospice => "hospice",
            ClaimType::Inpatient => "inpatient",
            ClaimType::Outpatient => "outpatient",
            ClaimType::Pde => "pde",
            ClaimType::Snf => "snf",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        ClaimType::ALL.into_iter().find(|t| t.as_str() == value)
    }

    /// Part A and B claims are refreshed weekly; Part D events monthly.
    pub fn is_part_d(self) -> bool {
        self == ClaimType::Pde
    }

    /// Claims filed by facilities on the institutional (UB-04) form.
    pub fn is_institutional(self) -> bool {
        matches!(
            self,
            ClaimType::Hha
                | ClaimType::Hospice
                | ClaimType::Inpatient
                | ClaimType::Outpatient
                | ClaimType::Snf
        )
    }

    /// NCH claim type code and its description.
    pub fn nch_code(self) -> (&'static str, &'static str) {
        match self {
            ClaimType::Carrier => ("71", "Local carrier non-durable medical equipment, prosthetics, orthotics, and supplies (DMEPOS) claim"),
            ClaimType::Dme => ("81", "Durable medical equipment regional carrier (DMERC); DMEPOS claim"),
            ClaimType::Hha => ("10", "HHA claim"),
            ClaimType::Hospice => ("50", "Hospice claim"),
            ClaimType::Inpatient => ("60", "Inpatient claim"),
            ClaimType::Outpatient => ("40", "Outpatient claim"),
            ClaimType::Pde => ("PDE", "Part D event"),
            ClaimType::Snf => ("20", "Non swing bed Skilled Nursing Facility (SNF) claim"),
        }
    }
}

/// Amounts in cents, for a line or (summed) a whole claim.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amounts {
    /// What the provider charged.
    pub submitted: i64,
    /// What Medicare allows for the service.
    pub allowed: i64,
    /// What Medicare (or the Part D plan) paid.
    pub paid: i64,
    pub deductible: i64,
    /// Coinsurance or copayment owed by the enrollee.
    pub coinsurance: i64,
}

impl Amounts {
    /// Splits `allowed` into deductible, coinsurance and payment.
    fn adjudicate(submitted: i64, allowed: i64, deductible: i64, coinsurance_percent: i64) -> Self {
        let deductible = deductible.min(allowed);
        let coinsurance = (allowed - deductible) * coinsurance_percent / 100;
        Self {
            submitted,
            allowed,
            paid: allowed - deductible - coinsurance,
            deductible,
            coinsurance,
        }
    }

    fn add(&mut self, other: &Amounts) {
        self.submitted += other.submitted;
        self.allowed += other.allowed;
        self.paid += other.paid;
        self.deductible += other.deductible;
        self.coinsurance += other.coinsurance;
    }

    /// `allowed = paid + deductible + coinsurance` and nothing negative or over-allowed.
    pub fn is_consistent(&self) -> bool {
        self.allowed == self.paid + self.deductible + self.coinsurance
            && self.submitted >= self.allowed
            && [
                self.submitted,
                self.allowed,
                self.paid,
                self.deductible,
                self.coinsurance,
            ]
            .iter()
            .all(|v| *v >= 0)
    }
}

/// A diagnosis on a claim (ICD-10-CM, without the dot).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnosis {
    pub code: String,
    pub display: String,
    /// `principal`, `admitting` or `other`.
    pub kind: String,
}

/// A procedure on an institutional claim (ICD-10-PCS).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Procedure {
    pub code: String,
    pub display: String,
    pub date: NaiveDate,
}

/// One line of a claim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimLine {
    pub number: u32,
    /// HCPCS/CPT for professional, DME and most institutional lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hcpcs: Option<(String, String)>,
    /// Institutional revenue center.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revenue_center: Option<(String, String)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifiers: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place_of_service: Option<(String, String)>,
    pub units: u32,
    pub from: NaiveDate,
    pub thru: NaiveDate,
    /// Which diagnosis (1-based) the line is for.
    pub diagnosis: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub performing_npi: Option<String>,
    pub amounts: Amounts,
}

/// A Part D prescription drug event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrugEvent {
    pub ndc: String,
    pub drug: String,
    pub quantity: u32,
    pub days_supply: u32,
    pub fill_number: u32,
    pub pharmacy_npi: String,
    pub prescriber_npi: String,
    pub ingredient_cost: i64,
    pub dispensing_fee: i64,
    pub sales_tax: i64,
    pub patient_pay: i64,
    pub low_income_cost_sharing: i64,
    pub plan_paid_covered: i64,
    pub plan_paid_not_covered: i64,
}

impl DrugEvent {
    pub fn total_cost(&self) -> i64 {
        self.ingredient_cost + self.dispensing_fee + self.sales_tax
    }

    /// Who paid adds up to what it cost.
    pub fn is_consistent(&self) -> bool {
        self.total_cost()
            == self.patient_pay
                + self.low_income_cost_sharing
                + self.plan_paid_covered
                + self.plan_paid_not_covered
    }
}

/// Institutional claim facts: admission, discharge, DRG, facility.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stay {
    pub admission: NaiveDate,
    pub discharge: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drg: Option<(String, String)>,
    /// Type of bill, e.g. `111` (hospital inpatient, admit through discharge).
    pub bill_type: String,
    /// Patient discharge status (`01` home, `03` to SNF, `20` expired, `30` still a patient).
    pub discharge_status: String,
    pub utilization_days: u32,
}

/// A claim as the synthetic warehouse holds it (not yet FHIR).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub claim_type: ClaimType,
    pub claim_id: String,
    pub claim_group_id: String,
    pub from: NaiveDate,
    pub thru: NaiveDate,
    /// When Medicare processed (paid) the claim.
    pub processed: NaiveDate,
    pub billing_npi: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diagnoses: Vec<Diagnosis>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub procedures: Vec<Procedure>,
    pub lines: Vec<ClaimLine>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stay: Option<Stay>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drug: Option<DrugEvent>,
    pub totals: Amounts,
}

impl Claim {
    /// The FHIR id: `<type>-<claim id>`.
    pub fn resource_id(&self) -> String {
        format!("{}-{}", self.claim_type.as_str(), self.claim_id)
    }

    /// Every line consistent, and the totals the sum of the lines.
    pub fn is_consistent(&self) -> bool {
        let mut sum = Amounts::default();
        for line in &self.lines {
            sum.add(&line.amounts);
        }
        sum == self.totals
            && self.lines.iter().all(|l| l.amounts.is_consistent())
            && self.drug.as_ref().is_none_or(DrugEvent::is_consistent)
            && self.from <= self.thru
            && !self.lines.is_empty()
    }
}

/// Which claim to make: everything the generator needs besides randomness.
#[derive(Clone, Debug)]
pub struct ClaimSpec {
    pub claim_type: ClaimType,
    pub claim_id: String,
    pub from: NaiveDate,
    pub lines: usize,
    /// Curated codes (personas); random ones otherwise.
    pub service: Option<(&'static str, &'static str)>,
    pub diagnosis: Option<(&'static str, &'static str)>,
    pub procedure: Option<(&'static str, &'static str)>,
    pub drug: Option<(&'static str, &'static str)>,
}

impl ClaimSpec {
    pub fn new(claim_type: ClaimType, claim_id: String, from: NaiveDate, lines: usize) -> Self {
        Self {
            claim_type,
            claim_id,
            from,
            lines,
            service: None,
            diagnosis: None,
            procedure: None,
            drug: None,
        }
    }
}

fn dollars(rng: &mut SeededRng, low: i64, high: i64) -> i64 {
    rng.between(low * 100, high * 100)
}

fn diagnosis_list(
    rng: &mut SeededRng,
    table: codes::Codes,
    count: usize,
    first: Option<(&str, &str)>,
) -> Vec<Diagnosis> {
    let mut out: Vec<Diagnosis> = Vec::new();
    if let Some((code, display)) = first {
        out.push(Diagnosis {
            code: code.into(),
            display: display.into(),
            kind: "principal".into(),
        });
    }
    while out.len() < count {
        let (code, display) = *rng.pick(table);
        if out.iter().all(|d| d.code != code) {
            let kind = if out.is_empty() { "principal" } else { "other" };
            out.push(Diagnosis {
                code: code.into(),
                display: display.into(),
                kind: kind.into(),
            });
        }
    }
    out
}

fn pair(code: &str, display: &str) -> (String, String) {
    (code.to_string(), display.to_string())
}

/// Generates the claim `spec` describes; `rng` decides everything left open.
pub fn generate(spec: &ClaimSpec, rng: &mut SeededRng) -> Claim {
    let from = spec.from;
    let billing_npi = codes::npi(rng.below(90_000_000) as u32);
    let mut claim = Claim {
        claim_type: spec.claim_type,
        claim_id: spec.claim_id.clone(),
        claim_group_id: (rng.below(900_000_000_000) + 100_000_000_000).to_string(),
        from,
        thru: from,
        processed: from,
        billing_npi,
        diagnoses: Vec::new(),
        procedures: Vec::new(),
        lines: Vec::new(),
        stay: None,
        drug: None,
        totals: Amounts::default(),
    };
    match spec.claim_type {
        ClaimType::Carrier | ClaimType::Dme => professional(&mut claim, spec, rng),
        ClaimType::Pde => drug_event(&mut claim, spec, rng),
        _ => institutional(&mut claim, spec, rng),
    }
    for line in &claim.lines {
        claim.totals.add(&line.amounts);
    }
    claim.thru = claim
        .lines
        .iter()
        .map(|l| l.thru)
        .max()
        .unwrap_or(from)
        .max(claim.thru);
    claim.processed = claim.thru + Duration::days(rng.between(7, 40));
    claim
}

fn professional(claim: &mut Claim, spec: &ClaimSpec, rng: &mut SeededRng) {
    let dme = spec.claim_type == ClaimType::Dme;
    let dx_count = rng.between(1, 4) as usize;
    claim.diagnoses = diagnosis_list(rng, codes::DIAGNOSES, dx_count, spec.diagnosis);
    let performing = codes::npi(rng.below(90_000_000) as u32);
    // The Part B deductible applies to the first service of some claims.
    let mut deductible_left = if rng.chance(15) {
        dollars(rng, 20, 240)
    } else {
        0
    };
    for n in 0..spec.lines.max(1) {
        let (code, display) = match (n, spec.service) {
            (0, Some(service)) => service,
            _ if dme => *rng.pick(codes::DME_ITEMS),
            _ => *rng.pick(codes::PROFESSIONAL_SERVICES),
        };
        let submitted = if dme {
            dollars(rng, 40, 1_900)
        } else {
            dollars(rng, 25, 650)
        };
        let allowed = submitted * rng.between(35, 80) / 100;
        let amounts = Amounts::adjudicate(submitted, allowed, deductible_left, 20);
        deductible_left -= amounts.deductible;
        let place = if dme {
            ("12", "Home")
        } else {
            *rng.pick(&codes::PLACES_OF_SERVICE[..4])
        };
        claim.lines.push(ClaimLine {
            number: n as u32 + 1,
            hcpcs: Some(pair(code, display)),
            revenue_center: None,
            modifiers: if rng.chance(20) {
                vec![if dme { "NU".into() } else { "25".into() }]
            } else {
                vec![]
            },
            place_of_service: Some(pair(place.0, place.1)),
            units: if dme { rng.between(1, 3) as u32 } else { 1 },
            from: claim.from,
            thru: claim.from,
            diagnosis: (n % claim.diagnoses.len()) as u32 + 1,
            performing_npi: Some(performing.clone()),
            amounts,
        });
    }
}

fn drug_event(claim: &mut Claim, spec: &ClaimSpec, rng: &mut SeededRng) {
    let (ndc, name) = spec.drug.unwrap_or_else(|| *rng.pick(codes::DRUGS));
    let days_supply = *rng.pick(&[30u32, 30, 30, 60, 90]);
    let ingredient_cost = dollars(rng, 4, 480);
    let dispensing_fee = rng.between(0, 250);
    let sales_tax = 0;
    let total = ingredient_cost + dispensing_fee + sales_tax;
    let patient_pay = (total * rng.between(5, 35) / 100).min(total);
    let low_income_cost_sharing = if rng.chance(20) {
        (total - patient_pay) / 10
    } else {
        0
    };
    let plan_paid_not_covered = if rng.chance(10) {
        (total - patient_pay - low_income_cost_sharing) / 5
    } else {
        0
    };
    let plan_paid_covered = total - patient_pay - low_income_cost_sharing - plan_paid_not_covered;
    let drug = DrugEvent {
        ndc: ndc.into(),
        drug: name.into(),
        quantity: days_supply * *rng.pick(&[1u32, 1, 2]),
        days_supply,
        fill_number: rng.between(0, 5) as u32,
        pharmacy_npi: claim.billing_npi.clone(),
        prescriber_npi: codes::npi(rng.below(90_000_000) as u32),
        ingredient_cost,
        dispensing_fee,
        sales_tax,
        patient_pay,
        low_income_cost_sharing,
        plan_paid_covered,
        plan_paid_not_covered,
    };
    claim.lines.push(ClaimLine {
        number: 1,
        hcpcs: None,
        revenue_center: None,
        modifiers: vec![],
        place_of_service: None,
        units: drug.quantity,
        from: claim.from,
        thru: claim.from,
        diagnosis: 0,
        performing_npi: None,
        amounts: Amounts {
            submitted: total,
            allowed: total,
            paid: plan_paid_covered + plan_paid_not_covered + low_income_cost_sharing,
            deductible: 0,
            coinsurance: patient_pay,
        },
    });
    claim.drug = Some(drug);
}

fn institutional(claim: &mut Claim, spec: &ClaimSpec, rng: &mut SeededRng) {
    let kind = spec.claim_type;
    let (length, bill_type, deductible, coinsurance_percent) = match kind {
        ClaimType::Inpatient => (rng.between(2, 9), "111", 160_000, 0),
        ClaimType::Snf => (rng.between(10, 30), "211", 0, 10),
        ClaimType::Hha => (rng.between(14, 60), "321", 0, 0),
        ClaimType::Hospice => (rng.between(15, 90), "811", 0, 0),
        _ => (
            0,
            "131",
            if rng.chance(15) {
                dollars(rng, 20, 240)
            } else {
                0
            },
            20,
        ),
    };
    let admission = claim.from;
    let discharge = admission + Duration::days(length);
    let table = if kind == ClaimType::Inpatient {
        codes::INPATIENT_DIAGNOSES
    } else {
        codes::DIAGNOSES
    };
    let dx_count = rng.between(2, 6) as usize;
    claim.diagnoses = diagnosis_list(rng, table, dx_count, spec.diagnosis);
    if kind == ClaimType::Inpatient || (kind == ClaimType::Outpatient && spec.procedure.is_some()) {
        let (code, display) = spec
            .procedure
            .unwrap_or_else(|| *rng.pick(codes::PROCEDURES));
        claim.procedures.push(Procedure {
            code: code.into(),
            display: display.into(),
            date: admission + Duration::days(rng.between(0, length.max(1) - 1)),
        });
    }
    // Lines: revenue centers with charges; the claim's allowed amount (a DRG
    // or fee-schedule payment) is shared out over the lines by charge.
    let centers: Vec<(&str, &str, &str)> = match kind {
        ClaimType::Hha => vec![
            (
                "0551",
                "Home health - skilled nursing - visit charge",
                "G0299",
            ),
            ("0421", "Physical therapy - visit charge", "G0151"),
            ("0571", "Home health aide - visit charge", "G0156"),
        ],
        ClaimType::Hospice => vec![
            ("0651", "Hospice - routine home care", "Q5001"),
            ("0652", "Hospice - continuous home care", "Q5001"),
        ],
        _ => codes::REVENUE_CENTERS.to_vec(),
    };
    let mut lines: Vec<ClaimLine> = Vec::new();
    for n in 0..spec.lines.max(1) {
        let (code, display, hcpcs) = if n == 0 && kind == ClaimType::Inpatient {
            ("0120", "Room & board - semi-private (two beds)", "")
        } else {
            *rng.pick(&centers)
        };
        let hcpcs = match (n, spec.service) {
            (0, Some(service)) if kind == ClaimType::Outpatient => Some(pair(service.0, service.1)),
            _ if hcpcs.is_empty() => None,
            _ => Some(pair(
                hcpcs,
                codes::display(codes::PROFESSIONAL_SERVICES, hcpcs).unwrap_or(display),
            )),
        };
        let units = if code == "0120" {
            length.max(1) as u32
        } else {
            rng.between(1, 4) as u32
        };
        let day = admission + Duration::days(rng.between(0, length.max(1) - 1));
        lines.push(ClaimLine {
            number: n as u32 + 1,
            hcpcs,
            revenue_center: Some(pair(code, display)),
            modifiers: vec![],
            place_of_service: None,
            units,
            from: if code == "0120" { admission } else { day },
            thru: if code == "0120" { discharge } else { day },
            diagnosis: 1,
            performing_npi: None,
            amounts: Amounts {
                submitted: dollars(rng, 60, 6_000) * i64::from(units.min(5)),
                ..Amounts::default()
            },
        });
    }
    let charges: i64 = lines.iter().map(|l| l.amounts.submitted).sum();
    let claim_allowed = match kind {
        ClaimType::Inpatient => dollars(rng, 6_000, 24_000).min(charges),
        _ => charges * rng.between(30, 60) / 100,
    };
    // Proportional shares (rounded down, never above a line's charge), then
    // the cents rounding left over go to lines that still have headroom.
    let mut shares: Vec<i64> = lines
        .iter()
        .map(|l| {
            ((claim_allowed as i128 * l.amounts.submitted as i128) / charges.max(1) as i128) as i64
        })
        .map(|share| share.max(0))
        .zip(lines.iter())
        .map(|(share, l)| share.min(l.amounts.submitted))
        .collect();
    let mut left = claim_allowed - shares.iter().sum::<i64>();
    for (share, line) in shares.iter_mut().zip(lines.iter()) {
        let extra = left.min(line.amounts.submitted - *share);
        *share += extra;
        left -= extra;
    }
    let mut deductible_left = deductible;
    for (line, share) in lines.iter_mut().zip(shares) {
        line.amounts = Amounts::adjudicate(
            line.amounts.submitted,
            share,
            deductible_left,
            coinsurance_percent,
        );
        deductible_left -= line.amounts.deductible;
    }
    claim.thru = if kind == ClaimType::Outpatient {
        admission
    } else {
        discharge
    };
    claim.lines = lines;
    let drg = (kind == ClaimType::Inpatient).then(|| {
        let (code, display) = *rng.pick(codes::DRGS);
        pair(code, display)
    });
    claim.stay = Some(Stay {
        admission,
        discharge: claim.thru,
        drg,
        bill_type: bill_type.into(),
        discharge_status: if kind == ClaimType::Outpatient {
            "01".into()
        } else {
            rng.pick(&["01", "01", "03", "06"]).to_string()
        },
        utilization_days: length.max(1) as u32,
    });
}

/// How many claims enrollee `number` has: most a handful, some many.
pub fn claim_count(number: u32) -> usize {
    let mut rng = SeededRng::for_item(STREAM_COUNT, u64::from(number));
    match rng.below(100) {
        0..=64 => rng.between(0, 6) as usize,
        65..=94 => rng.between(6, 20) as usize,
        _ => rng.between(20, 110) as usize,
    }
}

/// Claim type shares of the synthetic set.
const TYPE_WEIGHTS: &[(ClaimType, u64)] = &[
    (ClaimType::Carrier, 45),
    (ClaimType::Pde, 30),
    (ClaimType::Outpatient, 10),
    (ClaimType::Dme, 5),
    (ClaimType::Hha, 3),
    (ClaimType::Inpatient, 3),
    (ClaimType::Snf, 2),
    (ClaimType::Hospice, 2),
];

fn pick_type(rng: &mut SeededRng) -> ClaimType {
    let mut roll = rng.below(100);
    for (claim_type, weight) in TYPE_WEIGHTS {
        if roll < *weight {
            return *claim_type;
        }
        roll -= weight;
    }
    ClaimType::Carrier
}

/// The claim id of enrollee `number`'s claim `index`: 11 digits, unique per enrollee and index.
pub fn claim_id(number: u32, index: usize) -> String {
    (10_000_000_000u64 + u64::from(number) * 1_000 + index as u64).to_string()
}

/// Enrollee `number`'s claims, oldest first.
pub fn claims_for(number: u32) -> Vec<Claim> {
    if let Some(claims) = super::personas::claims_for(number) {
        return claims;
    }
    let (start, end) = window();
    let span = (end - start).num_days();
    let mut specs: Vec<ClaimSpec> = (0..claim_count(number))
        .map(|index| {
            let mut rng =
                SeededRng::for_item(STREAM_CLAIMS, (u64::from(number) << 16) | index as u64);
            let claim_type = pick_type(&mut rng);
            let from = start + Duration::days(rng.between(0, span - 100));
            let lines = match claim_type {
                ClaimType::Pde => 1,
                ClaimType::Inpatient => rng.between(6, 16) as usize,
                ClaimType::Snf | ClaimType::Outpatient => rng.between(2, 8) as usize,
                _ => rng.between(1, 5) as usize,
            };
            ClaimSpec::new(claim_type, claim_id(number, index), from, lines)
        })
        .collect();
    specs.sort_by_key(|s| (s.from, s.claim_id.clone()));
    specs
        .iter()
        .map(|spec| {
            let index = spec.claim_id[spec.claim_id.len() - 3..]
                .parse::<u64>()
                .expect("index digits");
            let mut rng =
                SeededRng::for_item(STREAM_CLAIMS + 100, (u64::from(number) << 16) | index);
            generate(spec, &mut rng)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_claim_of_every_type_adds_up() {
        let mut seen = std::collections::HashSet::new();
        for number in 0..400 {
            for claim in claims_for(number) {
                assert!(
                    claim.is_consistent(),
                    "{} does not add up: {claim:#?}",
                    claim.resource_id()
                );
                seen.insert(claim.claim_type);
            }
        }
        assert_eq!(seen.len(), 8, "all eight claim types occur: {seen:?}");
    }

    #[test]
    fn claims_are_deterministic_within_the_window_and_uniquely_identified() {
        let (start, end) = window();
        let mut ids = std::collections::HashSet::new();
        for number in [0, 5, 777, 29_998] {
            let claims = claims_for(number);
            assert_eq!(claims, claims_for(number));
            for claim in &claims {
                assert!(
                    claim.from >= start && claim.thru <= end + Duration::days(120),
                    "{}",
                    claim.from
                );
                assert!(ids.insert(claim.resource_id()));
                assert!(codes::is_valid_npi(&claim.billing_npi));
            }
        }
    }

    #[test]
    fn claim_counts_have_a_long_tail() {
        let counts: Vec<usize> = (0..3_000).map(claim_count).collect();
        let average = counts.iter().sum::<usize>() as f64 / counts.len() as f64;
        assert!((6.0..14.0).contains(&average), "average {average}");
        assert!(
            counts.iter().any(|c| *c >= 100),
            "some enrollees have 100+ claims"
        );
        assert!(counts.contains(&0), "some have none");
    }
}

//! Medicare enrollment: Parts A and B for everyone, Part C (Medicare
//! Advantage) and Part D for some, with the enrollment fields the API exposes
//! as extensions (Medicare status, entitlement reasons, ESRD, termination codes…).
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{SeededRng, SyntheticPerson, FEATURED_NUMBER};

const STREAM_COVERAGE: u64 = 4;

/// One part of Medicare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Part {
    A,
    B,
    C,
    D,
}

impl Part {
    pub const ALL: [Part; 4] = [Part::A, Part::B, Part::C, Part::D];

    pub fn as_str(self) -> &'static str {
        match self {
            Part::A => "a",
            Part::B => "b",
            Part::C => "c",
            Part::D => "d",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Part::ALL.into_iter().find(|p| p.as_str() == value)
    }

    pub fn title(self) -> &'static str {
        match self {
            Part::A => "Part A",
            Part::B => "Part B",
            Part::C => "Part C",
            Part::D => "Part D",
        }
    }

    /// The Coverage id for enrollee `patient`: `part-a-<patient id>`.
    pub fn coverage_id(self, patient: &str) -> String {
        format!("part-{}-{patient}", self.as_str())
    }
}

/// An enrollment variable, shown as a coded extension
/// (`https://bluebutton.cms.gov/resources/variables/<variable>`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentField {
    pub variable: String,
    pub code: String,
    pub display: String,
}

/// One part of an enrollee's coverage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoveragePart {
    pub part: Part,
    pub start: NaiveDate,
    /// `active` or `cancelled`.
    pub status: String,
    pub fields: Vec<EnrollmentField>,
    /// Plan contract and benefit package (Parts C and D).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract: Option<(String, String)>,
}

fn field(variable: &str, code: &str, display: &str) -> EnrollmentField {
    EnrollmentField {
        variable: variable.into(),
        code: code.into(),
        display: display.into(),
    }
}

/// The enrollment of `person`, part by part.
pub fn coverage_for(person: &SyntheticPerson) -> Vec<CoveragePart> {
    let mut rng = SeededRng::for_item(STREAM_COVERAGE, u64::from(person.number));
    let aged = person.birth_date.year() <= 1960 || person.number == FEATURED_NUMBER;
    let esrd = rng.chance(3) && person.number != FEATURED_NUMBER;
    let (ms, ms_display) = match (aged, esrd) {
        (true, false) => ("10", "Aged without end-stage renal disease (ESRD)"),
        (true, true) => ("11", "Aged with end-stage renal disease (ESRD)"),
        (false, false) => ("20", "Disabled without end-stage renal disease (ESRD)"),
        (false, true) => ("21", "Disabled with end-stage renal disease (ESRD)"),
    };
    let (orec, orec_display) = if aged {
        ("0", "Old age and survivor’s insurance (OASI)")
    } else {
        ("1", "Disability insurance benefits (DIB)")
    };
    let (esrd_code, esrd_display) = if esrd {
        ("Y", "the beneficiary has ESRD")
    } else {
        ("0", "the beneficiary does not have ESRD")
    };
    // Part A from the month of the 65th birthday (aged) or a disability date.
    let start = if aged && person.number != FEATURED_NUMBER {
        NaiveDate::from_ymd_opt(person.birth_date.year() + 65, person.birth_date.month(), 1)
            .expect("date")
    } else {
        NaiveDate::from_ymd_opt(rng.between(2005, 2021) as i32, rng.between(1, 12) as u32, 1)
            .expect("date")
    }
    .max(NaiveDate::from_ymd_opt(1966, 7, 1).expect("date"));
    let common = vec![
        field("ms_cd", ms, ms_display),
        field("orec", orec, orec_display),
        field("crec", orec, orec_display),
        field("esrd_ind", esrd_code, esrd_display),
    ];
    let dual = if rng.chance(18) {
        field("dual_12", "02", "Qualified Medicare Beneficiary (QMB) and full Medicaid coverage, including prescription drugs")
    } else {
        field("dual_12", "NA", "Non-Medicaid")
    };
    let mut parts = vec![
        CoveragePart {
            part: Part::A,
            start,
            status: "active".into(),
            fields: [
                common.clone(),
                vec![field("a_trm_cd", "0", "Not Terminated"), dual.clone()],
            ]
            .concat(),
            contract: None,
        },
        CoveragePart {
            part: Part::B,
            start,
            status: "active".into(),
            fields: [
                common.clone(),
                vec![field("b_trm_cd", "0", "Not Terminated"), dual.clone()],
            ]
            .concat(),
            contract: None,
        },
    ];
    if rng.chance(33) {
        let contract = format!("H{:04}", rng.between(1000, 9999));
        let pbp = format!("{:03}", rng.between(1, 80));
        parts.push(CoveragePart {
            part: Part::C,
            start: start.max(NaiveDate::from_ymd_opt(2018, 1, 1).expect("date")),
            status: "active".into(),
            fields: vec![
                field("ptc_cntrct_id_12", &contract, "Medicare Advantage contract"),
                field("ptc_pbp_id_12", &pbp, "Plan benefit package"),
            ],
            contract: Some((contract, pbp)),
        });
    }
    if rng.chance(75) || person.number == FEATURED_NUMBER {
        let contract = format!("S{:04}", rng.between(1000, 9999));
        let pbp = format!("{:03}", rng.between(1, 40));
        let (cost_share, cost_share_display) = if dual.code == "02" {
            ("01", "Beneficiary enrolled in Parts A and/or B, and Part D; deemed eligible for LIS with 100% premium subsidy and no copayment")
        } else {
            ("09", "Beneficiary enrolled in Parts A and/or B, and Part D; no premium or cost sharing subsidy")
        };
        parts.push(CoveragePart {
            part: Part::D,
            start: start.max(NaiveDate::from_ymd_opt(2006, 1, 1).expect("date")),
            status: "active".into(),
            fields: vec![
                field("ptdcntrct12", &contract, "Part D contract"),
                field("ptdpbpid12", &pbp, "Part D plan benefit package"),
                field("rdsind12", "0", "No employer subsidization"),
                field("cstshr12", cost_share, cost_share_display),
                dual,
            ],
            contract: Some((contract, pbp)),
        });
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{person, FEATURED_FHIR_ID};

    #[test]
    fn everyone_has_parts_a_and_b_and_ids_follow_the_convention() {
        for n in [0, 1, 2, 100, 29_999] {
            let parts = coverage_for(&person(n));
            assert_eq!(parts[0].part, Part::A);
            assert_eq!(parts[1].part, Part::B);
            assert!(parts.iter().all(|p| !p.fields.is_empty()));
            assert_eq!(parts, coverage_for(&person(n)), "deterministic");
        }
        assert_eq!(
            Part::A.coverage_id(FEATURED_FHIR_ID),
            "part-a-20140000008325"
        );
    }

    #[test]
    fn the_featured_enrollee_matches_the_documentation_example() {
        let part_a = &coverage_for(&person(FEATURED_NUMBER))[0];
        let code = |v: &str| {
            part_a
                .fields
                .iter()
                .find(|f| f.variable == v)
                .map(|f| f.code.as_str())
        };
        assert_eq!(code("ms_cd"), Some("10"));
        assert_eq!(code("orec"), Some("0"));
        assert_eq!(code("esrd_ind"), Some("0"));
        assert_eq!(code("a_trm_cd"), Some("0"));
    }
}

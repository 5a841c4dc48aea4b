//! The enrollees the API documentation describes, with the claims it says
//! they have: Jane Doe (Patient 20140000008325: 32 claims, 140 lines),
//! Lucille (non-small cell lung cancer) and Jack (type 2 diabetes, hypertension).
use chrono::NaiveDate;

use super::{
    claims::{generate, Claim, ClaimSpec, ClaimType},
    codes, SeededRng, FEATURED_NUMBER, JACK_NUMBER, LUCILLE_NUMBER,
};

const STREAM_PERSONAS: u64 = 9;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn code(table: codes::Codes, wanted: &str) -> (&'static str, &'static str) {
    *table
        .iter()
        .find(|(c, _)| *c == wanted)
        .unwrap_or_else(|| panic!("{wanted} is in its table"))
}

/// The persona's claims, or `None` for everyone else.
pub fn claims_for(number: u32) -> Option<Vec<Claim>> {
    let specs = match number {
        FEATURED_NUMBER => jane(),
        LUCILLE_NUMBER => lucille(),
        JACK_NUMBER => jack(),
        _ => return None,
    };
    let mut rng = SeededRng::for_item(STREAM_PERSONAS, u64::from(number));
    let mut claims: Vec<Claim> = specs.iter().map(|spec| generate(spec, &mut rng)).collect();
    claims.sort_by_key(|c| (c.from, c.claim_id.clone()));
    Some(claims)
}

/// 25 carrier claims with 110 lines, 2 inpatient stays with 25 lines, 5 Part D events.
fn jane() -> Vec<ClaimSpec> {
    let mut specs = Vec::new();
    let mut rng = SeededRng::for_item(STREAM_PERSONAS + 1, 0);
    let mut day = || date(2022, 11, 15) + chrono::Duration::days(rng.between(0, 1_400));
    for k in 0..25u64 {
        let lines = if k < 10 { 5 } else { 4 };
        specs.push(ClaimSpec::new(
            ClaimType::Carrier,
            (22_011_027_731 + k).to_string(),
            day(),
            lines,
        ));
    }
    for (k, lines) in [12usize, 13].into_iter().enumerate() {
        specs.push(ClaimSpec::new(
            ClaimType::Inpatient,
            (22_011_028_001 + k as u64).to_string(),
            day(),
            lines,
        ));
    }
    for k in 0..5u64 {
        specs.push(ClaimSpec::new(
            ClaimType::Pde,
            (22_011_028_101 + k).to_string(),
            day(),
            1,
        ));
    }
    specs
}

fn lucille() -> Vec<ClaimSpec> {
    let cancer = code(codes::DIAGNOSES, "C3490");
    let service = |c: &str| code(codes::PROFESSIONAL_SERVICES, c);
    let carrier =
        |id: u64, from: NaiveDate, svc: &str, dx: (&'static str, &'static str)| ClaimSpec {
            service: Some(service(svc)),
            diagnosis: Some(dx),
            ..ClaimSpec::new(
                ClaimType::Carrier,
                (30_000_000_100 + id).to_string(),
                from,
                2,
            )
        };
    vec![
        carrier(1, date(2024, 1, 22), "99215", cancer),
        ClaimSpec {
            service: Some(service("31628")),
            diagnosis: Some(cancer),
            procedure: Some(code(codes::PROCEDURES, "0BBK8ZX")),
            ..ClaimSpec::new(
                ClaimType::Outpatient,
                "30000000201".into(),
                date(2024, 2, 12),
                3,
            )
        },
        carrier(2, date(2024, 2, 20), "70553", cancer),
        carrier(3, date(2024, 2, 26), "99215", cancer),
        carrier(4, date(2024, 3, 4), "77263", code(codes::DIAGNOSES, "Z510")),
        carrier(
            5,
            date(2024, 3, 18),
            "96400",
            code(codes::DIAGNOSES, "Z5111"),
        ),
        carrier(
            6,
            date(2024, 4, 8),
            "96400",
            code(codes::DIAGNOSES, "Z5111"),
        ),
        carrier(
            7,
            date(2024, 4, 29),
            "96400",
            code(codes::DIAGNOSES, "Z5111"),
        ),
        carrier(8, date(2024, 6, 3), "99215", cancer),
        ClaimSpec {
            drug: Some(code(codes::DRUGS, "68462015701")),
            ..ClaimSpec::new(ClaimType::Pde, "30000000301".into(), date(2024, 3, 18), 1)
        },
        ClaimSpec {
            drug: Some(code(codes::DRUGS, "68462015701")),
            ..ClaimSpec::new(ClaimType::Pde, "30000000302".into(), date(2024, 4, 29), 1)
        },
    ]
}

fn jack() -> Vec<ClaimSpec> {
    let diabetes = code(codes::DIAGNOSES, "E119");
    let hypertension = code(codes::DIAGNOSES, "I10");
    let mut specs = Vec::new();
    for (k, (from, svc, dx)) in [
        (date(2023, 1, 10), "99214", diabetes),
        (date(2023, 7, 11), "83036", diabetes),
        (date(2024, 1, 16), "99214", hypertension),
        (date(2024, 7, 9), "80061", hypertension),
        (date(2025, 1, 14), "99214", diabetes),
    ]
    .into_iter()
    .enumerate()
    {
        specs.push(ClaimSpec {
            service: Some(code(codes::PROFESSIONAL_SERVICES, svc)),
            diagnosis: Some(dx),
            ..ClaimSpec::new(
                ClaimType::Carrier,
                (30_000_001_100 + k as u64).to_string(),
                from,
                2,
            )
        });
    }
    // Metformin first; glimepiride since early 2024.
    let fills = [
        (date(2023, 1, 12), "00093104801"),
        (date(2023, 4, 12), "00093104801"),
        (date(2023, 7, 12), "00093104801"),
        (date(2024, 1, 18), "00093721401"),
        (date(2024, 4, 18), "00093721401"),
        (date(2024, 7, 18), "00093721401"),
        (date(2025, 1, 16), "00093721401"),
        (date(2024, 1, 18), "00172375860"),
    ];
    for (k, (from, ndc)) in fills.into_iter().enumerate() {
        specs.push(ClaimSpec {
            drug: Some(code(codes::DRUGS, ndc)),
            ..ClaimSpec::new(
                ClaimType::Pde,
                (30_000_001_200 + k as u64).to_string(),
                from,
                1,
            )
        });
    }
    specs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jane_doe_has_exactly_the_documented_claims() {
        let claims = claims_for(FEATURED_NUMBER).unwrap();
        let count = |t: ClaimType| claims.iter().filter(|c| c.claim_type == t).count();
        let lines = |t: ClaimType| {
            claims
                .iter()
                .filter(|c| c.claim_type == t)
                .map(|c| c.lines.len())
                .sum::<usize>()
        };
        assert_eq!(claims.len(), 32);
        assert_eq!(
            (count(ClaimType::Carrier), lines(ClaimType::Carrier)),
            (25, 110)
        );
        assert_eq!(
            (count(ClaimType::Inpatient), lines(ClaimType::Inpatient)),
            (2, 25)
        );
        assert_eq!(count(ClaimType::Pde), 5);
        assert_eq!(claims.iter().map(|c| c.lines.len()).sum::<usize>(), 140);
        assert!(
            claims
                .iter()
                .any(|c| c.resource_id() == "carrier-22011027731"),
            "the documentation's example id"
        );
        assert!(claims.iter().all(Claim::is_consistent));
    }

    #[test]
    fn lucille_and_jack_have_their_documented_care() {
        let lucille = claims_for(LUCILLE_NUMBER).unwrap();
        let services: Vec<&str> = lucille
            .iter()
            .flat_map(|c| c.lines.iter())
            .filter_map(|l| l.hcpcs.as_ref().map(|h| h.0.as_str()))
            .collect();
        for wanted in ["99215", "70553", "77263", "96400", "31628"] {
            assert!(
                services.contains(&wanted),
                "Lucille's claims include {wanted}"
            );
        }
        assert!(
            lucille
                .iter()
                .any(|c| c.procedures.iter().any(|p| p.code == "0BBK8ZX")),
            "the lung biopsy"
        );
        let jack = claims_for(JACK_NUMBER).unwrap();
        let drugs: Vec<&str> = jack
            .iter()
            .filter_map(|c| c.drug.as_ref().map(|d| d.drug.as_str()))
            .collect();
        assert!(
            drugs.iter().any(|d| d.starts_with("Glimepiride"))
                && drugs.iter().any(|d| d.starts_with("Metformin"))
        );
        let first_glimepiride = jack
            .iter()
            .find(|c| {
                c.drug
                    .as_ref()
                    .is_some_and(|d| d.drug.starts_with("Glimepiride"))
            })
            .unwrap();
        let last_metformin = jack
            .iter()
            .rev()
            .find(|c| {
                c.drug
                    .as_ref()
                    .is_some_and(|d| d.drug.starts_with("Metformin"))
            })
            .unwrap();
        assert!(
            last_metformin.from < first_glimepiride.from,
            "metformin came earlier"
        );
        assert!(jack
            .iter()
            .flat_map(|c| c.diagnoses.iter())
            .any(|d| d.code == "I10"));
    }
}

//! Medicare data as FHIR resources: Patient, Coverage and ExplanationOfBenefit,
//! in R4 (`/v2`, CARIN Blue Button shapes) or STU3 (`/v1`). One mapper serves
//! both versions; where they differ (money, outcome, insurance, item service,
//! care-team links, totals) it branches on [`FhirVersion`].
//!
//! The builders never emit `null`, empty strings or empty arrays.
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

use super::FhirVersion;
use crate::{
    entities::beneficiary,
    medicare::{StoredClaim, StoredCoverage},
    synthetic::{
        claims::{Amounts, Claim, ClaimLine, ClaimType},
        coverage::Part,
    },
};

pub const BB_VARIABLES: &str = "https://bluebutton.cms.gov/resources/variables";
const NPI: &str = "http://hl7.org/fhir/sid/us-npi";
const NDC: &str = "http://hl7.org/fhir/sid/ndc";
const ICD10_PCS: &str = "http://www.cms.gov/Medicare/Coding/ICD10";
const EOB_TYPE: &str = "https://bluebutton.cms.gov/resources/codesystem/eob-type";
const BB_ADJUDICATION: &str = "https://bluebutton.cms.gov/resources/codesystem/adjudication";
const C4BB_ADJUDICATION: &str = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBAdjudication";
const C4BB_SUPPORTING_INFO: &str =
    "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBSupportingInfoType";
const C4BB_IDENTIFIER_TYPE: &str = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBIdentifierType";

pub fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub fn coding(system: &str, code: &str, display: &str) -> Value {
    let mut c = json!({ "system": system, "code": code });
    if !display.is_empty() {
        c["display"] = json!(display);
    }
    c
}

fn concept(codings: Vec<Value>) -> Value {
    json!({ "coding": codings })
}

fn variable(name: &str) -> String {
    format!("{BB_VARIABLES}/{name}")
}

/// A coded Blue Button variable as an extension.
fn variable_extension(name: &str, code: &str, display: &str) -> Value {
    let url = variable(name);
    json!({ "url": url, "valueCoding": coding(&url, code, display) })
}

fn money(version: FhirVersion, cents: i64) -> Value {
    let value = cents as f64 / 100.0;
    match version {
        FhirVersion::R4 => json!({ "value": value, "currency": "USD" }),
        FhirVersion::Stu3 => {
            json!({ "value": value, "system": "urn:iso:std:iso:4217", "code": "USD" })
        }
    }
}

fn npi_reference(npi: &str) -> Value {
    json!({ "identifier": { "system": NPI, "value": npi } })
}

fn meta(last_updated: DateTime<Utc>) -> Value {
    json!({ "lastUpdated": instant(last_updated) })
}

/// A beneficiary as a Patient.
pub fn patient(version: FhirVersion, bene: &beneficiary::Model) -> Value {
    let mut given = vec![json!(bene.given_name)];
    if let Some(middle) = bene.middle_initial.as_deref().filter(|m| !m.is_empty()) {
        given.push(json!(middle));
    }
    let race = match bene.race_code.as_str() {
        "1" => "White",
        "2" => "Black",
        "3" => "Other",
        "4" => "Asian",
        "5" => "Hispanic",
        "6" => "North American Native",
        _ => "Unknown",
    };
    let identifiers = match version {
        FhirVersion::R4 => vec![
            json!({
                "type": concept(vec![coding(C4BB_IDENTIFIER_TYPE, "pat", "Patient internal identifier")]),
                "system": "https://bluebutton.cms.gov/resources/variables/bene_id",
                "value": bene.fhir_id,
            }),
            json!({
                "type": concept(vec![coding("http://terminology.hl7.org/CodeSystem/v2-0203", "MC", "Patient's Medicare number")]),
                "system": "http://hl7.org/fhir/sid/us-mbi",
                "value": bene.mbi,
            }),
        ],
        FhirVersion::Stu3 => vec![
            json!({ "system": "http://bluebutton.cms.hhs.gov/identifier#bene_id", "value": bene.fhir_id }),
            json!({ "system": "http://bluebutton.cms.hhs.gov/identifier#hicnHash", "value": bene.hicn_hash }),
        ],
    };
    json!({
        "resourceType": "Patient",
        "id": bene.fhir_id,
        "meta": meta(bene.updated_at),
        "extension": [variable_extension("race", &bene.race_code, race)],
        "identifier": identifiers,
        "name": [{ "use": "usual", "family": bene.family_name, "given": given }],
        "gender": bene.gender,
        "birthDate": date(bene.birth_date),
        "address": [{ "district": bene.county_code, "state": bene.state_code, "postalCode": bene.postal_code }],
    })
}

/// One part of a beneficiary's coverage as a Coverage.
pub fn coverage(
    version: FhirVersion,
    stored: &StoredCoverage,
    patient_id: &str,
    mbi: &str,
) -> Value {
    let part = &stored.part;
    let extensions: Vec<Value> = part
        .fields
        .iter()
        .map(|f| variable_extension(&f.variable, &f.code, &f.display))
        .collect();
    let mut resource = json!({
        "resourceType": "Coverage",
        "id": stored.id,
        "meta": meta(stored.last_updated),
        "extension": extensions,
        "status": part.status,
        "type": concept(vec![coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "SUBSIDIZ", "subsidized health program")]),
        "beneficiary": { "reference": format!("Patient/{patient_id}") },
        "period": { "start": date(part.start) },
        "payor": [{ "identifier": { "value": "Centers for Medicare and Medicaid Services" } }],
    });
    match version {
        FhirVersion::R4 => {
            resource["subscriberId"] = json!(mbi);
            resource["relationship"] = concept(vec![coding(
                "http://terminology.hl7.org/CodeSystem/subscriber-relationship",
                "self",
                "Self",
            )]);
            let class_type = |code: &str, display: &str| {
                concept(vec![coding(
                    "http://terminology.hl7.org/CodeSystem/coverage-class",
                    code,
                    display,
                )])
            };
            let mut classes = vec![
                json!({ "type": class_type("group", "Group"), "value": "Medicare", "name": "Medicare" }),
                json!({ "type": class_type("plan", "Plan"), "value": part.part.title(), "name": part.part.title() }),
            ];
            if let Some((contract, _)) = &part.contract {
                classes
                    .push(json!({ "type": class_type("subplan", "SubPlan"), "value": contract }));
            }
            resource["class"] = json!(classes);
        }
        FhirVersion::Stu3 => {
            resource["relationship"] = concept(vec![coding(
                "http://hl7.org/fhir/policyholder-relationship",
                "self",
                "",
            )]);
            resource["grouping"] = json!({ "subGroup": "Medicare", "subPlan": part.part.title() });
        }
    }
    resource
}

/// Which coverage part pays a claim of this type.
fn paying_part(claim_type: ClaimType) -> Part {
    match claim_type {
        ClaimType::Carrier | ClaimType::Dme | ClaimType::Outpatient => Part::B,
        ClaimType::Pde => Part::D,
        _ => Part::A,
    }
}

fn claim_category(version: FhirVersion, claim_type: ClaimType) -> Value {
    let (code, display) = match claim_type {
        ClaimType::Pde => ("pharmacy", "Pharmacy"),
        t if t.is_institutional() => ("institutional", "Institutional"),
        _ => ("professional", "Professional"),
    };
    let system = match version {
        FhirVersion::R4 => "http://terminology.hl7.org/CodeSystem/claim-type",
        FhirVersion::Stu3 => "http://hl7.org/fhir/ex-claimtype",
    };
    coding(system, code, display)
}

/// One adjudication entry: a standard category plus the Blue Button variable it comes from.
fn adjudication(version: FhirVersion, kind: &str, variable_name: &str, cents: i64) -> Value {
    let (system, code, display) = match (version, kind) {
        (FhirVersion::R4, "coinsurance") => (C4BB_ADJUDICATION, "coinsurance", "Co-insurance"),
        (FhirVersion::R4, _) => (
            "http://terminology.hl7.org/CodeSystem/adjudication",
            kind,
            "",
        ),
        (FhirVersion::Stu3, "coinsurance") => {
            ("http://hl7.org/fhir/adjudication", "copay", "CoPay")
        }
        (FhirVersion::Stu3, _) => ("http://hl7.org/fhir/adjudication", kind, ""),
    };
    let display = if display.is_empty() {
        match kind {
            "submitted" => "Submitted Amount",
            "eligible" => "Eligible Amount",
            "deductible" => "Deductible",
            _ => "Benefit Amount",
        }
    } else {
        display
    };
    json!({
        "category": concept(vec![coding(system, code, display), coding(BB_ADJUDICATION, &variable(variable_name), "")]),
        "amount": money(version, cents),
    })
}

fn adjudications(version: FhirVersion, claim_type: ClaimType, a: &Amounts) -> Vec<Value> {
    let names = match claim_type {
        ClaimType::Pde => [
            "tot_rx_cst_amt",
            "tot_rx_cst_amt",
            "ptnt_pay_amt",
            "ptnt_pay_amt",
            "cvrd_d_plan_pd_amt",
        ],
        t if t.is_institutional() => [
            "rev_cntr_tot_chrg_amt",
            "rev_cntr_rate_amt",
            "rev_cntr_cash_ddctbl_amt",
            "rev_cntr_coinsrnc_wge_adjstd_c",
            "rev_cntr_pmt_amt_amt",
        ],
        _ => [
            "line_sbmtd_chrg_amt",
            "line_alowd_chrg_amt",
            "line_bene_ptb_ddctbl_amt",
            "line_coinsrnc_amt",
            "line_nch_pmt_amt",
        ],
    };
    let mut out = vec![
        adjudication(version, "submitted", names[0], a.submitted),
        adjudication(version, "eligible", names[1], a.allowed),
    ];
    if a.deductible > 0 {
        out.push(adjudication(version, "deductible", names[2], a.deductible));
    }
    if a.coinsurance > 0 {
        out.push(adjudication(
            version,
            "coinsurance",
            names[3],
            a.coinsurance,
        ));
    }
    out.push(adjudication(version, "benefit", names[4], a.paid));
    out
}

fn hcpcs_system(version: FhirVersion) -> &'static str {
    match version {
        FhirVersion::R4 => "https://bluebutton.cms.gov/resources/codesystem/hcpcs",
        FhirVersion::Stu3 => "https://www.cms.gov/Medicare/Coding/MedHCPCSGenInfo/index.html",
    }
}

fn line_service(version: FhirVersion, claim: &Claim, line: &ClaimLine) -> Value {
    if let Some(drug) = &claim.drug {
        return concept(vec![coding(NDC, &drug.ndc, &drug.drug)]);
    }
    match (&line.hcpcs, &line.revenue_center) {
        (Some((code, display)), _) => concept(vec![coding(hcpcs_system(version), code, display)]),
        (None, Some((code, display))) => {
            concept(vec![coding(&variable("rev_cntr"), code, display)])
        }
        (None, None) => concept(vec![coding(
            hcpcs_system(version),
            "99499",
            "Unlisted evaluation and management service",
        )]),
    }
}

fn item(version: FhirVersion, claim: &Claim, line: &ClaimLine, care_team: bool) -> Value {
    let mut item = Map::new();
    item.insert("sequence".into(), json!(line.number));
    let (team_key, dx_key, service_key) = match version {
        FhirVersion::R4 => ("careTeamSequence", "diagnosisSequence", "productOrService"),
        FhirVersion::Stu3 => ("careTeamLinkId", "diagnosisLinkId", "service"),
    };
    if care_team {
        item.insert(team_key.into(), json!([1]));
    }
    if line.diagnosis > 0 && !claim.diagnoses.is_empty() {
        item.insert(dx_key.into(), json!([line.diagnosis]));
    }
    if let Some((code, display)) = &line.revenue_center {
        item.insert(
            "revenue".into(),
            concept(vec![coding(&variable("rev_cntr"), code, display)]),
        );
    }
    item.insert(service_key.into(), line_service(version, claim, line));
    if !line.modifiers.is_empty() {
        let modifiers: Vec<Value> = line
            .modifiers
            .iter()
            .map(|m| concept(vec![coding(hcpcs_system(version), m, "")]))
            .collect();
        item.insert("modifier".into(), json!(modifiers));
    }
    if line.from == line.thru {
        item.insert("servicedDate".into(), json!(date(line.from)));
    } else {
        item.insert(
            "servicedPeriod".into(),
            json!({ "start": date(line.from), "end": date(line.thru) }),
        );
    }
    if let Some((code, display)) = &line.place_of_service {
        item.insert(
            "locationCodeableConcept".into(),
            concept(vec![coding(
                &variable("line_place_of_srvc_cd"),
                code,
                display,
            )]),
        );
    }
    item.insert("quantity".into(), json!({ "value": line.units }));
    item.insert(
        "adjudication".into(),
        json!(adjudications(version, claim.claim_type, &line.amounts)),
    );
    Value::Object(item)
}

fn supporting_info(version: FhirVersion, claim: &Claim) -> Vec<Value> {
    let category = |code: &str, display: &str| match version {
        FhirVersion::R4 => concept(vec![coding(C4BB_SUPPORTING_INFO, code, display)]),
        FhirVersion::Stu3 => concept(vec![coding(
            "http://hl7.org/fhir/claiminformationcategory",
            "info",
            display,
        )]),
    };
    let mut info = Vec::new();
    if let Some(stay) = &claim.stay {
        info.push(json!({
            "category": category("admissionperiod", "Admission Period"),
            "timingPeriod": { "start": date(stay.admission), "end": date(stay.discharge) },
        }));
        info.push(json!({
            "category": category("discharge-status", "Discharge Status"),
            "code": concept(vec![coding(&variable("ptnt_dschrg_stus_cd"), &stay.discharge_status, "")]),
        }));
        info.push(json!({
            "category": category("typeofbill", "Type of Bill"),
            "code": concept(vec![coding(&variable("clm_freq_cd"), &stay.bill_type, "")]),
        }));
        if let Some((code, display)) = &stay.drg {
            info.push(json!({
                "category": category("drg", "DRG"),
                "code": concept(vec![coding(&variable("clm_drg_cd"), code, display)]),
            }));
        }
    }
    if let Some(drug) = &claim.drug {
        info.push(json!({
            "category": category("dayssupply", "Days Supply"),
            "valueQuantity": { "value": drug.days_supply },
        }));
        info.push(json!({
            "category": category("refillnum", "Refill Number"),
            "valueQuantity": { "value": drug.fill_number },
        }));
    }
    for (n, entry) in info.iter_mut().enumerate() {
        entry["sequence"] = json!(n + 1);
    }
    info
}

/// A claim as an ExplanationOfBenefit.
pub fn explanation_of_benefit(
    version: FhirVersion,
    stored: &StoredClaim,
    patient_id: &str,
) -> Value {
    let claim = &stored.claim;
    let (nch_code, nch_display) = claim.claim_type.nch_code();
    let id_variable = if claim.claim_type == ClaimType::Pde {
        "pde_id"
    } else {
        "clm_id"
    };
    let mut claim_identifier = json!({ "system": variable(id_variable), "value": claim.claim_id });
    if version == FhirVersion::R4 {
        claim_identifier["type"] =
            concept(vec![coding(C4BB_IDENTIFIER_TYPE, "uc", "Unique Claim ID")]);
    }
    let care_team_npi = claim
        .drug
        .as_ref()
        .map(|d| d.prescriber_npi.clone())
        .or_else(|| claim.lines.iter().find_map(|l| l.performing_npi.clone()))
        .unwrap_or_else(|| claim.billing_npi.clone());
    let team_role = match version {
        FhirVersion::R4 => coding(
            "http://terminology.hl7.org/CodeSystem/claimcareteamrole",
            "primary",
            "Primary provider",
        ),
        FhirVersion::Stu3 => coding(
            "http://hl7.org/fhir/claimcareteamrole",
            "primary",
            "Primary provider",
        ),
    };
    let (dx_system, dx_type_system) = match version {
        FhirVersion::R4 => (
            "http://hl7.org/fhir/sid/icd-10-cm",
            "http://terminology.hl7.org/CodeSystem/ex-diagnosistype",
        ),
        FhirVersion::Stu3 => (
            "http://hl7.org/fhir/sid/icd-10",
            "http://hl7.org/fhir/ex-diagnosistype",
        ),
    };
    let diagnoses: Vec<Value> = claim
        .diagnoses
        .iter()
        .enumerate()
        .map(|(i, d)| {
            json!({
                "sequence": i + 1,
                "diagnosisCodeableConcept": concept(vec![coding(dx_system, &d.code, &d.display)]),
                "type": [concept(vec![coding(dx_type_system, &d.kind, "")])],
            })
        })
        .collect();
    let procedures: Vec<Value> = claim
        .procedures
        .iter()
        .enumerate()
        .map(|(i, p)| {
            json!({
                "sequence": i + 1,
                "date": date(p.date),
                "procedureCodeableConcept": concept(vec![coding(ICD10_PCS, &p.code, &p.display)]),
            })
        })
        .collect();
    let items: Vec<Value> = claim
        .lines
        .iter()
        .map(|line| item(version, claim, line, true))
        .collect();
    let coverage = format!(
        "Coverage/{}",
        paying_part(claim.claim_type).coverage_id(patient_id)
    );

    let mut eob = json!({
        "resourceType": "ExplanationOfBenefit",
        "id": claim.resource_id(),
        "meta": meta(stored.last_updated),
        "identifier": [
            claim_identifier,
            { "system": "https://bluebutton.cms.gov/resources/identifier/claim-group", "value": claim.claim_group_id },
        ],
        "status": "active",
        "type": concept(vec![
            coding(&variable("nch_clm_type_cd"), nch_code, nch_display),
            coding(EOB_TYPE, &claim.claim_type.as_str().to_uppercase(), ""),
            claim_category(version, claim.claim_type),
        ]),
        "patient": { "reference": format!("Patient/{patient_id}") },
        "billablePeriod": { "start": date(claim.from), "end": date(claim.thru) },
        "created": date(claim.processed),
        "insurer": { "identifier": { "value": "CMS" } },
        "provider": npi_reference(&claim.billing_npi),
        "careTeam": [{ "sequence": 1, "provider": npi_reference(&care_team_npi), "role": concept(vec![team_role]) }],
        "item": items,
        "payment": { "amount": money(version, claim.totals.paid), "date": date(claim.processed) },
    });
    let info = supporting_info(version, claim);
    match version {
        FhirVersion::R4 => {
            eob["use"] = json!("claim");
            eob["outcome"] = json!("complete");
            eob["insurance"] = json!([{ "focal": true, "coverage": { "reference": coverage } }]);
            let totals: Vec<Value> = [
                ("submitted", "Submitted Amount", claim.totals.submitted),
                ("eligible", "Eligible Amount", claim.totals.allowed),
                ("benefit", "Benefit Amount", claim.totals.paid),
            ]
            .into_iter()
            .map(|(code, display, cents)| {
                json!({
                    "category": concept(vec![coding("http://terminology.hl7.org/CodeSystem/adjudication", code, display)]),
                    "amount": money(version, cents),
                })
            })
            .collect();
            eob["total"] = json!(totals);
            if !info.is_empty() {
                eob["supportingInfo"] = json!(info);
            }
        }
        FhirVersion::Stu3 => {
            eob["outcome"] = concept(vec![coding(
                "http://hl7.org/fhir/remittance-outcome",
                "complete",
                "Complete",
            )]);
            eob["insurance"] = json!({ "coverage": { "reference": coverage } });
            eob["totalCost"] = money(version, claim.totals.submitted);
            eob["totalBenefit"] = money(version, claim.totals.paid);
            if !info.is_empty() {
                eob["information"] = json!(info);
            }
        }
    }
    if !diagnoses.is_empty() {
        eob["diagnosis"] = json!(diagnoses);
    }
    if !procedures.is_empty() {
        eob["procedure"] = json!(procedures);
    }
    eob
}

/// Everything wrong with `value` by the "no nulls, no empty strings, arrays or
/// objects" rule (tests use this on every resource).
pub fn emptiness_problems(value: &Value, path: &str) -> Vec<String> {
    match value {
        Value::Null => vec![format!("{path} is null")],
        Value::String(s) if s.is_empty() => vec![format!("{path} is an empty string")],
        Value::Array(items) if items.is_empty() => vec![format!("{path} is an empty array")],
        Value::Array(items) => items
            .iter()
            .enumerate()
            .flat_map(|(i, v)| emptiness_problems(v, &format!("{path}[{i}]")))
            .collect(),
        Value::Object(map) if map.is_empty() => vec![format!("{path} is an empty object")],
        Value::Object(map) => map
            .iter()
            .flat_map(|(k, v)| emptiness_problems(v, &format!("{path}.{k}")))
            .collect(),
        _ => vec![],
    }
}

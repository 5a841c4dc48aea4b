//! Every resource the API serves, for every claim type, checked against the
//! official HL7 FHIR JSON schemas (R4 for /v2, STU3 for /v1) — an independent
//! validator, not our own structs — plus the required-element and no-empties
//! rules; and snapshots of the documented enrollee's resources.
use std::{collections::BTreeMap, sync::OnceLock};

use jsonschema::{Registry, Validator};
use portal_tests::{
    db_tests,
    fhir::{enrollee_token, get, link},
    Backend, TestApp,
};
use serde_json::{json, Value};
use server::{
    fhir::resources::emptiness_problems,
    synthetic::{self, claims::ClaimType},
};

const TYPES: [&str; 6] = [
    "Patient",
    "Coverage",
    "ExplanationOfBenefit",
    "Bundle",
    "CapabilityStatement",
    "OperationOutcome",
];

fn schema_dir() -> std::path::PathBuf {
    std::env::var("FHIR_SCHEMA_DIR")
        .map(Into::into)
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../target/fhir-schemas").into())
}

/// One compiled validator per resource type, for one FHIR version.
fn validators(file: &str, base: &str) -> BTreeMap<&'static str, Validator> {
    let path = schema_dir().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}. Run ./scripts/test.sh, which fetches the FHIR schemas.",
            path.display()
        )
    });
    let schema: Value = serde_json::from_str(&text).expect("schema JSON");
    let registry = Registry::new()
        .add(base, schema)
        .expect("register")
        .prepare()
        .expect("prepare");
    TYPES
        .into_iter()
        .map(|t| {
            let validator = jsonschema::options()
                .with_registry(&registry)
                .build(&json!({ "$ref": format!("{base}#/definitions/{t}") }))
                .expect("validator");
            (t, validator)
        })
        .collect()
}

fn r4() -> &'static BTreeMap<&'static str, Validator> {
    static R4: OnceLock<BTreeMap<&'static str, Validator>> = OnceLock::new();
    R4.get_or_init(|| validators("fhir.schema.r4.json", "urn:fhir:r4"))
}

fn stu3() -> &'static BTreeMap<&'static str, Validator> {
    static STU3: OnceLock<BTreeMap<&'static str, Validator>> = OnceLock::new();
    STU3.get_or_init(|| validators("fhir.schema.stu3.json", "urn:fhir:stu3"))
}

/// Schema errors, required-element and emptiness problems of `resource` (and, for a
/// Bundle, of each entry), for `/v1` or `/v2`.
fn problems(version: &str, resource: &Value) -> Vec<String> {
    let validators = if version == "v2" { r4() } else { stu3() };
    let kind = resource["resourceType"].as_str().unwrap_or("?");
    let id = resource["id"].as_str().unwrap_or("");
    let mut found: Vec<String> = match validators.get(kind) {
        Some(v) => v
            .iter_errors(resource)
            .map(|e| format!("{kind}/{id}: {e} at {}", e.instance_path()))
            .collect(),
        None => vec![format!("unexpected resource type {kind}")],
    };
    found.extend(emptiness_problems(resource, &format!("{kind}/{id}")));
    let required: &[&str] = match (kind, version) {
        ("ExplanationOfBenefit", "v2") => &[
            "status",
            "type",
            "use",
            "patient",
            "created",
            "insurer",
            "provider",
            "outcome",
            "insurance",
            "billablePeriod",
        ],
        ("ExplanationOfBenefit", _) => &[
            "status",
            "type",
            "patient",
            "created",
            "insurer",
            "provider",
            "outcome",
            "insurance",
            "billablePeriod",
        ],
        ("Coverage", "v2") => &["status", "beneficiary", "payor"],
        ("Coverage", _) => &["status", "beneficiary", "payor"],
        ("Patient", _) => &["id", "identifier", "name", "gender"],
        ("Bundle", _) => &["type", "total", "link"],
        _ => &[],
    };
    for field in required {
        if resource.get(field).is_none() {
            found.push(format!("{kind}/{id} has no {field}"));
        }
    }
    if kind == "ExplanationOfBenefit" && version == "v2" {
        let focal = resource["insurance"]
            .as_array()
            .is_some_and(|i| i.iter().any(|x| x["focal"] == true));
        if !focal {
            found.push(format!("{kind}/{id} has no focal insurance"));
        }
    }
    for entry in resource["entry"].as_array().into_iter().flatten() {
        found.extend(problems(version, &entry["resource"]));
    }
    found
}

/// Enrollees whose claims, together, include every claim type.
fn enrollees_covering_every_type() -> Vec<u32> {
    let mut chosen = vec![
        synthetic::FEATURED_NUMBER,
        synthetic::LUCILLE_NUMBER,
        synthetic::JACK_NUMBER,
    ];
    let mut seen: std::collections::HashSet<ClaimType> = chosen
        .iter()
        .flat_map(|n| synthetic::claims::claims_for(*n))
        .map(|c| c.claim_type)
        .collect();
    for n in 3..synthetic::POPULATION {
        let types: Vec<ClaimType> = synthetic::claims::claims_for(n)
            .iter()
            .map(|c| c.claim_type)
            .collect();
        if types.iter().any(|t| !seen.contains(t)) {
            seen.extend(types);
            chosen.push(n);
        }
        if seen.len() == ClaimType::ALL.len() {
            break;
        }
    }
    chosen
}

async fn every_resource_of_every_claim_type_validates_in_r4_and_stu3(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let numbers = enrollees_covering_every_type();
    for n in &numbers {
        app.enrollees(*n..*n + 1).await;
    }
    let mut checked: BTreeMap<String, usize> = BTreeMap::new();
    let mut all_problems = Vec::new();
    let mut check = |version: &str, resource: &Value| {
        let kind = resource["resourceType"].as_str().unwrap_or("?").to_string();
        *checked.entry(format!("{version} {kind}")).or_default() += 1;
        all_problems.extend(problems(version, resource));
    };
    for n in &numbers {
        let token = enrollee_token(&app, &synthetic::username(*n)).await;
        let patient = synthetic::fhir_id(*n);
        for version in ["v1", "v2"] {
            for path in [
                format!("/{version}/fhir/Patient/{patient}"),
                format!("/{version}/fhir/Patient/"),
                format!("/{version}/fhir/Coverage/"),
            ] {
                let (status, _, body) = get(&app, &token, &path).await;
                assert_eq!(status, 200, "{path}");
                check(version, &body);
            }
            let (_, _, coverage) = get(
                &app,
                &token,
                &format!("/{version}/fhir/Coverage/part-a-{patient}"),
            )
            .await;
            check(version, &coverage);
            // Every claim, through every page of the search.
            let mut next = Some(format!("/{version}/fhir/ExplanationOfBenefit/?_count=50"));
            while let Some(url) = next {
                let (status, _, bundle) = get(&app, &token, &url).await;
                assert_eq!(status, 200);
                check(version, &bundle);
                next = link(&bundle, "next");
            }
            for claim in synthetic::claims::claims_for(*n).iter().take(3) {
                let (_, _, eob) = get(
                    &app,
                    &token,
                    &format!(
                        "/{version}/fhir/ExplanationOfBenefit/{}",
                        claim.resource_id()
                    ),
                )
                .await;
                check(version, &eob);
            }
            let (status, _, outcome) = get(
                &app,
                &token,
                &format!("/{version}/fhir/ExplanationOfBenefit/?service-date=bad"),
            )
            .await;
            assert_eq!(status, 400);
            check(version, &outcome);
        }
    }
    for version in ["v1", "v2"] {
        let (status, _, metadata) = get(&app, "", &format!("/{version}/fhir/metadata")).await;
        assert_eq!(status, 200);
        let oauth = &metadata["rest"][0]["security"]["extension"][0];
        assert_eq!(
            oauth["url"],
            "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
        );
        assert_eq!(
            oauth["extension"][1]["valueUri"],
            app.url(&format!("/{version}/o/token/"))
        );
        check(version, &metadata);
    }
    assert!(
        all_problems.is_empty(),
        "{} problems, first ones:\n{}",
        all_problems.len(),
        all_problems[..all_problems.len().min(15)].join("\n")
    );
    // The checks really ran over everything.
    assert!(
        checked["v2 Bundle"] > 0 && checked["v1 ExplanationOfBenefit"] > 0,
        "{checked:?}"
    );
    app.stop().await;
}

/// The schema check must be able to fail.
#[test]
fn the_schema_check_catches_wrong_resources() {
    let bad_patient =
        json!({ "resourceType": "Patient", "id": "1", "gender": 3, "birthDate": "1950-13-45" });
    assert!(problems("v2", &bad_patient)
        .iter()
        .any(|p| p.contains("/gender")));
    assert!(problems("v2", &bad_patient)
        .iter()
        .any(|p| p.contains("/birthDate")));
    let stu3_shaped = json!({ "resourceType": "ExplanationOfBenefit", "id": "x", "status": "active", "insurance": { "coverage": { "reference": "Coverage/1" } } });
    assert!(
        problems("v2", &stu3_shaped)
            .iter()
            .any(|p| p.contains("/insurance")),
        "R4 wants an array"
    );
    assert!(problems(
        "v1",
        &json!({ "resourceType": "Patient", "id": "1", "gender": 3 })
    )
    .iter()
    .any(|p| p.contains("/gender")));
    assert!(problems(
        "v2",
        &json!({ "resourceType": "Patient", "id": "", "name": [] })
    )
    .iter()
    .any(|p| p.contains("empty")));
}

/// Compares `value` with the stored snapshot `name`; `UPDATE_SNAPSHOTS=1` rewrites it.
fn snapshot(name: &str, value: &Value) {
    let path = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"))
        .join(format!("{name}.json"));
    let mut value = value.clone();
    // The Patient's lastUpdated is when it was loaded; everything else is deterministic.
    if value["resourceType"] == "Patient" {
        value["meta"]["lastUpdated"] = json!("<load time>");
    }
    let rendered = serde_json::to_string_pretty(&value).unwrap() + "\n";
    if std::env::var("UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &rendered).unwrap();
        return;
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}; run with UPDATE_SNAPSHOTS=1 and review it",
            path.display()
        )
    });
    assert!(
        stored == rendered,
        "{name} differs from its snapshot {}:\n{rendered}",
        path.display()
    );
}

async fn snapshots_of_the_documented_enrollee_and_one_claim_of_each_type(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let numbers = enrollees_covering_every_type();
    for n in &numbers {
        app.enrollees(*n..*n + 1).await;
    }
    let jane = synthetic::FEATURED_FHIR_ID;
    let token = enrollee_token(&app, "BBUser29999").await;
    for version in ["v1", "v2"] {
        let (_, _, patient) = get(&app, &token, &format!("/{version}/fhir/Patient/{jane}")).await;
        snapshot(&format!("{version}-patient-{jane}"), &patient);
        let (_, _, coverage) = get(
            &app,
            &token,
            &format!("/{version}/fhir/Coverage/part-a-{jane}"),
        )
        .await;
        snapshot(&format!("{version}-coverage-part-a-{jane}"), &coverage);
    }
    let mut done = std::collections::HashSet::new();
    for n in &numbers {
        let token = enrollee_token(&app, &synthetic::username(*n)).await;
        for claim in synthetic::claims::claims_for(*n) {
            if !done.insert(claim.claim_type) {
                continue;
            }
            for version in ["v1", "v2"] {
                let (status, _, eob) = get(
                    &app,
                    &token,
                    &format!(
                        "/{version}/fhir/ExplanationOfBenefit/{}",
                        claim.resource_id()
                    ),
                )
                .await;
                assert_eq!(status, 200);
                snapshot(
                    &format!("{version}-eob-{}", claim.claim_type.as_str()),
                    &eob,
                );
            }
        }
    }
    assert_eq!(done.len(), 8);
    // The documentation's own example claim is there.
    let (_, _, example) = get(
        &app,
        &token,
        "/v2/fhir/ExplanationOfBenefit/carrier-22011027731",
    )
    .await;
    assert_eq!(example["id"], "carrier-22011027731");
    app.stop().await;
}

db_tests!(
    every_resource_of_every_claim_type_validates_in_r4_and_stu3,
    snapshots_of_the_documented_enrollee_and_one_claim_of_each_type,
);

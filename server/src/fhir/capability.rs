//! `GET /v{1,2}/fhir/metadata`: what this server supports, with the SMART
//! `oauth-uris` extension telling clients where to authorize.
use serde_json::{json, Value};

use super::FhirVersion;

/// The CapabilityStatement for `version`, with endpoints under `base` (e.g. `https://host`).
pub fn statement(version: FhirVersion, base: &str) -> Value {
    let v = match version {
        FhirVersion::Stu3 => "v1",
        FhirVersion::R4 => "v2",
    };
    let security_system = match version {
        FhirVersion::R4 => "http://terminology.hl7.org/CodeSystem/restful-security-service",
        FhirVersion::Stu3 => "http://hl7.org/fhir/restful-security-service",
    };
    let search = |name: &str, kind: &str, doc: &str| json!({ "name": name, "type": kind, "documentation": doc });
    let paging = vec![
        search(
            "_count",
            "number",
            "Entries per page: 10 by default, at most 50; 0 returns only the total.",
        ),
        search(
            "startIndex",
            "number",
            "Zero-based offset of the first entry on the page.",
        ),
    ];
    let with_paging = |mut params: Vec<Value>| {
        params.extend(paging.clone());
        params
    };
    let resource = |kind: &str, params: Vec<Value>| {
        json!({
            "type": kind,
            "interaction": [{ "code": "read" }, { "code": "search-type" }],
            "searchParam": with_paging(params),
        })
    };
    let mut statement = json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-11-24",
        "publisher": "Blue Button 2.0 API",
        "kind": "instance",
        "software": { "name": "Blue Button 2.0 API portal", "version": env!("CARGO_PKG_VERSION") },
        "implementation": { "description": "Medicare claims for enrollees who authorize an app", "url": format!("{base}/{v}/fhir") },
        "fhirVersion": version.number(),
        "format": ["application/fhir+json", "json"],
        "rest": [{
            "mode": "server",
            "security": {
                "extension": [{
                    "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                    "extension": [
                        { "url": "authorize", "valueUri": format!("{base}/{v}/o/authorize/") },
                        { "url": "token", "valueUri": format!("{base}/{v}/o/token/") },
                        { "url": "revoke", "valueUri": format!("{base}/{v}/o/revoke_token/") },
                        { "url": "introspect", "valueUri": format!("{base}/{v}/o/introspect/") },
                    ],
                }],
                "service": [{ "coding": [{ "system": security_system, "code": "SMART-on-FHIR" }] }],
                "description": "OAuth 2.0 bearer tokens: authorization code with PKCE (S256) or implicit for public clients.",
            },
            "resource": [
                resource("Patient", vec![
                    search("_id", "token", "The enrollee's Patient id; only the token's own enrollee is found."),
                    search("identifier", "token", "A Patient identifier (system|value)."),
                ]),
                resource("Coverage", vec![search("beneficiary", "reference", "The token's own enrollee.")]),
                resource("ExplanationOfBenefit", vec![
                    search("patient", "reference", "The token's own enrollee."),
                    search("type", "token", "Comma list of carrier, dme, hha, hospice, inpatient, outpatient, pde, snf."),
                    search("service-date", "date", "Last service date, with ge, gt, le, lt; repeatable."),
                    search("_lastUpdated", "date", "When the claim last changed, with ge, gt, le, lt; repeatable."),
                ]),
            ],
        }],
    });
    if version == FhirVersion::Stu3 {
        statement["acceptUnknown"] = json!("no");
    }
    statement
}

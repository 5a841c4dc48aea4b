//! The PDF record of a submitted version: every answer, the documents with
//! their SHA-256, and the attestation. Sent to the contacts and kept.
use super::{form, DocumentKind, Snapshot};
use crate::pdf::TextDocument;

pub fn render(snapshot: &Snapshot) -> Vec<u8> {
    let mut doc = TextDocument::new(&format!(
        "Production access application: {}",
        snapshot.app_name
    ))
    .paragraph(&format!(
        "Version {}, submitted {} UTC.",
        snapshot.version,
        snapshot.submitted_at.format("%B %-d, %Y at %H:%M")
    ));
    for section in form::sections() {
        doc = doc.heading(section.title);
        for field in section.fields {
            let value = snapshot.answer(section.key, field.key);
            let shown = match field.kind {
                form::Kind::Attest if value == "yes" => "Confirmed".to_string(),
                form::Kind::Attest => "Not confirmed".to_string(),
                form::Kind::YesNo | form::Kind::Choice(_) => field
                    .kind
                    .options()
                    .iter()
                    .find(|(v, _)| *v == value)
                    .map(|(_, label)| label.to_string())
                    .unwrap_or_default(),
                _ => value.to_string(),
            };
            doc = doc.field(field.label, &shown);
        }
    }
    doc = doc.heading("Documents");
    for kind in DocumentKind::ALL {
        let value = snapshot
            .documents
            .iter()
            .find(|d| d.kind == kind.as_str())
            .map(|d| {
                format!(
                    "{} ({} pages, {} bytes)\nSHA-256 {}",
                    d.filename, d.page_count, d.size_bytes, d.sha256
                )
            })
            .unwrap_or_default();
        doc = doc.field(kind.label(), &value);
    }
    doc.heading("Attestation")
        .paragraph(&format!(
            "{}, {}, attested that they have read the Blue Button 2.0 API Terms of Service and that the application meets them.",
            snapshot.attestation.name, snapshot.attestation.title
        ))
        .render()
}

//! The questions of the production-access application, as data: sections,
//! fields and the privacy-policy checklist of the production-access guide.
//! Pages, validation, the summary PDF and version diffs all read this one list.
use std::collections::BTreeMap;

use validator::{ValidateEmail, ValidateUrl};

use crate::{
    apps::{redirect_uri, Environment},
    validation::FieldErrors,
};

/// Answers by field key. Absent and empty mean the same: not answered.
pub type Answers = BTreeMap<String, String>;

/// What kind of answer a field takes, which decides its control and its checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// One line, up to 200 characters.
    Text,
    /// Free text, up to 4,000 characters.
    LongText,
    Email,
    /// Email addresses, one per line (at most 10).
    EmailList,
    Phone,
    /// An http or https address.
    Url,
    /// `yes` or `no`.
    YesNo,
    /// One of the listed values.
    Choice(&'static [(&'static str, &'static str)]),
    /// Production redirect URIs: https or a reverse-DNS custom scheme.
    RedirectUris,
    /// A checkbox the applicant ticks to attest (`yes`).
    Attest,
}

impl Kind {
    /// The name pages use to pick a control.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::LongText => "long_text",
            Kind::Email => "email",
            Kind::EmailList => "email_list",
            Kind::Phone => "phone",
            Kind::Url => "url",
            Kind::YesNo => "yes_no",
            Kind::Choice(_) => "choice",
            Kind::RedirectUris => "redirect_uris",
            Kind::Attest => "attest",
        }
    }

    pub fn options(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Kind::Choice(options) => options,
            Kind::YesNo => &[("yes", "Yes"), ("no", "No")],
            _ => &[],
        }
    }
}

/// One question.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub key: &'static str,
    pub label: &'static str,
    pub hint: Option<&'static str>,
    pub kind: Kind,
    /// Needed before the application can be submitted (see also [`conditionally_required`]).
    pub required: bool,
}

const fn field(key: &'static str, label: &'static str, kind: Kind) -> Field {
    Field {
        key,
        label,
        hint: None,
        kind,
        required: true,
    }
}

const fn hinted(key: &'static str, label: &'static str, kind: Kind, hint: &'static str) -> Field {
    Field {
        key,
        label,
        hint: Some(hint),
        kind,
        required: true,
    }
}

const fn optional(key: &'static str, label: &'static str, kind: Kind, hint: &'static str) -> Field {
    Field {
        key,
        label,
        hint: Some(hint),
        kind,
        required: false,
    }
}

/// One section of the form, saved on its own.
#[derive(Clone, Copy, Debug)]
pub struct Section {
    pub key: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub fields: &'static [Field],
}

pub const DATA_ACCESS_TYPES: &[(&str, &str)] = &[
    (
        "13-month",
        "13-month: access until the enrollee revokes it, renewed by the enrollee every 13 months",
    ),
    (
        "one-time",
        "One-time: a single retrieval; the token stops working after an hour and cannot be refreshed",
    ),
    ("research", "Research: for an approved research study"),
];

const HIPAA_STATUS: &[(&str, &str)] = &[
    ("covered_entity", "We are a HIPAA covered entity"),
    (
        "business_associate",
        "We are a business associate of a covered entity",
    ),
    ("not_covered", "HIPAA does not apply to us"),
    ("unsure", "We are not sure"),
];

pub const ORGANIZATION: Section = Section {
    key: "organization",
    title: "Organization",
    intro: "Who is applying, and whom we contact about this application.",
    fields: &[
        field("legal_name", "Legal name of the organization", Kind::Text),
        hinted(
            "us_based",
            "Is the organization based in the United States?",
            Kind::YesNo,
            "Production access is open to companies based in the United States only.",
        ),
        hinted(
            "address",
            "Business address",
            Kind::LongText,
            "Street, city, state and ZIP code.",
        ),
        field("website", "Organization website", Kind::Url),
        field("contact_name", "Point of contact: name", Kind::Text),
        field("contact_title", "Point of contact: title", Kind::Text),
        field("contact_email", "Point of contact: email", Kind::Email),
        hinted(
            "contact_phone",
            "Point of contact: phone",
            Kind::Phone,
            "Like +1 410-555-0100.",
        ),
        optional(
            "other_contacts",
            "Other people to notify",
            Kind::EmailList,
            "Email addresses, one per line (up to 10). They get every update on this application.",
        ),
    ],
};

pub const APPLICATION: Section = Section {
    key: "application",
    title: "Application",
    intro: "What your app does for Medicare enrollees and how it will use the API in production.",
    fields: &[
        field("app_name", "Name of the application", Kind::Text),
        field("app_description", "What the application does", Kind::LongText),
        field("use_case", "Use case for Medicare enrollees", Kind::LongText),
        hinted(
            "serves_medicare",
            "Does the application serve a Medicare population?",
            Kind::YesNo,
            "Apps must serve Medicare enrollees, unless they are research apps.",
        ),
        optional(
            "research_exception",
            "Research exception",
            Kind::LongText,
            "Needed if the app does not serve a Medicare population: describe the study, its sponsor and its approval.",
        ),
        field("business_model", "Business model", Kind::LongText),
        field(
            "beneficiary_value",
            "Value to Medicare enrollees",
            Kind::LongText,
        ),
        hinted(
            "redirect_uris",
            "Production redirect URIs",
            Kind::RedirectUris,
            "One per line. https:// addresses, or a reverse-domain scheme like com.example.app:/callback for native apps; http:// is not accepted in production.",
        ),
        field(
            "data_access_type",
            "Data access requested",
            Kind::Choice(DATA_ACCESS_TYPES),
        ),
        hinted(
            "needs_demographics",
            "Does the application need enrollees' demographic data?",
            Kind::YesNo,
            "Name, address, date of birth, gender. Enrollees may still choose not to share it.",
        ),
        optional(
            "demographics_reason",
            "Why the application needs demographic data",
            Kind::LongText,
            "Needed if you answered yes above.",
        ),
    ],
};

pub const DATA_PROTECTION: Section = Section {
    key: "data_protection",
    title: "Data protection",
    intro: "How you protect enrollees' data once your app has it.",
    fields: &[
        hinted(
            "hosting",
            "Where the data is hosted",
            Kind::Text,
            "For example: AWS GovCloud (US-East), our own data center in Virginia.",
        ),
        field(
            "encryption_in_transit",
            "Is data encrypted in transit (TLS 1.2 or later)?",
            Kind::YesNo,
        ),
        field("encryption_at_rest", "Is data encrypted at rest?", Kind::YesNo),
        hinted(
            "access_control",
            "Who in your organization can read enrollees' data, and how access is controlled",
            Kind::LongText,
            "Roles, multi-factor sign-in, reviews of access, logging.",
        ),
        field("hipaa_status", "HIPAA status", Kind::Choice(HIPAA_STATUS)),
        hinted(
            "breach_response",
            "Breach-response process",
            Kind::LongText,
            "Who decides, how fast enrollees and regulators are told (FTC Health Breach Notification Rule).",
        ),
        optional(
            "protection_details",
            "Anything else about how you protect data",
            Kind::LongText,
            "Certifications (SOC 2, HITRUST), penetration tests, data retention.",
        ),
    ],
};

/// One item of the guide's privacy-policy checklist.
#[derive(Clone, Copy, Debug)]
pub struct ChecklistItem {
    pub key: &'static str,
    pub text: &'static str,
    /// Words whose presence suggests the policy covers the item.
    pub keywords: &'static [&'static str],
}

/// The privacy-policy checklist, in the guide's order.
pub const PRIVACY_CHECKLIST: &[ChecklistItem] = &[
    ChecklistItem {
        key: "collection_sharing",
        text: "How the app collects data, and if and how data is shared",
        keywords: &["collect", "we share", "sharing", "disclose"],
    },
    ChecklistItem {
        key: "what_shared",
        text: "What data is shared, and with whom",
        keywords: &["with whom", "share your", "we may share", "recipients", "third part"],
    },
    ChecklistItem {
        key: "third_party_basis",
        text: "If data is shared with third parties, whether once or persistently",
        keywords: &["one-time", "one time", "persistent", "ongoing", "continuous"],
    },
    ChecklistItem {
        key: "time_frame",
        text: "If data is collected persistently, the time frame of collection",
        keywords: &["time frame", "timeframe", "months", "period of", "until you"],
    },
    ChecklistItem {
        key: "deidentified",
        text: "Use and sharing of de-identified, anonymized or pseudonymized data, and the risk of re-identification",
        keywords: &["de-identified", "deidentified", "anonymi", "pseudonymi", "re-identif", "reidentif"],
    },
    ChecklistItem {
        key: "revoke",
        text: "What happens to an enrollee's data when they revoke access: kept and used, or securely deleted",
        keywords: &["revoke", "disconnect", "withdraw", "delete your data", "deleted"],
    },
    ChecklistItem {
        key: "dormant",
        text: "The policy on dormant or closed accounts",
        keywords: &["dormant", "inactive", "closed account", "close your account", "closure"],
    },
    ChecklistItem {
        key: "policy_changes",
        text: "How users are told when the privacy policy changes, and how they can update settings or opt out",
        keywords: &["changes to this", "change this policy", "update this policy", "notify you of", "material change", "opt out"],
    },
    ChecklistItem {
        key: "vendors",
        text: "Whether third-party vendors commit to data-protection requirements consistent with the law and your expectations",
        keywords: &["vendor", "service provider", "subcontractor", "processor"],
    },
    ChecklistItem {
        key: "breach",
        text: "How users are notified of a security or data breach, and the steps they can take (FTC Health Breach Notification Rule)",
        keywords: &["breach", "security incident", "unauthorized access"],
    },
    ChecklistItem {
        key: "sale",
        text: "How enrollees are notified if the company is sold and the use of their data could change",
        keywords: &["merger", "acquisition", "acquired", "sale of", "sold", "bankruptcy"],
    },
];

/// The field keys of a checklist item: the attestation and where the policy covers it.
pub fn checklist_keys(item: &ChecklistItem) -> (String, String) {
    (format!("pp_{}", item.key), format!("pp_{}_where", item.key))
}

/// The fields of the policies section: the public addresses, then for each
/// checklist item an attestation and where the policy covers it.
fn policy_fields() -> Vec<Field> {
    let mut fields = vec![
        field(
            "privacy_policy_url",
            "Public address of the privacy policy",
            Kind::Url,
        ),
        field(
            "terms_url",
            "Public address of the terms of service",
            Kind::Url,
        ),
        optional(
            "privacy_notice_url",
            "Public address of a privacy notice",
            Kind::Url,
            "Optional: a plain-language summary of your policy, for example based on the ONC Model Privacy Notice.",
        ),
    ];
    for item in PRIVACY_CHECKLIST {
        let (attest, location) = checklist_keys(item);
        let attest: &'static str = Box::leak(attest.into_boxed_str());
        let location: &'static str = Box::leak(location.into_boxed_str());
        fields.push(Field {
            key: attest,
            label: item.text,
            hint: None,
            kind: Kind::Attest,
            required: true,
        });
        fields.push(Field {
            key: location,
            label: "Where the policy covers it",
            hint: Some("Page and section, like “page 2, Sharing your data”."),
            kind: Kind::Text,
            required: true,
        });
    }
    fields
}

/// Every section, in order. The policies section is built once (its checklist fields are generated).
pub fn sections() -> &'static [Section] {
    static SECTIONS: std::sync::OnceLock<Vec<Section>> = std::sync::OnceLock::new();
    SECTIONS.get_or_init(|| {
        let policies: &'static [Field] = Box::leak(policy_fields().into_boxed_slice());
        vec![
            ORGANIZATION,
            APPLICATION,
            DATA_PROTECTION,
            Section {
                key: POLICIES,
                title: "Privacy policy and terms of service",
                intro: "Upload both documents as PDFs, give their public addresses, and for each item of the privacy-policy checklist confirm that your policy covers it and say where.",
                fields: policies,
            },
        ]
    })
}

/// The key of the section that also holds the uploaded documents.
pub const POLICIES: &str = "policies";

pub fn section(key: &str) -> Option<&'static Section> {
    sections().iter().find(|s| s.key == key)
}

/// Keeps only `section`'s fields from `submitted`, trimmed, and checks the
/// format of every answer given. Missing answers are fine in a draft; they
/// are reported by [`missing`] when the applicant submits.
pub fn clean_section(section: &Section, submitted: &Answers) -> Result<Answers, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut answers = Answers::new();
    for field in section.fields {
        let raw = submitted.get(field.key).map(String::as_str).unwrap_or("");
        let value = normalise(field.kind, raw);
        if value.is_empty() {
            continue;
        }
        if let Err(message) = check(field.kind, &value) {
            errors.add(field.key, message);
        }
        answers.insert(field.key.to_string(), value);
    }
    errors.into_result().map(|()| answers)
}

fn normalise(kind: Kind, raw: &str) -> String {
    match kind {
        Kind::EmailList | Kind::RedirectUris => raw
            .split_whitespace()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("\n"),
        Kind::LongText => raw.trim().replace("\r\n", "\n"),
        _ => raw.trim().to_string(),
    }
}

fn check(kind: Kind, value: &str) -> Result<(), String> {
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err("Remove the control characters from this answer.".into());
    }
    match kind {
        Kind::Text if value.chars().count() > 200 => Err("Keep this to 200 characters.".into()),
        Kind::LongText if value.chars().count() > 4000 => {
            Err("Keep this to 4,000 characters.".into())
        }
        Kind::Email if !value.validate_email() || value.len() > 254 => {
            Err("Enter an email address, like name@example.com.".into())
        }
        Kind::EmailList => {
            let addresses: Vec<&str> = value.lines().collect();
            if addresses.len() > 10 {
                return Err("List at most 10 addresses.".into());
            }
            match addresses.iter().find(|a| !a.validate_email()) {
                Some(bad) => Err(format!("“{bad}” is not an email address.")),
                None => Ok(()),
            }
        }
        Kind::Phone if !crate::validation::is_phone(value) => {
            Err("Enter a phone number, like +1 410-555-0100.".into())
        }
        Kind::Url => {
            let scheme_ok = url::Url::parse(value)
                .map(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some())
                .unwrap_or(false);
            if scheme_ok && value.validate_url() && value.len() <= 2048 {
                Ok(())
            } else {
                Err("Enter the full address, like https://example.com/privacy.".into())
            }
        }
        Kind::YesNo | Kind::Choice(_) if !kind.options().iter().any(|(v, _)| *v == value) => {
            Err("Choose one of the options.".into())
        }
        Kind::Attest if value != "yes" => Err("Tick the box to confirm.".into()),
        Kind::RedirectUris => redirect_uri::parse_list(value, Environment::Production)
            .map(|_| ())
            .map_err(|problems| problems.join(" ")),
        _ => Ok(()),
    }
}

/// A required answer that is missing, or an answer that blocks submission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    pub section: &'static str,
    pub field: Option<&'static str>,
    pub message: String,
}

/// Fields required only because of another answer: (field, depends on, when it is).
const CONDITIONAL: &[(&str, &str, &str)] = &[
    ("research_exception", "serves_medicare", "no"),
    ("demographics_reason", "needs_demographics", "yes"),
];

/// Everything that stands between these answers and a submission.
pub fn missing(all: &BTreeMap<String, Answers>) -> Vec<Missing> {
    let mut out = Vec::new();
    let empty = Answers::new();
    for section in sections() {
        let answers = all.get(section.key).unwrap_or(&empty);
        let answered = |key: &str| answers.get(key).is_some_and(|v| !v.trim().is_empty());
        for field in section.fields {
            let needed = field.required
                || CONDITIONAL.iter().any(|(f, on, when)| {
                    *f == field.key && answers.get(*on).map(String::as_str) == Some(when)
                });
            if needed && !answered(field.key) {
                let message = if field.kind == Kind::Attest {
                    format!("Confirm that your privacy policy covers: {}", field.label)
                } else if field.label == "Where the policy covers it" {
                    let item = section
                        .fields
                        .iter()
                        .take_while(|f| f.key != field.key)
                        .last()
                        .map(|f| f.label)
                        .unwrap_or("");
                    format!("Say where your privacy policy covers: {item}")
                } else {
                    format!("Answer “{}”", field.label)
                };
                out.push(Missing {
                    section: section.key,
                    field: Some(field.key),
                    message,
                });
            }
        }
        if section.key == ORGANIZATION.key
            && answers.get("us_based").map(String::as_str) == Some("no")
        {
            out.push(Missing {
                section: section.key,
                field: Some("us_based"),
                message: "Production access is open only to organizations based in the United States, so this application cannot be submitted.".into(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(pairs: &[(&str, &str)]) -> Answers {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn every_checklist_item_of_the_guide_has_an_attestation_and_a_location() {
        let policies = section(POLICIES).unwrap();
        assert_eq!(PRIVACY_CHECKLIST.len(), 11);
        for item in PRIVACY_CHECKLIST {
            let (attest, location) = checklist_keys(item);
            assert!(policies
                .fields
                .iter()
                .any(|f| f.key == attest && f.kind == Kind::Attest));
            assert!(policies.fields.iter().any(|f| f.key == location));
        }
    }

    #[test]
    fn a_draft_may_be_incomplete_but_what_is_given_must_be_well_formed() {
        let saved = clean_section(
            &ORGANIZATION,
            &answers(&[("legal_name", "  Acme Health  "), ("unknown", "dropped")]),
        )
        .unwrap();
        assert_eq!(saved, answers(&[("legal_name", "Acme Health")]));

        let errors = clean_section(
            &ORGANIZATION,
            &answers(&[
                ("contact_email", "not-an-email"),
                ("website", "javascript:alert(1)"),
                ("us_based", "maybe"),
                ("other_contacts", "a@example.com\nnope"),
            ]),
        )
        .unwrap_err();
        assert!(errors.get("contact_email").is_some());
        assert!(errors.get("website").is_some());
        assert!(errors.get("us_based").is_some());
        assert_eq!(
            errors.get("other_contacts"),
            Some("“nope” is not an email address.")
        );
    }

    #[test]
    fn production_redirect_uris_refuse_http() {
        let errors = clean_section(
            &APPLICATION,
            &answers(&[(
                "redirect_uris",
                "http://example.com/cb https://example.com/cb",
            )]),
        )
        .unwrap_err();
        assert!(errors.get("redirect_uris").is_some());
        let ok = clean_section(
            &APPLICATION,
            &answers(&[(
                "redirect_uris",
                "https://example.com/cb com.example.app:/cb",
            )]),
        )
        .unwrap();
        assert_eq!(
            ok["redirect_uris"],
            "https://example.com/cb\ncom.example.app:/cb"
        );
    }

    #[test]
    fn missing_lists_required_and_conditional_answers_and_blocks_non_us_organizations() {
        let mut all = BTreeMap::new();
        all.insert(
            "application".to_string(),
            answers(&[("serves_medicare", "no"), ("needs_demographics", "no")]),
        );
        all.insert("organization".to_string(), answers(&[("us_based", "no")]));
        let missing = missing(&all);
        let fields: Vec<_> = missing.iter().filter_map(|m| m.field).collect();
        assert!(fields.contains(&"research_exception"));
        assert!(!fields.contains(&"demographics_reason"));
        assert!(fields.contains(&"legal_name"));
        assert!(fields.contains(&"pp_breach"));
        assert!(missing
            .iter()
            .any(|m| m.message.contains("based in the United States")));
    }
}

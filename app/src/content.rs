//! Program facts shown on public pages, in this portal's own words, from the
//! production-access guide and API documentation.

/// The production-access criteria reviewers confirm in the demo meeting.
pub const ACCESS_CRITERIA: &[&str] = &[
    "Your organization is based in the United States.",
    "You have a working app or website that you can demonstrate to the review team.",
    "Your app links to a privacy policy and terms of service that explain, in plain language, how you use enrollee data and how an enrollee can close their account.",
    "Your app serves Medicare enrollees, or fits one of the general research exceptions.",
    "You can explain your business model and the value your app gives enrollees.",
    "You can show how enrollee data is protected inside your app.",
];

/// What a privacy policy must address: (short name, what reviewers look for).
pub const PRIVACY_CHECKLIST: &[(&str, &str)] = &[
    ("Collection and sharing", "Whether and how the app shares data at all."),
    ("What is shared, with whom", "Which data is shared and who receives it."),
    ("One-time or ongoing", "For third parties: whether sharing happens once or data is collected persistently."),
    ("Time frame", "For persistent collection: over what period data is collected."),
    ("De-identified data", "Any use or sharing of de-identified, anonymized or pseudonymized data, and the risk that such data could still identify someone."),
    ("After revoking access", "Whether data already shared is kept and used, or securely deleted, when an enrollee revokes access."),
    ("Dormant and closed accounts", "What happens to accounts that go unused or are closed."),
    ("Policy changes", "How users are told about changes to the privacy policy, including what changed and how to update settings or opt out."),
    ("Vendors", "Whether third-party vendors commit to data protection consistent with the law and with your expectations."),
    ("Breaches", "How users are notified of a security breach and what steps they can take; the FTC Health Breach Notification Rule applies to personal health records."),
    ("Sale of the company", "How enrollees are told if the company is sold and the use of their data could change."),
];

/// The five parts of the enrollee journey shown in the one-hour demo.
pub const DEMO_TOPICS: &[&str] = &[
    "Creating a user account",
    "Authorizing the app to get Medicare data",
    "How the app displays the enrollee's data",
    "How the app uses the enrollee's data",
    "If the app offers it, how enrollees share their data with others such as providers or caregivers",
];

/// OAuth scopes an app can be granted.
pub const SCOPES: &[(&str, &str)] = &[
    ("patient/Patient.read", "Demographics: name, gender, address (the Patient resource). Enrollees may decline to share it."),
    ("patient/Coverage.read", "Part A, B, C and D enrollment and coverage."),
    ("patient/ExplanationOfBenefit.read", "Claims: doctor visits, hospital stays, prescriptions and more."),
    ("profile", "Basic account details from the userinfo endpoint. Enrollees may decline to share it."),
];

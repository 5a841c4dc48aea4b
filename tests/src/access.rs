//! Helpers for production-access tests: accounts that sign in, a sandbox app
//! with its application, every section answered, real PDFs uploaded.
use crate::{location, TestApp};
use server::ids::Role;

pub const PASSWORD: &str = "tangerine-kettle-42";

pub async fn account(app: &TestApp, email: &str, role: Role) -> reqwest::Client {
    verified_account(app, email, role).await;
    sign_in(app, email).await
}

/// A verified account with [`PASSWORD`], not signed in: developers are "Pat
/// Applicant" of Acme Health, staff "Rae Reviewer" of the Blue Button 2.0 API
/// team (so that they have no conflict of interest with the applications).
pub async fn verified_account(app: &TestApp, email: &str, role: Role) {
    let organization = if role == Role::Developer {
        "Acme Health"
    } else {
        "Blue Button 2.0 API team"
    };
    verified_account_of(app, email, role, organization).await
}

/// [`verified_account`] in another organization.
pub async fn verified_account_of(app: &TestApp, email: &str, role: Role, organization: &str) {
    server::accounts::create_verified_account(
        &app.state.db,
        server::accounts::NewStaffAccount {
            email: email.into(),
            name: if role == Role::Developer {
                "Pat Applicant"
            } else {
                "Rae Reviewer"
            }
            .into(),
            organization: organization.into(),
            role,
        },
        PASSWORD,
        app.state.clock.now(),
    )
    .await
    .unwrap();
}

/// The production app behind a live app's client id.
pub async fn production_app(
    app: &TestApp,
    client_id: &str,
) -> server::entities::application::Model {
    use server::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    server::entities::application::Entity::find()
        .filter(server::entities::application::Column::ClientId.eq(client_id))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("the production app")
}

/// A new session for an existing account (sessions end after 12 hours of
/// the portal's clock). Staff set up an authenticator at their first sign-in
/// and type its code at later ones, as people do.
pub async fn sign_in(app: &TestApp, email: &str) -> reqwest::Client {
    sign_in_with(app, email, PASSWORD).await
}

/// [`sign_in`] with another password (the demo accounts').
pub async fn sign_in_with(app: &TestApp, email: &str, password: &str) -> reqwest::Client {
    let client = app.client();
    let res = app
        .post_form(
            &client,
            "log_in",
            &[("email", email), ("password", password), ("next", "")],
        )
        .await;
    let target = location(&res);
    match target.split('?').next().unwrap_or_default() {
        "/account" => {}
        "/login/set-up" => set_up_authenticator(app, &client, email).await,
        "/login/code" => {
            let code = app.sign_in_code(email).await;
            let res = app
                .post_form(
                    &client,
                    "second_factor/present",
                    &[("code", &code), ("next", "")],
                )
                .await;
            assert_eq!(location(&res), "/account", "{email} passes the second step");
        }
        other => panic!("{email} signs in, but is sent to {other}"),
    }
    client
}

/// Sets up an authenticator for the sign-in in progress on `client`, reading
/// the key from the set-up page's data as a person reads it off the page.
pub async fn set_up_authenticator(app: &TestApp, client: &reqwest::Client, email: &str) {
    let enrolment: serde_json::Value = app
        .post_form(client, "second_factor/enrolment", &[])
        .await
        .json()
        .await
        .unwrap();
    let secret = server::totp::TotpSecret::from_base32(enrolment["key"].as_str().unwrap())
        .expect("a base32 key");
    let recovery_codes: Vec<String> = enrolment["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(recovery_codes.len(), 10);
    let now = app.state.clock.now();
    let step = server::totp::step_at(now).unwrap();
    let code = server::totp::code_at(&secret, now).unwrap();
    let res = app
        .post_form(
            client,
            "second_factor/confirm",
            &[("code", &code), ("next", "")],
        )
        .await;
    assert_eq!(
        location(&res),
        "/account",
        "{email} sets up an authenticator"
    );
    app.remember_authenticator(email, secret, recovery_codes, step);
}

/// Registers a sandbox app and starts its application; returns the application id.
pub async fn start_application(app: &TestApp, dev: &reqwest::Client, name: &str) -> String {
    let res = app
        .post_form(
            dev,
            "apps/register",
            &[
                ("name", name),
                ("description", "Shows your Medicare claims."),
                ("website_url", "https://app.example.com"),
                ("privacy_policy_url", "https://app.example.com/privacy"),
                ("terms_url", "https://app.example.com/terms"),
                ("support_email", "help@app.example.com"),
                ("support_phone", "+1 410-555-0100"),
                ("client_type", "confidential"),
                ("grant_type", "authorization-code"),
                (
                    "redirect_uris",
                    "http://localhost:8080/callback https://app.example.com/callback",
                ),
                ("requires_demographics", "yes"),
                ("accept_terms", "yes"),
            ],
        )
        .await;
    let target = location(&res);
    let app_id = target
        .trim_start_matches("/apps/")
        .trim_end_matches("?created=1")
        .to_string();
    let page = page(app, dev, &format!("/apps/{app_id}/production")).await;
    assert!(
        page.contains("Not yet: An enrollee authorized the app in the sandbox"),
        "readiness explains what is missing: {page}"
    );
    assert!(page
        .contains("Production does not accept http:// addresses: http://localhost:8080/callback"));
    let res = app
        .post_form(dev, "access/start", &[("app_id", &app_id)])
        .await;
    let target = location(&res);
    assert!(target.starts_with("/access/"), "{target}");
    target.trim_start_matches("/access/").to_string()
}

pub async fn page(app: &TestApp, client: &reqwest::Client, path: &str) -> String {
    client
        .get(app.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The revision a section form carries, read from the page like a browser would.
pub async fn revision(app: &TestApp, client: &reqwest::Client, id: &str, section: &str) -> String {
    let html = page(app, client, &format!("/access/{id}/{section}")).await;
    let marker = "name=\"revision\" value=\"";
    let from = html.find(marker).expect("revision field") + marker.len();
    html[from..from + html[from..].find('"').unwrap()].to_string()
}

pub async fn save(
    app: &TestApp,
    client: &reqwest::Client,
    id: &str,
    section: &str,
    revision: &str,
    answers: &[(&str, &str)],
) -> reqwest::Response {
    let mut form: Vec<(String, String)> = vec![
        ("id".into(), id.into()),
        ("section".into(), section.into()),
        ("revision".into(), revision.into()),
    ];
    form.extend(
        answers
            .iter()
            .map(|(k, v)| (format!("answers[{k}]"), v.to_string())),
    );
    client
        .post(app.url("/api/access/save_section"))
        .header("Origin", &app.base)
        .header("Accept", "application/json")
        .form(&form)
        .send()
        .await
        .unwrap()
}

pub fn organization() -> Vec<(&'static str, &'static str)> {
    vec![
        ("legal_name", "Acme Health, Inc."),
        ("us_based", "yes"),
        ("address", "1 Main Street\nBaltimore, MD 21201"),
        ("website", "https://acme.example.com"),
        ("contact_name", "Pat Applicant"),
        ("contact_title", "Chief Privacy Officer"),
        ("contact_email", "privacy@acme.example.com"),
        ("contact_phone", "+1 410-555-0100"),
        ("other_contacts", "cto@acme.example.com"),
    ]
}

pub fn application_answers() -> Vec<(&'static str, &'static str)> {
    vec![
        ("app_name", "Acme Claims Viewer"),
        ("app_description", "Shows enrollees their Medicare claims in plain language."),
        ("use_case", "Enrollees see every claim of the last four years and share them with caregivers they choose."),
        ("serves_medicare", "yes"),
        ("business_model", "Subscription paid by health systems; free for enrollees."),
        ("beneficiary_value", "A single view of their care history."),
        ("redirect_uris", "https://app.example.com/callback\ncom.example.acme:/callback"),
        ("data_access_type", "13-month"),
        ("needs_demographics", "yes"),
        ("demographics_reason", "To match the enrollee to their caregiver's account."),
    ]
}

pub fn data_protection() -> Vec<(&'static str, &'static str)> {
    vec![
        ("hosting", "AWS GovCloud (US-East)"),
        ("encryption_in_transit", "yes"),
        ("encryption_at_rest", "yes"),
        (
            "access_control",
            "Role-based access with multi-factor sign-in, reviewed quarterly.",
        ),
        ("hipaa_status", "business_associate"),
        (
            "breach_response",
            "Incident team notifies enrollees and the FTC within 60 days.",
        ),
    ]
}

pub const CHECKLIST: [&str; 11] = [
    "collection_sharing",
    "what_shared",
    "third_party_basis",
    "time_frame",
    "deidentified",
    "revoke",
    "dormant",
    "policy_changes",
    "vendors",
    "breach",
    "sale",
];

pub fn policies() -> Vec<(String, String)> {
    let mut out = vec![
        (
            "privacy_policy_url".to_string(),
            "https://acme.example.com/privacy".to_string(),
        ),
        (
            "terms_url".to_string(),
            "https://acme.example.com/terms".to_string(),
        ),
    ];
    for (i, item) in CHECKLIST.iter().enumerate() {
        out.push((format!("pp_{item}"), "yes".into()));
        out.push((format!("pp_{item}_where"), format!("Section {}", i + 1)));
    }
    out
}

pub const POLICY_TEXT: &[&str] = &[
    "We collect your Medicare claims only when you connect your account.",
    "If you revoke access, we delete your data within 30 days.",
    "We tell you about a data breach within 60 days.",
];

pub fn policy_pdf() -> Vec<u8> {
    server::pdf::TextDocument::new("Acme privacy policy")
        .paragraphs(POLICY_TEXT.iter().copied())
        .render()
}

pub fn terms_pdf() -> Vec<u8> {
    server::pdf::TextDocument::new("Acme terms of service")
        .paragraph("You may stop using the app at any time.")
        .render()
}

pub async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    id: &str,
    kind: &str,
    filename: &str,
    bytes: Vec<u8>,
    json: bool,
) -> reqwest::Response {
    let path = format!("/access/{id}/documents/{kind}");
    upload_to(app, client, &path, filename, bytes, json).await
}

/// Posts `bytes` as the `file` of a multipart form to `path`, as the page's
/// upload script (`json`) or a plain form would.
pub async fn upload_to(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    filename: &str,
    bytes: Vec<u8>,
    json: bool,
) -> reqwest::Response {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes)
            .file_name(filename.to_string())
            .mime_str("application/pdf")
            .unwrap(),
    );
    client
        .post(app.url(path))
        .header("Origin", &app.base)
        .header(
            "Accept",
            if json {
                "application/json"
            } else {
                "text/html"
            },
        )
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// Fills every section and uploads both documents; returns the privacy policy as uploaded.
pub async fn complete(app: &TestApp, dev: &reqwest::Client, id: &str) -> Vec<u8> {
    for (section, answers) in [
        ("organization", organization()),
        ("application", application_answers()),
        ("data_protection", data_protection()),
    ] {
        let rev = revision(app, dev, id, section).await;
        let res = save(app, dev, id, section, &rev, &answers).await;
        assert!(
            location(&res).contains(&format!("saved={section}")),
            "{section}: {}",
            res.text().await.unwrap()
        );
    }
    let answers = policies();
    let pairs: Vec<(&str, &str)> = answers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let rev = revision(app, dev, id, "policies").await;
    let res = save(app, dev, id, "policies", &rev, &pairs).await;
    assert_eq!(
        location(&res),
        format!("/access/{id}/review?saved=policies")
    );
    let policy = policy_pdf();
    let res = upload(
        app,
        dev,
        id,
        "privacy_policy",
        "privacy.pdf",
        policy.clone(),
        false,
    )
    .await;
    assert_eq!(
        location(&res),
        format!("/access/{id}/policies?uploaded=privacy_policy#documents")
    );
    let res = upload(
        app,
        dev,
        id,
        "terms_of_service",
        "terms.pdf",
        terms_pdf(),
        true,
    )
    .await;
    assert_eq!(res.status(), 200);
    policy
}

pub async fn submit(
    app: &TestApp,
    dev: &reqwest::Client,
    id: &str,
    version: &str,
) -> reqwest::Response {
    app.post_form(
        dev,
        "access/submit",
        &[
            ("id", id),
            ("version", version),
            ("attest_name", "Pat Applicant"),
            ("attest_title", "Chief Privacy Officer"),
            ("attest_terms", "yes"),
        ],
    )
    .await
}

pub fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// An application by a new developer `email`, taken through review, a passed
/// demo and approval for 13-month access by `reviewer`; returns the
/// developer's client and the application id.
pub async fn approved(
    app: &TestApp,
    reviewer: &reqwest::Client,
    email: &str,
    name: &str,
) -> (reqwest::Client, String) {
    let (dev, id) = ready_for_decision(app, reviewer, email, name).await;
    let res = app
        .post_form(
            reviewer,
            "review/approve",
            &[("id", &id), ("data_access_type", "13-month")],
        )
        .await;
    assert_eq!(
        location(&res),
        format!("/review/{id}?decided=1#decision"),
        "approved"
    );
    (dev, id)
}

/// An application submitted, demoed (passed) and evaluated (every item
/// passes) by `reviewer`: the next step is the decision.
pub async fn ready_for_decision(
    app: &TestApp,
    reviewer: &reqwest::Client,
    email: &str,
    name: &str,
) -> (reqwest::Client, String) {
    let dev = account(app, email, Role::Developer).await;
    let id = start_application(app, &dev, name).await;
    complete(app, &dev, &id).await;
    submit(app, &dev, &id, "0").await;
    app.post_form(reviewer, "review/assign", &[("id", &id)])
        .await;
    app.post_form(reviewer, "review/invite", &[("id", &id)])
        .await;
    let starts = (app.state.clock.now() + chrono::Duration::hours(30))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    app.post_form(
        reviewer,
        "review/publish_slot",
        &[
            ("starts_at", &starts),
            ("meeting_link", "https://meet.example.gov/rae"),
            ("tz_offset_minutes", "0"),
        ],
    )
    .await;
    use server::sea_orm::EntityTrait;
    let slot = server::entities::demo_slot::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.starts_at.format("%Y-%m-%dT%H:%M").to_string() == starts)
        .expect("the published slot")
        .id
        .to_string();
    app.post_form(&dev, "review/book", &[("id", &id), ("slot", &slot)])
        .await;
    app.post_form(
        reviewer,
        "review/record_demo",
        &[("id", &id), ("outcome", "passed")],
    )
    .await;
    let mut form = vec![("id".to_string(), id.clone())];
    form.extend(
        server::review::checklist::items()
            .iter()
            .map(|i| (format!("verdict[{}]", i.key), "pass".to_string())),
    );
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.post_form(reviewer, "review/evaluate", &pairs).await;
    (dev, id)
}

/// The listing a test submits: every field filled.
pub fn listing(id: &str, revision: &str) -> Vec<(String, String)> {
    [
        ("id", id),
        ("revision", revision),
        ("name", "Acme Claims Viewer"),
        ("short_description", "Your Medicare claims, explained."),
        (
            "long_description",
            "Acme shows enrollees every claim of the last four years in plain language.",
        ),
        ("website_url", "https://acme.example.com"),
        ("privacy_policy_url", "https://acme.example.com/privacy"),
        ("support_email", "help@acme.example.com"),
        ("support_url", ""),
        ("categories[costs_and_claims]", "on"),
        ("categories[personal_health_record]", "on"),
        ("platforms[web]", "on"),
        ("intent", "submit"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Posts `form` (owned pairs) to a server function.
pub async fn post_owned(
    app: &TestApp,
    client: &reqwest::Client,
    function: &str,
    form: &[(String, String)],
) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.post_form(client, function, &pairs).await
}

/// An approved application whose listing is submitted, passed part by part
/// and approved by `reviewer`; returns the developer's client and the id.
pub async fn listed(app: &TestApp, reviewer: &reqwest::Client) -> (reqwest::Client, String) {
    let (dev, id) = approved(app, reviewer, "dev@acme.example.com", "Acme Sandbox").await;
    let res = post_owned(app, &dev, "production/save_listing", &listing(&id, "0")).await;
    assert_eq!(location(&res), format!("/access/{id}?listing_submitted=1"));
    let mut checks = vec![("id".to_string(), id.clone())];
    for (key, _) in server::production::listing::REVIEW_ITEMS {
        checks.push((format!("verdict[{key}]"), "pass".into()));
    }
    let res = post_owned(app, reviewer, "production/evaluate_listing", &checks).await;
    assert_eq!(
        location(&res),
        format!("/review/{id}?listing_saved=1#listing"),
        "{}",
        res.text().await.unwrap()
    );
    let res = app
        .post_form(reviewer, "production/approve_listing", &[("id", &id)])
        .await;
    assert_eq!(
        location(&res),
        format!("/review/{id}?listing_approved=1#listing")
    );
    (dev, id)
}

/// The text of `<code id="{id}">…</code>` on a page (credentials as shown).
pub fn code_text(html: &str, id: &str) -> String {
    let open = format!("<code id=\"{id}\">");
    let start = html
        .find(&open)
        .unwrap_or_else(|| panic!("no {id} on the page: {html}"))
        + open.len();
    html[start..start + html[start..].find('<').unwrap()].to_string()
}

/// A production app in service, from its developer's side.
pub struct LiveApp {
    pub developer: reqwest::Client,
    /// The production-access application's id (also the directory id).
    pub request_id: String,
    pub client_id: String,
    pub client_secret: String,
}

/// A live production app: approval, listing, and the credential handoff to
/// the point of contact.
pub async fn live_production_app(app: &TestApp, reviewer: &reqwest::Client) -> LiveApp {
    let (developer, request_id) = listed(app, reviewer).await;
    app.post_form(reviewer, "production/start_handoff", &[("id", &request_id)])
        .await;
    let mail = app
        .smtp
        .wait_for("privacy@acme.example.com", "Your production credentials")
        .await;
    let link = mail.link_containing("/handoff/").unwrap();
    let token = &link[link.find("/handoff/").unwrap() + 9..];
    let poc = account(app, "privacy@acme.example.com", Role::Developer).await;
    let res = app
        .post_form(&poc, "production/reveal", &[("token", token)])
        .await;
    let shown = page(app, &poc, &location(&res)).await;
    LiveApp {
        developer,
        request_id,
        client_id: code_text(&shown, "client-id"),
        client_secret: code_text(&shown, "client-secret"),
    }
}

/// Publishes a slot `hours` from the app's now; returns its id.
pub async fn publish_slot(app: &TestApp, reviewer: &reqwest::Client, hours: i64) -> String {
    use server::sea_orm::EntityTrait;
    let starts = (app.state.clock.now() + chrono::Duration::hours(hours))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let res = app
        .post_form(
            reviewer,
            "review/publish_slot",
            &[
                ("starts_at", &starts),
                ("meeting_link", "https://meet.example.gov/rae"),
                ("tz_offset_minutes", "0"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/review/slots?published=1");
    let slots = server::entities::demo_slot::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    slots
        .into_iter()
        .find(|s| s.starts_at.format("%Y-%m-%dT%H:%M").to_string() == starts)
        .expect("the published slot")
        .id
        .to_string()
}

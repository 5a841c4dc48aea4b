//! The production-access application end to end over HTTP: sections saved as
//! drafts, PDF uploads checked by content, submission as one immutable
//! version with a PDF summary mailed to the contacts, and no access for anyone
//! but the applicant and reviewers.
use mail_parser::MimeHeaders;
use portal_tests::{access::*, db_tests, location, Backend, TestApp};
use server::{
    entities::{access_document, access_request, access_request_version, audit_event},
    ids::Role,
    sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter},
};

async fn an_applicant_fills_every_section_uploads_policies_and_submits(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    account(&app, "reviewer@cms.example.gov", Role::Reviewer).await;
    let dev = account(&app, "dev@acme.example.com", Role::Developer).await;
    let id = start_application(&app, &dev, "Acme Claims Viewer").await;

    // Prefilled from the sandbox app and the account: the https redirect URI only.
    let section = page(&app, &dev, &format!("/access/{id}/application")).await;
    assert!(section.contains("https://app.example.com/callback"));
    assert!(!section.contains("http://localhost:8080/callback"));

    // Submitting early lists what is missing instead of submitting.
    let res = submit(&app, &dev, &id, "0").await;
    let body = res.text().await.unwrap();
    assert!(body.contains("not complete"), "{body}");
    assert!(
        body.contains("Upload your privacy policy as a PDF"),
        "{body}"
    );

    let policy = complete(&app, &dev, &id).await;

    // The analysis is on the page before submitting.
    let policies_page = page(&app, &dev, &format!("/access/{id}/policies")).await;
    assert!(policies_page.contains("Flesch reading ease"));
    assert!(policies_page.contains("privacy.pdf"));
    assert!(
        policies_page.contains("Likely covered: "),
        "checklist hints shown"
    );
    assert!(policies_page.contains("If you revoke access, we delete your data within 30 days."));
    assert!(policies_page.contains("Not found: check that the policy covers this."));

    let review = page(&app, &dev, &format!("/access/{id}/review")).await;
    assert!(
        !review.contains("to finish before you can submit"),
        "complete application: {review}"
    );
    assert!(review.contains("Acme Health, Inc."));

    let res = submit(&app, &dev, &id, "0").await;
    assert_eq!(location(&res), format!("/access/{id}?submitted=1"));

    let overview = page(&app, &dev, &format!("/access/{id}")).await;
    assert!(
        overview.contains("<dd id=\"access-state\">Submitted</dd>"),
        "{overview}"
    );
    assert!(overview.contains("the Blue Button 2.0 API team"));
    assert!(overview.contains("Application submitted (version 1)."));

    // Contacts get the confirmation with the summary PDF, which reads back.
    let mail = app
        .smtp
        .wait_for(
            "privacy@acme.example.com",
            "Production access application received",
        )
        .await;
    assert!(
        mail.to.iter().any(|t| t == "cto@acme.example.com"),
        "{:?}",
        mail.to
    );
    let parsed = mail.parsed();
    let attachment = parsed.attachments().next().expect("a PDF attachment");
    assert_eq!(
        attachment.attachment_name(),
        Some("production-access-application-v1.pdf")
    );
    let text = portal_tests::pdf_text(attachment.contents());
    for expected in [
        "Acme Health, Inc.",
        "Chief Privacy Officer",
        "AWS GovCloud (US-East)",
        "com.example.acme:/callback",
        "privacy.pdf",
        "Section 11",
        "Pat Applicant, Chief Privacy Officer, attested",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} in the summary PDF:\n{text}"
        );
    }
    let policy_sha = hex_sha256(&policy);
    assert!(
        text.contains(&policy_sha),
        "the document's SHA-256 is in the record"
    );

    // Reviewers are told.
    let to_reviewers = app
        .smtp
        .wait_for("reviewer@cms.example.gov", "Application to review")
        .await;
    assert!(to_reviewers.text().contains(&format!("/review/{id}")));

    // Submitted means frozen: no more edits or uploads.
    let rev = revision(&app, &dev, &id, "organization").await;
    let res = save(&app, &dev, &id, "organization", &rev, &organization()).await;
    assert!(res.text().await.unwrap().contains("cannot be changed now"));
    let res = upload(
        &app,
        &dev,
        &id,
        "privacy_policy",
        "p.pdf",
        policy_pdf(),
        true,
    )
    .await;
    assert_eq!(res.status(), 422);

    let audited = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("access_request.submitted"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(audited, 1);
    app.stop().await;
}

async fn uploads_are_checked_by_content_and_failures_leave_nothing_behind(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dev = account(&app, "dev@acme.example.com", Role::Developer).await;
    let id = start_application(&app, &dev, "Acme Claims Viewer").await;

    let executable = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".repeat(100);
    let res = upload(
        &app,
        &dev,
        &id,
        "privacy_policy",
        "policy.pdf",
        executable,
        false,
    )
    .await;
    assert_eq!(
        location(&res),
        format!("/access/{id}/policies?upload_error=not_pdf&kind=privacy_policy#documents")
    );
    let shown = page(&app, &dev, &location(&res)).await;
    assert!(shown.contains("The file is not a PDF, whatever its name says."));

    let res = upload(&app, &dev, &id, "privacy_policy", "empty.pdf", vec![], true).await;
    assert_eq!(res.status(), 422);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "empty");

    let mut oversized = policy_pdf();
    oversized.resize(10 * 1024 * 1024 + 1, b' ');
    let res = upload(
        &app,
        &dev,
        &id,
        "privacy_policy",
        "big.pdf",
        oversized,
        true,
    )
    .await;
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "too_large", "{body}");

    let whole = policy_pdf();
    let res = upload(
        &app,
        &dev,
        &id,
        "privacy_policy",
        "cut.pdf",
        whole[..whole.len() / 3].to_vec(),
        true,
    )
    .await;
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "corrupt", "{body}");

    // A connection that breaks halfway through the upload.
    interrupted_upload(&app, "dev@acme.example.com", &id).await;

    let documents = access_document::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(documents, 0, "no refused or broken upload is recorded");
    assert!(
        app.state.blobs.files().is_empty(),
        "and no file is left in the store: {:?}",
        app.state.blobs.files()
    );
    app.stop().await;
}

/// Sends the headers and half of a multipart body, then drops the connection.
async fn interrupted_upload(app: &TestApp, email: &str, id: &str) {
    use tokio::io::AsyncWriteExt;
    let cookie = session_cookie(app, email).await;
    let body_start = "--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7\n";
    let addr = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /access/{id}/documents/privacy_policy HTTP/1.1\r\nHost: {addr}\r\nOrigin: {}\r\nCookie: {cookie}\r\nContent-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: 500000\r\n\r\n{body_start}",
        app.base
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&[b'x'; 20_000]).await.unwrap();
    stream.flush().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    drop(stream);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
}

/// A fresh session for `email`, as a raw `Cookie` header value.
async fn session_cookie(app: &TestApp, email: &str) -> String {
    let fresh = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = fresh
        .post(app.url("/api/log_in"))
        .header("Origin", &app.base)
        .header("Accept", "application/json")
        .form(&[("email", email), ("password", PASSWORD), ("next", "")])
        .send()
        .await
        .unwrap();
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("bb_session="))
        .map(|v| v.split(';').next().unwrap().to_string())
        .expect("a session cookie")
}

async fn only_the_applicant_and_reviewers_can_see_the_application_and_its_files(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dev = account(&app, "dev@acme.example.com", Role::Developer).await;
    let other = account(&app, "eve@other.example.com", Role::Developer).await;
    let reviewer = account(&app, "reviewer@cms.example.gov", Role::Reviewer).await;
    let id = start_application(&app, &dev, "Acme Claims Viewer").await;
    let policy = policy_pdf();
    let res = upload(
        &app,
        &dev,
        &id,
        "privacy_policy",
        "privacy.pdf",
        policy.clone(),
        true,
    )
    .await;
    let body: serde_json::Value = res.json().await.unwrap();
    let doc = body["document"]["id"].as_str().unwrap().to_string();

    let download = |client: reqwest::Client| {
        let url = app.url(&format!("/access/documents/{doc}"));
        async move { client.get(url).send().await.unwrap() }
    };
    let mine = download(dev.clone()).await;
    assert_eq!(mine.status(), 200);
    portal_tests::assert_sandboxed_pdf(&mine);
    assert!(
        mine.bytes().await.unwrap().to_vec() == policy,
        "the file comes back byte for byte"
    );
    assert_eq!(download(reviewer.clone()).await.status(), 200);
    assert_eq!(download(other.clone()).await.status(), 404);
    assert_eq!(
        download(app.client()).await.status(),
        303,
        "anonymous visitors are sent to sign in"
    );
    // Who read the file is on the record; refusals read nothing.
    let downloads = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("access_request.document_downloaded"))
        .filter(audit_event::Column::TargetId.eq(id.clone()))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(downloads.len(), 2, "{downloads:?}");
    assert!(downloads
        .iter()
        .any(|d| d.actor_role.as_deref() == Some("developer")));
    assert!(downloads
        .iter()
        .any(|d| d.actor_role.as_deref() == Some("reviewer")));
    assert!(downloads
        .iter()
        .all(|d| d.after.as_deref().is_some_and(|a| a.contains(&doc))));

    let overview = page(&app, &other, &format!("/access/{id}")).await;
    assert!(overview.contains("We could not find that application"));
    assert!(!overview.contains("Acme Claims Viewer"));
    let res = app.post_form(&other, "access/get", &[("id", &id)]).await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("We could not find that application"));

    let res = save(
        &app,
        &other,
        &id,
        "organization",
        "1",
        &[("legal_name", "Eve Corp")],
    )
    .await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("We could not find that application"));
    let res = upload(
        &app,
        &other,
        &id,
        "privacy_policy",
        "x.pdf",
        policy_pdf(),
        true,
    )
    .await;
    assert_eq!(res.status(), 404);
    let res = submit(&app, &other, &id, "0").await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("We could not find that application"));

    let organization = page(&app, &dev, &format!("/access/{id}/organization")).await;
    assert!(
        !organization.contains("Eve Corp"),
        "the other developer changed nothing"
    );
    assert_eq!(
        access_document::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        1
    );
    app.stop().await;
}

async fn two_tabs_never_silently_overwrite_each_other(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dev = account(&app, "dev@acme.example.com", Role::Developer).await;
    let id = start_application(&app, &dev, "Acme Claims Viewer").await;
    // Both tabs open the section at the same revision.
    let rev = revision(&app, &dev, &id, "data_protection").await;
    assert_eq!(rev, "0", "never saved yet");
    let first = save(
        &app,
        &dev,
        &id,
        "data_protection",
        &rev,
        &[("hosting", "Tab one hosting")],
    )
    .await;
    assert!(location(&first).contains("saved=data_protection"));
    let second = save(
        &app,
        &dev,
        &id,
        "data_protection",
        &rev,
        &[("hosting", "Tab two hosting")],
    )
    .await;
    let body = second.text().await.unwrap();
    assert!(body.contains("saved in another tab or window"), "{body}");
    assert!(
        body.contains("Tab two hosting"),
        "the refused answers come back to the form"
    );
    let html = page(&app, &dev, &format!("/access/{id}/data_protection")).await;
    assert!(html.contains("Tab one hosting"));

    // Bad formats are refused with field messages and nothing is saved.
    let rev = revision(&app, &dev, &id, "organization").await;
    let res = save(
        &app,
        &dev,
        &id,
        "organization",
        &rev,
        &[("legal_name", "Acme"), ("contact_email", "nope")],
    )
    .await;
    let body = res.text().await.unwrap();
    assert!(body.contains("Enter an email address"), "{body}");
    assert_eq!(revision(&app, &dev, &id, "organization").await, rev);
    app.stop().await;
}

async fn a_double_submit_creates_one_version(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dev = account(&app, "dev@acme.example.com", Role::Developer).await;
    let id = start_application(&app, &dev, "Acme Claims Viewer").await;
    complete(&app, &dev, &id).await;
    let (a, b) = tokio::join!(submit(&app, &dev, &id, "0"), submit(&app, &dev, &id, "0"));
    for res in [a, b] {
        assert_eq!(
            location(&res),
            format!("/access/{id}?submitted=1"),
            "both clicks land on the application"
        );
    }
    let versions = access_request_version::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(versions, 1);
    let confirmations = app
        .smtp
        .wait_for(
            "privacy@acme.example.com",
            "Production access application received",
        )
        .await;
    assert!(confirmations.subject().contains("version 1"));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let sent = app
        .smtp
        .messages()
        .await
        .into_iter()
        .filter(|m| {
            m.subject()
                .starts_with("Production access application received")
        })
        .count();
    assert_eq!(sent, 1, "one confirmation");
    app.stop().await;
}

async fn an_organization_outside_the_united_states_cannot_submit(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dev = account(&app, "dev@acme.example.com", Role::Developer).await;
    let id = start_application(&app, &dev, "Acme Claims Viewer").await;
    complete(&app, &dev, &id).await;
    let rev = revision(&app, &dev, &id, "organization").await;
    let mut answers = organization();
    answers[1] = ("us_based", "no");
    save(&app, &dev, &id, "organization", &rev, &answers).await;
    let review = page(&app, &dev, &format!("/access/{id}/review")).await;
    assert!(review.contains("open only to organizations based in the United States"));
    let res = submit(&app, &dev, &id, "0").await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("based in the United States"));
    assert_eq!(
        access_request_version::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );
    app.stop().await;
}

async fn a_resubmission_is_a_new_version_and_shows_what_changed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dev = account(&app, "dev@acme.example.com", Role::Developer).await;
    let id = start_application(&app, &dev, "Acme Claims Viewer").await;
    complete(&app, &dev, &id).await;
    let res = submit(&app, &dev, &id, "0").await;
    assert_eq!(location(&res), format!("/access/{id}?submitted=1"));

    // A reviewer asks for changes (the reviewer's side arrives with the review
    // queue; here the state is set as that action will set it).
    access_request::Entity::update_many()
        .col_expr(
            access_request::Column::State,
            Expr::value("changes_requested"),
        )
        .filter(access_request::Column::Id.eq(uuid::Uuid::parse_str(&id).unwrap()))
        .exec(&app.state.db)
        .await
        .unwrap();

    let rev = revision(&app, &dev, &id, "organization").await;
    let mut answers = organization();
    answers[0] = ("legal_name", "Acme Health Holdings, Inc.");
    let res = save(&app, &dev, &id, "organization", &rev, &answers).await;
    assert!(location(&res).contains("saved=organization"));
    let new_policy = server::pdf::TextDocument::new("Acme privacy policy, revised")
        .paragraphs(POLICY_TEXT.iter().copied())
        .paragraph("We never sell your data, and if the company is sold we tell you first.")
        .render();
    let res = upload(
        &app,
        &dev,
        &id,
        "privacy_policy",
        "privacy-v2.pdf",
        new_policy,
        true,
    )
    .await;
    assert_eq!(res.status(), 200);

    // The first version's number no longer submits; the next one does.
    let res = submit(&app, &dev, &id, "1").await;
    assert_eq!(location(&res), format!("/access/{id}?submitted=1"));
    assert_eq!(
        access_request_version::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        2
    );

    let overview = page(&app, &dev, &format!("/access/{id}")).await;
    assert!(
        overview.contains("What changed in the latest version"),
        "{overview}"
    );
    assert!(overview.contains("<del>Acme Health, Inc.</del>"));
    assert!(overview.contains("<ins>Acme Health Holdings, Inc.</ins>"));
    assert!(overview.contains("privacy-v2.pdf"));
    assert!(overview.contains("Changes submitted (version 2)."));
    assert!(
        !overview.contains("Contact: point of contact"),
        "unchanged answers are not listed"
    );
    app.smtp
        .wait_for("privacy@acme.example.com", "(version 2)")
        .await;

    // The submitted record keeps its sandbox app.
    let app_id = access_request::Entity::find_by_id(uuid::Uuid::parse_str(&id).unwrap())
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .application_id
        .to_string();
    let res = app
        .post_form(&dev, "apps/delete", &[("id", &app_id), ("confirm", "yes")])
        .await;
    assert!(res.text().await.unwrap().contains("cannot be deleted"));
    app.stop().await;
}

async fn deleting_a_sandbox_app_takes_its_unsubmitted_draft_with_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dev = account(&app, "dev@acme.example.com", Role::Developer).await;
    let id = start_application(&app, &dev, "Acme Claims Viewer").await;
    let res = upload(
        &app,
        &dev,
        &id,
        "privacy_policy",
        "privacy.pdf",
        policy_pdf(),
        true,
    )
    .await;
    assert_eq!(res.status(), 200);
    let app_id = access_request::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .application_id;
    let res = app
        .post_form(
            &dev,
            "apps/delete",
            &[("id", &app_id.to_string()), ("confirm", "yes")],
        )
        .await;
    assert_eq!(location(&res), "/apps?deleted=1");
    assert_eq!(
        access_request::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        access_document::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );
    let gone = page(&app, &dev, &format!("/access/{id}")).await;
    assert!(gone.contains("We could not find that application"));
    app.stop().await;
}

/// s3rver (npm): an S3-compatible server. It checks the access key but not
/// the Version 4 signature itself, which the AWS documentation's example
/// proves instead (server/src/blobs/s3.rs).
struct S3rver {
    process: tokio::process::Child,
    dir: tempfile::TempDir,
    endpoint: String,
}

impl S3rver {
    async fn start(bucket: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let process = tokio::process::Command::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/node_modules/.bin/s3rver"
        ))
        .args([
            "-d",
            &dir.path().display().to_string(),
            "-a",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "--silent",
            "--configure-bucket",
            bucket,
        ])
        .kill_on_drop(true)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("s3rver (npm; ./scripts/test.sh installs it)");
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        Self {
            process,
            dir,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }

    fn stored_files(&self) -> Vec<String> {
        fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                if entry.path().is_dir() {
                    walk(&entry.path(), out);
                } else {
                    out.push(entry.path().display().to_string());
                }
            }
        }
        let mut out = vec![];
        walk(self.dir.path(), &mut out);
        out
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_go_to_an_s3_compatible_bucket_when_one_is_configured() {
    let mut s3 = S3rver::start("policies").await;
    let settings = |key_id: &str| portal_tests::TestOptions {
        settings: vec![
            ("S3_BUCKET", "policies".to_string()),
            ("S3_ENDPOINT", s3.endpoint.clone()),
            ("S3_ACCESS_KEY_ID", key_id.to_string()),
            ("S3_SECRET_ACCESS_KEY", "S3RVER".to_string()),
        ],
        ..Default::default()
    };
    let app = TestApp::spawn_with(Backend::Sqlite, settings("S3RVER")).await;
    let dev = account(&app, "dev@acme.example.com", Role::Developer).await;
    let id = start_application(&app, &dev, "Acme Claims Viewer").await;
    let policy = policy_pdf();
    let res = upload(
        &app,
        &dev,
        &id,
        "privacy_policy",
        "privacy.pdf",
        policy.clone(),
        true,
    )
    .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let body: serde_json::Value = res.json().await.unwrap();
    let sha = hex_sha256(&policy);
    assert_eq!(body["document"]["sha256"], sha.as_str());
    assert!(
        s3.stored_files().iter().any(|f| f.contains(&sha)),
        "the bucket holds the file under its SHA-256: {:?}",
        s3.stored_files()
    );
    let doc = body["document"]["id"].as_str().unwrap();
    let back = dev
        .get(app.url(&format!("/access/documents/{doc}")))
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), 200);
    assert!(
        back.bytes().await.unwrap().to_vec() == policy,
        "read back from the bucket byte for byte"
    );
    // What a failed upload leaves in the bucket is collected a day later;
    // the recorded file stays.
    let (db, blobs) = (&app.state.db, &app.state.blobs);
    let orphan = blobs
        .put(db, b"%PDF-1.7 never recorded", app.state.clock.now())
        .await
        .unwrap();
    assert!(s3.stored_files().iter().any(|f| f.contains(&orphan)));
    app.state.clock.advance(chrono::Duration::hours(25));
    let pruned = app.run_retention(app.state.clock.now()).await;
    assert_eq!(pruned.blob_files, 1);
    let left = s3.stored_files();
    assert!(
        !left.iter().any(|f| f.contains(&orphan)) && left.iter().any(|f| f.contains(&sha)),
        "{left:?}"
    );
    app.stop().await;

    // With credentials the bucket refuses, the upload fails with a message
    // and nothing is recorded.
    let app = TestApp::spawn_with(Backend::Sqlite, settings("NOT-A-KEY")).await;
    let dev = account(&app, "dev@acme.example.com", Role::Developer).await;
    let id = start_application(&app, &dev, "Acme Claims Viewer").await;
    let res = upload(
        &app,
        &dev,
        &id,
        "privacy_policy",
        "privacy.pdf",
        policy_pdf(),
        true,
    )
    .await;
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "server", "{body}");
    assert!(body["error"].as_str().unwrap().contains("not saved"));
    assert_eq!(
        access_document::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );
    app.stop().await;
    s3.process.kill().await.ok();
}

db_tests!(
    deleting_a_sandbox_app_takes_its_unsubmitted_draft_with_it,
    a_resubmission_is_a_new_version_and_shows_what_changed,
    an_applicant_fills_every_section_uploads_policies_and_submits,
    uploads_are_checked_by_content_and_failures_leave_nothing_behind,
    only_the_applicant_and_reviewers_can_see_the_application_and_its_files,
    two_tabs_never_silently_overwrite_each_other,
    a_double_submit_creates_one_version,
    an_organization_outside_the_united_states_cannot_submit,
);

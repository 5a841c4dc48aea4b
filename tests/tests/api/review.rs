//! The reviewers' side over HTTP: only reviewers reach the queue, the
//! first-response clock, assignment, checklist verdicts, requests for changes
//! that the applicant sees item by item, and messages where internal notes
//! never reach the applicant (page or email).
use portal_tests::{access::*, db_tests, location, Backend, TestApp};
use server::ids::Role;

/// A submitted application; returns (applicant client, application id).
async fn submitted(app: &TestApp) -> (reqwest::Client, String) {
    let dev = account(app, "dev@acme.example.com", Role::Developer).await;
    let id = start_application(app, &dev, "Acme Claims Viewer").await;
    complete(app, &dev, &id).await;
    let res = submit(app, &dev, &id, "0").await;
    assert_eq!(location(&res), format!("/access/{id}?submitted=1"));
    (dev, id)
}

async fn developers_cannot_reach_the_queue_or_any_reviewer_function(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (dev, id) = submitted(&app).await;
    let res = dev.get(app.url("/review")).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(!res.text().await.unwrap().contains("Acme Claims Viewer"));
    assert_eq!(
        dev.get(app.url(&format!("/review/{id}")))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    for (function, form) in [
        ("review/queue", vec![]),
        ("review/detail", vec![("id", id.as_str())]),
        ("review/assign", vec![("id", id.as_str())]),
        (
            "review/evaluate",
            vec![("id", id.as_str()), ("verdict[us_based]", "pass")],
        ),
        ("review/request_changes", vec![("id", id.as_str())]),
    ] {
        let res = app.post_form(&dev, function, &form).await;
        let body = res.text().await.unwrap();
        assert!(body.contains("Forbidden"), "{function}: {body}");
    }
    // Nor may an applicant write an internal note.
    let res = app
        .post_form(
            &dev,
            "review/comment",
            &[("id", &id), ("body", "psst"), ("internal", "yes")],
        )
        .await;
    assert!(res.text().await.unwrap().contains("Forbidden"));
    app.stop().await;
}

async fn a_reviewer_evaluates_requests_changes_and_sees_the_resubmission(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let reviewer = account(&app, "rae@cms.example.gov", Role::Reviewer).await;
    let (dev, id) = submitted(&app).await;

    // The queue shows the application with its first-response clock.
    let queue = page(&app, &reviewer, "/review").await;
    assert!(queue.contains("Acme Claims Viewer"), "{queue}");
    assert!(queue.contains("Acme Health, Inc."));
    assert!(queue.contains("Assign to me"));
    let detail = page(&app, &reviewer, &format!("/review/{id}")).await;
    assert!(detail.contains("First response due"), "{detail}");
    assert!(detail.contains("of business time left"));

    // Evaluating needs the application assigned (in review).
    let res = app
        .post_form(
            &reviewer,
            "review/evaluate",
            &[("id", &id), ("verdict[us_based]", "pass")],
        )
        .await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("not possible while the application is submitted"));

    let res = app
        .post_form(&reviewer, "review/assign", &[("id", &id)])
        .await;
    assert_eq!(location(&res), format!("/review/{id}?assigned=1"));
    let mail = app
        .smtp
        .wait_for("privacy@acme.example.com", "A reviewer started reviewing")
        .await;
    assert!(mail.text().contains("Acme Claims Viewer"));
    let detail = page(&app, &reviewer, &format!("/review/{id}")).await;
    assert!(detail.contains("<dd id=\"review-state\">In review</dd>"));
    assert!(detail.contains("First response given"));

    // Requesting changes needs an item marked "needs change", and that needs a comment.
    let res = app
        .post_form(&reviewer, "review/request_changes", &[("id", &id)])
        .await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Mark at least one checklist item"));
    let res = app
        .post_form(
            &reviewer,
            "review/evaluate",
            &[
                ("id", &id),
                ("verdict[pp_breach]", "needs_change"),
                ("comment[pp_breach]", ""),
            ],
        )
        .await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Say what needs to change"));
    let res = app
        .post_form(
            &reviewer,
            "review/evaluate",
            &[
                ("id", &id),
                ("verdict[us_based]", "pass"),
                ("verdict[pp_breach]", "needs_change"),
                (
                    "comment[pp_breach]",
                    "Say how enrollees are told of a breach and by when.",
                ),
                ("verdict[pp_sale]", "not_applicable"),
            ],
        )
        .await;
    assert_eq!(location(&res), format!("/review/{id}?saved=1#checklist"));
    let detail = page(&app, &reviewer, &format!("/review/{id}")).await;
    assert!(
        detail.contains("3 of 18 items evaluated; 1 need(s) change."),
        "{detail}"
    );

    let res = app
        .post_form(&reviewer, "review/request_changes", &[("id", &id)])
        .await;
    assert_eq!(location(&res), format!("/review/{id}?changes_requested=1"));
    let mail = app
        .smtp
        .wait_for("privacy@acme.example.com", "Changes requested")
        .await;
    assert!(mail
        .text()
        .contains("Say how enrollees are told of a breach and by when."));

    // The applicant sees exactly the items that need change, with the comments.
    let overview = page(&app, &dev, &format!("/access/{id}")).await;
    assert!(overview.contains("<dd id=\"access-state\">Changes requested</dd>"));
    assert!(overview.contains("Changes your reviewer asked for"));
    assert!(overview.contains("Say how enrollees are told of a breach and by when."));
    assert!(
        !overview.contains("The organization is a company based in the United States"),
        "passed items are not listed"
    );

    // The applicant changes an answer and resubmits; the reviewer sees the diff.
    let rev = revision(&app, &dev, &id, "organization").await;
    let mut answers = organization();
    answers[0] = ("legal_name", "Acme Health Holdings, Inc.");
    save(&app, &dev, &id, "organization", &rev, &answers).await;
    let res = submit(&app, &dev, &id, "1").await;
    assert_eq!(location(&res), format!("/access/{id}?submitted=1"));
    let detail = page(&app, &reviewer, &format!("/review/{id}")).await;
    assert!(
        detail.contains("<dd id=\"review-state\">Submitted</dd>"),
        "back with the reviewer"
    );
    assert!(detail.contains("<del>Acme Health, Inc.</del>"));
    assert!(detail.contains("<ins>Acme Health Holdings, Inc.</ins>"));
    assert!(
        detail.contains("First response due"),
        "the clock runs again"
    );
    let res = app
        .post_form(&reviewer, "review/assign", &[("id", &id)])
        .await;
    assert_eq!(location(&res), format!("/review/{id}?assigned=1"));
    let detail = page(&app, &reviewer, &format!("/review/{id}")).await;
    assert!(
        detail.contains("<dd id=\"review-state\">In review</dd>"),
        "the assignee starts the review again"
    );
    app.stop().await;
}

async fn internal_notes_never_reach_the_applicant(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let reviewer = account(&app, "rae@cms.example.gov", Role::Reviewer).await;
    let (dev, id) = submitted(&app).await;
    app.post_form(&reviewer, "review/assign", &[("id", &id)])
        .await;

    let res = app
        .post_form(
            &reviewer,
            "review/comment",
            &[
                ("id", &id),
                ("body", "INTERNAL: check their SOC 2 report"),
                ("internal", "yes"),
            ],
        )
        .await;
    assert_eq!(location(&res), format!("/review/{id}?sent=1#messages"));
    let res = app
        .post_form(
            &reviewer,
            "review/comment",
            &[("id", &id), ("body", "Could you send the SOC 2 summary?")],
        )
        .await;
    assert_eq!(location(&res), format!("/review/{id}?sent=1#messages"));
    let to_applicant = app
        .smtp
        .wait_for("privacy@acme.example.com", "A message from your reviewer")
        .await;
    assert!(to_applicant
        .text()
        .contains("Could you send the SOC 2 summary?"));

    // The applicant replies; the assigned reviewer is emailed.
    let res = app
        .post_form(
            &dev,
            "review/comment",
            &[("id", &id), ("body", "Attached to our portal profile.")],
        )
        .await;
    assert_eq!(location(&res), format!("/access/{id}?sent=1#messages"));
    let to_reviewer = app
        .smtp
        .wait_for("rae@cms.example.gov", "The applicant replied")
        .await;
    assert!(to_reviewer
        .text()
        .contains("Attached to our portal profile."));

    let reviewer_page = page(&app, &reviewer, &format!("/review/{id}")).await;
    assert!(reviewer_page.contains("INTERNAL: check their SOC 2 report"));
    assert!(reviewer_page.contains("(internal note)"));
    let applicant_page = page(&app, &dev, &format!("/access/{id}")).await;
    assert!(applicant_page.contains("Could you send the SOC 2 summary?"));
    assert!(
        applicant_page.contains("Blue Button 2.0 API team"),
        "reviewers are not named to applicants"
    );
    assert!(
        !applicant_page.contains("INTERNAL"),
        "the note is not on the applicant's page"
    );
    let feedback = app
        .post_form(&dev, "review/feedback", &[("id", &id)])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !feedback.contains("INTERNAL"),
        "nor in what the server function returns"
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    for message in app.smtp.messages().await {
        if message.to.iter().any(|t| t.contains("acme.example.com")) {
            assert!(
                !String::from_utf8_lossy(&message.data).contains("INTERNAL"),
                "nor in any email to the applicant"
            );
        }
    }
    app.stop().await;
}

async fn the_queue_filters_searches_and_sorts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let reviewer = account(&app, "rae@cms.example.gov", Role::Reviewer).await;
    let (_, first) = submitted(&app).await;
    let other = account(&app, "dev@beta.example.com", Role::Developer).await;
    let second = start_application(&app, &other, "Beta Health Notes").await;
    complete(&app, &other, &second).await;
    submit(&app, &other, &second, "0").await;
    app.post_form(&reviewer, "review/assign", &[("id", &first)])
        .await;

    let mine = page(&app, &reviewer, "/review?assignee=me").await;
    assert!(mine.contains("Acme Claims Viewer") && !mine.contains("Beta Health Notes"));
    let unassigned = page(&app, &reviewer, "/review?assignee=unassigned").await;
    assert!(!unassigned.contains("Acme Claims Viewer") && unassigned.contains("Beta Health Notes"));
    let search = page(&app, &reviewer, "/review?q=beta").await;
    assert!(search.contains("Beta Health Notes") && !search.contains("Acme Claims Viewer"));
    let in_review = page(&app, &reviewer, "/review?state=in_review").await;
    assert!(in_review.contains("Acme Claims Viewer") && !in_review.contains("Beta Health Notes"));
    let by_name = page(&app, &reviewer, "/review?sort=app").await;
    assert!(
        by_name.find("Acme Claims Viewer").unwrap() < by_name.find("Beta Health Notes").unwrap()
    );

    // Ten days later the unanswered one is overdue (24 business hours span
    // at most a week, even around the winter holidays). Sessions have expired
    // by then, so the reviewer signs in again.
    app.state.clock.advance(chrono::Duration::days(10));
    let reviewer = sign_in(&app, "rae@cms.example.gov").await;
    let overdue = page(&app, &reviewer, "/review?overdue=1").await;
    assert!(
        overdue.contains("Beta Health Notes") && !overdue.contains("Acme Claims Viewer"),
        "{overdue}"
    );
    assert!(overdue.contains("Overdue: was due"));
    assert!(
        overdue.contains("<td>10 days</td>"),
        "the age of each application is shown"
    );
    app.stop().await;
}

async fn request_row(app: &TestApp, id: &str) -> server::entities::access_request::Model {
    use server::sea_orm::EntityTrait;
    server::entities::access_request::Entity::find_by_id(id.parse::<uuid::Uuid>().unwrap())
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
}

async fn account_id(app: &TestApp, email: &str) -> String {
    use server::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    server::entities::account::Entity::find()
        .filter(server::entities::account::Column::Email.eq(email))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string()
}

async fn no_one_acts_on_an_application_from_their_own_organization_and_an_admin_assigns_it(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let (_dev, id) = submitted(&app).await;
    server::accounts::create_verified_account(
        &app.state.db,
        server::accounts::NewStaffAccount {
            email: "connie@acme.example.com".into(),
            name: "Connie Conflicted".into(),
            // The applicant's organization, typed differently.
            organization: "ACME Health".into(),
            role: Role::Reviewer,
        },
        PASSWORD,
        app.state.clock.now(),
    )
    .await
    .unwrap();
    let connie = sign_in(&app, "connie@acme.example.com").await;
    let rae = account(&app, "rae@cms.example.gov", Role::Reviewer).await;
    let ada = account(&app, "ada@cms.example.gov", Role::Admin).await;

    // She may look, and is told why she cannot act.
    let html = page(&app, &connie, &format!("/review/{id}")).await;
    assert!(html.contains("Conflict of interest"), "{html}");
    assert!(html.contains("comes from your own organization (Acme Health)"));
    assert!(!html.contains("Assign to me"));
    // Every action on the application is refused on the server, whatever its state.
    let refused = [
        ("review/assign", vec![]),
        ("review/evaluate", vec![("verdict[privacy_policy]", "pass")]),
        ("review/request_changes", vec![]),
        ("review/invite", vec![]),
        ("review/record_demo", vec![("outcome", "passed")]),
        (
            "review/approve",
            vec![("data_access_type", "thirteen_month")],
        ),
        ("review/deny", vec![("reason", "No."), ("confirm", "yes")]),
        (
            "production/evaluate_listing",
            vec![("verdict[name]", "pass")],
        ),
        ("production/request_listing_changes", vec![]),
        ("production/approve_listing", vec![]),
        ("production/start_handoff", vec![]),
        ("production/reissue_handoff", vec![("confirm", "yes")]),
    ];
    for (function, extra) in refused {
        let mut form = vec![("id", id.as_str())];
        form.extend(extra);
        let body = app
            .post_form(&connie, function, &form)
            .await
            .text()
            .await
            .unwrap();
        assert!(
            body.contains("comes from your own organization"),
            "{function}: {body}"
        );
    }
    let request = request_row(&app, &id).await;
    assert_eq!(request.state, "submitted");
    assert_eq!(request.assignee_id, None);

    // Only an admin assigns, and only to staff without the conflict.
    for not_admin in [&connie, &rae] {
        let body = app
            .post_form(
                not_admin,
                "review/reassign",
                &[
                    ("id", &id),
                    ("assignee", &account_id(&app, "rae@cms.example.gov").await),
                ],
            )
            .await
            .text()
            .await
            .unwrap();
        assert!(body.contains("Forbidden"), "{body}");
    }
    let html = page(&app, &ada, &format!("/review/{id}")).await;
    let form = &html[html
        .find("id=\"reassign-form\"")
        .expect("the admin's assign form")..];
    let form = &form[..form.find("</form>").unwrap()];
    assert!(
        form.contains("Rae Reviewer") && !form.contains("Connie"),
        "{form}"
    );
    let connie_id = account_id(&app, "connie@acme.example.com").await;
    let body = app
        .post_form(
            &ada,
            "review/reassign",
            &[("id", &id), ("assignee", &connie_id)],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("Connie Conflicted cannot review it: the application comes from their organization (Acme Health)"),
        "{body}"
    );
    let rae_id = account_id(&app, "rae@cms.example.gov").await;
    let res = app
        .post_form(
            &ada,
            "review/reassign",
            &[("id", &id), ("assignee", &rae_id)],
        )
        .await;
    assert_eq!(location(&res), format!("/review/{id}?reassigned=1"));
    let request = request_row(&app, &id).await;
    assert_eq!(request.state, "in_review", "assigning starts the review");
    assert_eq!(
        request.assignee_id.map(|a| a.to_string()),
        Some(rae_id.clone())
    );
    let rae_page = page(&app, &rae, &format!("/review/{id}")).await;
    assert!(rae_page.contains("Rae Reviewer") && !rae_page.contains("Conflict of interest"));
    use server::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let assigned = server::entities::audit_event::Entity::find()
        .filter(server::entities::audit_event::Column::Action.eq("access_request.assigned"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(assigned.len(), 1);
    assert_eq!(
        assigned[0].actor_id.map(|a| a.to_string()),
        Some(account_id(&app, "ada@cms.example.gov").await),
        "the admin is on record"
    );
    app.stop().await;
}

db_tests!(
    developers_cannot_reach_the_queue_or_any_reviewer_function,
    a_reviewer_evaluates_requests_changes_and_sees_the_resubmission,
    internal_notes_never_reach_the_applicant,
    the_queue_filters_searches_and_sorts,
    no_one_acts_on_an_application_from_their_own_organization_and_an_admin_assigns_it,
);

/// The run command's demo data leaves one submitted application for the
/// demo reviewer to try, and seeding again adds nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_data_puts_an_application_in_the_review_queue() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for _ in 0..2 {
        server::seed_data::seed(
            &app.state.db,
            &app.state.blobs,
            &app.base,
            app.state.clock.now(),
        )
        .await
        .unwrap();
    }
    let (_, email, password) = server::seed_data::DEMO_LOGINS[1];
    let reviewer = portal_tests::access::sign_in_with(&app, email, password).await;
    let queue = page(&app, &reviewer, "/review").await;
    assert!(
        queue.contains(server::seed_data::DEMO_SUBMITTED_APP_NAME),
        "{queue}"
    );
    assert!(queue.contains("1 application(s)"), "seeded once");
    app.stop().await;
}

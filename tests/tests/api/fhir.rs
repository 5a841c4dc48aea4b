//! The FHIR API over HTTP: whose data a token reaches, paging, search
//! parameters, errors as OperationOutcome, gzip, and the access log.
use std::collections::HashSet;

use portal_tests::{
    db_tests,
    fhir::{enrollee_token, entries, get, link, token_for},
    oauth::{Answer, AppSpec},
    Backend, TestApp,
};
use server::{
    entities::api_access,
    sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter},
    synthetic::{self, claims::claim_count},
};

/// The first enrollee with at least `n` claims.
fn enrollee_with_claims(n: usize) -> u32 {
    (3..synthetic::POPULATION)
        .find(|k| claim_count(*k) >= n)
        .expect("some enrollee has that many claims")
}

async fn a_token_reaches_only_its_own_beneficiary(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.enrollees(0..3).await;
    let (mine, theirs) = (synthetic::fhir_id(1), synthetic::fhir_id(2));
    let token = enrollee_token(&app, "BBUser00001").await;

    let (status, _, patient) = get(&app, &token, &format!("/v2/fhir/Patient/{mine}")).await;
    assert_eq!((status, patient["id"].as_str()), (200, Some(mine.as_str())));
    let (status, _, outcome) = get(&app, &token, &format!("/v2/fhir/Patient/{theirs}")).await;
    assert_eq!(
        (status, outcome["resourceType"].as_str()),
        (404, Some("OperationOutcome"))
    );

    // Searches naming someone else find nothing of theirs; bare searches find the token's own.
    for (path, expected) in [
        (
            format!("/v2/fhir/ExplanationOfBenefit/?patient={theirs}"),
            0,
        ),
        (
            format!("/v2/fhir/Coverage/?beneficiary=Patient/{theirs}"),
            0,
        ),
        (format!("/v2/fhir/Patient/?_id={theirs}"), 0),
        ("/v2/fhir/Patient/".to_string(), 1),
        (format!("/v2/fhir/Patient/?_id={mine}"), 1),
    ] {
        let (status, _, bundle) = get(&app, &token, &path).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(bundle["total"], expected, "{path}");
    }
    let (_, _, own) = get(&app, &token, "/v2/fhir/ExplanationOfBenefit/?_count=50").await;
    assert_eq!(
        own["total"].as_u64().unwrap() as usize,
        synthetic::claims::claims_for(1).len()
    );
    assert!(entries(&own)
        .iter()
        .all(|e| e["patient"]["reference"] == format!("Patient/{mine}")));

    // Reading another enrollee's claim or coverage by id is "not found", never their data.
    let their_claim = synthetic::claims::claims_for(2)[0].resource_id();
    let (status, _, _) = get(
        &app,
        &token,
        &format!("/v2/fhir/ExplanationOfBenefit/{their_claim}"),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _, _) = get(&app, &token, &format!("/v1/fhir/Coverage/part-a-{theirs}")).await;
    assert_eq!(status, 404);
    let my_claim = synthetic::claims::claims_for(1)[0].resource_id();
    let (status, _, eob) = get(
        &app,
        &token,
        &format!("/v1/fhir/ExplanationOfBenefit/{my_claim}"),
    )
    .await;
    assert_eq!((status, eob["id"].as_str()), (200, Some(my_claim.as_str())));

    // Without a token, or with a bad one: 401 OperationOutcome with a Bearer challenge.
    let (status, headers, outcome) = get(&app, "not-a-token", "/v2/fhir/Patient/").await;
    assert_eq!(
        (status, outcome["resourceType"].as_str()),
        (401, Some("OperationOutcome"))
    );
    assert!(headers["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    app.stop().await;
}

async fn declined_demographics_and_missing_scopes_are_403(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.enrollees(0..1).await;
    let registered = app.register(AppSpec::confidential("Claims Only")).await;
    let token = token_for(
        &app,
        &registered,
        "BBUser00000",
        Answer::ALLOW_WITHOUT_DEMOGRAPHICS,
    )
    .await;
    for version in ["v1", "v2"] {
        let (status, _, outcome) = get(&app, &token, &format!("/{version}/fhir/Patient/")).await;
        assert_eq!(
            (status, outcome["issue"][0]["code"].as_str()),
            (403, Some("forbidden")),
            "{version}"
        );
        let (status, _, _) = get(&app, &token, &format!("/{version}/fhir/Coverage/")).await;
        assert_eq!(status, 200);
        let (status, _, _) = get(
            &app,
            &token,
            &format!("/{version}/fhir/ExplanationOfBenefit/"),
        )
        .await;
        assert_eq!(status, 200);
    }
    let (status, _, _) = get(&app, &token, "/v2/connect/userinfo").await;
    assert_eq!(status, 403);
    app.stop().await;
}

async fn paging_walks_every_claim_exactly_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let rich = enrollee_with_claims(100);
    app.enrollees(rich..rich + 1).await;
    let token = enrollee_token(&app, &synthetic::username(rich)).await;
    let expected: HashSet<String> = synthetic::claims::claims_for(rich)
        .iter()
        .map(|c| c.resource_id())
        .collect();
    assert!(expected.len() >= 100);

    let mut seen = Vec::new();
    let mut next = Some(app.url("/v2/fhir/ExplanationOfBenefit/?_count=7"));
    let mut pages = 0;
    while let Some(url) = next {
        let (status, _, bundle) = get(&app, &token, &url).await;
        assert_eq!(status, 200, "{url}");
        assert_eq!(bundle["total"].as_u64().unwrap() as usize, expected.len());
        assert!(
            link(&bundle, "self").is_some()
                && link(&bundle, "first").is_some()
                && link(&bundle, "last").is_some()
        );
        seen.extend(
            entries(&bundle)
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_string()),
        );
        next = link(&bundle, "next");
        if let Some(n) = &next {
            assert!(n.starts_with(&app.base), "next links are absolute: {n}");
        }
        pages += 1;
    }
    assert_eq!(pages, expected.len().div_ceil(7));
    assert_eq!(seen.len(), expected.len(), "no claim twice");
    assert_eq!(
        seen.iter().cloned().collect::<HashSet<_>>(),
        expected,
        "every claim once"
    );

    // _count is capped at 50; _count=0 gives only the total; past the end gives no entries.
    let (_, _, capped) = get(&app, &token, "/v2/fhir/ExplanationOfBenefit/?_count=500").await;
    assert_eq!(entries(&capped).len(), 50);
    let (_, _, summary) = get(&app, &token, "/v2/fhir/ExplanationOfBenefit/?_count=0").await;
    assert_eq!(summary["total"].as_u64().unwrap() as usize, expected.len());
    assert!(summary.get("entry").is_none());
    let (status, _, past) = get(
        &app,
        &token,
        "/v2/fhir/ExplanationOfBenefit/?startIndex=100000",
    )
    .await;
    assert_eq!(status, 200);
    assert!(past.get("entry").is_none());
    assert!(link(&past, "previous").is_some() && link(&past, "next").is_none());
    // Repeated paging parameters are tolerated (the last wins).
    let (status, _, repeated) = get(
        &app,
        &token,
        "/v2/fhir/ExplanationOfBenefit/?_count=3&_count=4",
    )
    .await;
    assert_eq!((status, entries(&repeated).len()), (200, 4));

    // Links use PUBLIC_URL, or what a trusted proxy reports: see
    // security.rs, forwarding_headers_count_only_from_a_trusted_proxy.
    assert!(link(&repeated, "next")
        .unwrap()
        .starts_with(&format!("{}/v2/fhir/ExplanationOfBenefit/?", app.base)));
    app.stop().await;
}

async fn search_parameters_filter_and_bad_values_are_400(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let number = synthetic::FEATURED_NUMBER;
    app.enrollees(number..number + 1).await;
    let token = enrollee_token(&app, "BBUser29999").await;
    let claims = synthetic::claims::claims_for(number);
    let count_where = |f: &dyn Fn(&synthetic::claims::Claim) -> bool| {
        claims.iter().filter(|c| f(c)).count() as u64
    };

    let (_, _, typed) = get(
        &app,
        &token,
        "/v2/fhir/ExplanationOfBenefit/?type=pde,inpatient&_count=50",
    )
    .await;
    assert_eq!(typed["total"], 7, "5 Part D events and 2 inpatient stays");
    assert!(entries(&typed).iter().all(|e| {
        let id = e["id"].as_str().unwrap();
        id.starts_with("pde-") || id.starts_with("inpatient-")
    }));
    let cutoff = chrono::NaiveDate::from_ymd_opt(2024, 6, 30).unwrap();
    let (_, _, dated) =
        get(&app, &token, "/v2/fhir/ExplanationOfBenefit/?service-date=ge2024-01-01&service-date=le2024-06-30&_count=0").await;
    let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    assert_eq!(
        dated["total"].as_u64().unwrap(),
        count_where(&|c| c.thru >= start && c.thru <= cutoff)
    );
    let (_, _, carriers) = get(
        &app,
        &token,
        "/v1/fhir/ExplanationOfBenefit/?type=carrier&_count=0",
    )
    .await;
    assert_eq!(carriers["total"], 25, "v1 serves the same data");

    for bad in [
        "/v2/fhir/ExplanationOfBenefit/?service-date=2024-13-01",
        "/v2/fhir/ExplanationOfBenefit/?_lastUpdated=yesterday",
        "/v2/fhir/ExplanationOfBenefit/?type=dental",
        "/v2/fhir/ExplanationOfBenefit/?_count=ten",
        "/v2/fhir/Coverage/?startIndex=-5",
    ] {
        let (status, _, outcome) = get(&app, &token, bad).await;
        assert_eq!(
            (status, outcome["resourceType"].as_str()),
            (400, Some("OperationOutcome")),
            "{bad}"
        );
        assert!(!outcome["issue"][0]["diagnostics"]
            .as_str()
            .unwrap()
            .is_empty());
    }
    let (status, _, ignored) = get(
        &app,
        &token,
        "/v2/fhir/ExplanationOfBenefit/?excludeSAMHSA=true&_format=json",
    )
    .await;
    assert_eq!(
        (status, ignored["total"].as_u64()),
        (200, Some(32)),
        "unknown parameters are ignored"
    );

    // The refresh adds claims with a new lastUpdated that _lastUpdated finds.
    // Two runs at once (an overlapping cron) both complete, with claim ids
    // of their own.
    let before = app.state.clock.now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let now = app.state.clock.now();
    let ctx = Default::default();
    let claims_before = server::entities::claim::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap();
    let (first, second) = tokio::join!(
        server::medicare::load::refresh(&app.state.db, &ctx, now),
        server::medicare::load::refresh(&app.state.db, &ctx, now),
    );
    let added: u64 = [
        first.expect("one run"),
        second.expect("the other run, at the same time"),
    ]
    .iter()
    .map(|r| r.part_ab_claims + r.part_d_events)
    .sum();
    assert_eq!(
        server::entities::claim::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        claims_before + added,
        "every claim of both runs is stored, under its own id"
    );
    let since = before.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let url = format!(
        "/v2/fhir/ExplanationOfBenefit/?_lastUpdated=gt{}&_count=0",
        url::form_urlencoded::byte_serialize(since.as_bytes()).collect::<String>()
    );
    let (_, _, fresh) = get(&app, &token, &url).await;
    let (_, _, all) = get(&app, &token, "/v2/fhir/ExplanationOfBenefit/?_count=0").await;
    assert_eq!(
        all["total"].as_u64().unwrap() - 32,
        fresh["total"].as_u64().unwrap(),
        "exactly the refreshed claims are newer"
    );
    app.stop().await;
}

async fn responses_of_1_kb_or_more_are_gzipped_when_asked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.enrollees(1..2).await;
    let token = enrollee_token(&app, "BBUser00001").await;
    let client = reqwest::Client::builder().no_gzip().build().unwrap();
    let fetch = |path: &str, gzip: bool| {
        let mut request = client.get(app.url(path)).bearer_auth(&token);
        if gzip {
            request = request.header("Accept-Encoding", "gzip");
        }
        async move {
            let res = request.send().await.unwrap();
            let encoding = res
                .headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap().to_string());
            let length = res.bytes().await.unwrap().len();
            (encoding, length)
        }
    };
    // Well over 1 KB: gzipped when asked, and only then.
    let (encoding, _) = fetch("/v2/fhir/ExplanationOfBenefit/?_count=5", true).await;
    assert_eq!(encoding.as_deref(), Some("gzip"));
    let (encoding, plain_length) = fetch("/v2/fhir/ExplanationOfBenefit/?_count=5", false).await;
    assert_eq!(encoding, None);
    assert!(plain_length >= 1024);
    // Under 1 KB: never gzipped.
    let (encoding, small_length) = fetch(
        "/v2/fhir/ExplanationOfBenefit/?patient=nobody&_count=0",
        true,
    )
    .await;
    assert!(small_length < 1024, "{small_length}");
    assert_eq!(encoding, None);
    app.stop().await;
}

async fn every_response_is_in_the_access_log(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.enrollees(0..1).await;
    let token = enrollee_token(&app, "BBUser00000").await;
    get(&app, &token, "/v2/fhir/ExplanationOfBenefit/?_count=3").await;
    get(&app, &token, "/v2/fhir/Patient/nobody").await;
    let db = app.state.db.clone();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let logged = api_access::Entity::find().count(&db).await.unwrap();
        if logged >= 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the access log was written within 5 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let search = api_access::Entity::find()
        .filter(api_access::Column::Interaction.eq("search"))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(search.resource, "ExplanationOfBenefit");
    assert_eq!(search.status, 200);
    assert_eq!(search.result_count, Some(3.min(claim_count(0) as i32)));
    // The whole ids of the token, its app and its beneficiary, as stored.
    let token = server::entities::access_token::Entity::find()
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(search.token_id, Some(token.id));
    assert_eq!(search.application_id, Some(token.application_id));
    assert_eq!(search.beneficiary_id, Some(token.beneficiary_id));
    assert!(search.path.contains("_count=3") && search.request_id.is_some());
    let read = api_access::Entity::find()
        .filter(api_access::Column::Interaction.eq("read"))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.status, 404);
    app.stop().await;
}

/// A burst bigger than one SQLite statement of the writer (100 rows), and not
/// a multiple of it, is logged in full: one row per response, none lost or doubled.
async fn a_burst_of_responses_is_logged_in_full(backend: Backend) {
    const BURST: usize = 230;
    let app = TestApp::spawn(backend).await;
    app.enrollees(0..1).await;
    let token = enrollee_token(&app, "BBUser00000").await;
    let client = reqwest::Client::new();
    let url = app.url(&format!("/v2/fhir/Patient/{}", synthetic::fhir_id(0)));
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..BURST {
        let (client, url, token) = (client.clone(), url.clone(), token.clone());
        requests.spawn(async move {
            let res = client.get(url).bearer_auth(token).send().await.unwrap();
            res.status().as_u16()
        });
    }
    while let Some(status) = requests.join_next().await {
        assert_eq!(status.unwrap(), 200);
    }
    let db = app.state.db.clone();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while api_access::Entity::find().count(&db).await.unwrap() < BURST as u64 {
        assert!(
            std::time::Instant::now() < deadline,
            "the burst was logged within 10 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let rows = api_access::Entity::find().all(&db).await.unwrap();
    assert_eq!(rows.len(), BURST, "one row per response");
    let ids: HashSet<String> = rows.iter().filter_map(|r| r.request_id.clone()).collect();
    assert_eq!(
        ids.len(),
        BURST,
        "each row carries its own response's request id"
    );
    assert!(rows
        .iter()
        .all(|r| r.status == 200 && r.resource == "Patient" && r.interaction == "read"));
    app.stop().await;
}

async fn the_sample_beneficiaries_csv_lists_the_richest_loaded_enrollees(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let rich = enrollee_with_claims(60);
    app.enrollees(0..12).await;
    app.enrollees(rich..rich + 1).await;
    let res = app
        .client()
        .get(app.url("/synthetic_users_by_claim_count_full.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = res.text().await.unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "username,password,fhir_id,total_claims,carrier_claims,dme_claims,hha_claims,hospice_claims,inpatient_claims,outpatient_claims,pde_claims,snf_claims"
    );
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    assert_eq!(
        rows[0][0],
        synthetic::username(rich),
        "the richest enrollee comes first"
    );
    let totals: Vec<u64> = rows.iter().map(|r| r[3].parse().unwrap()).collect();
    assert!(
        totals.windows(2).all(|w| w[0] >= w[1]),
        "sorted by claim count"
    );
    for row in &rows {
        let number = synthetic::number_of(&row[0]).unwrap();
        assert_eq!(row[1], synthetic::password(number));
        assert_eq!(row[2], synthetic::fhir_id(number));
        let by_type: u64 = row[4..].iter().map(|n| n.parse::<u64>().unwrap()).sum();
        assert_eq!(
            by_type,
            row[3].parse::<u64>().unwrap(),
            "the per-type counts add up for {}",
            row[0]
        );
        assert_eq!(
            row[3].parse::<usize>().unwrap(),
            synthetic::claims::claims_for(number).len()
        );
    }
    app.stop().await;
}

async fn a_documented_enrollee_who_is_not_loaded_gets_a_clear_message(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.enrollees(0..1).await;
    let browser = app.client();
    let res = app
        .post_form(
            &browser,
            "mymedicare/log_in",
            &[
                ("username", "BBUser12345"),
                ("password", "PW12345!"),
                ("next", ""),
            ],
        )
        .await;
    let body = res.text().await.unwrap();
    assert!(
        body.contains("has not loaded their Medicare data")
            && body.contains("beneficiaries load --all"),
        "{body}"
    );
    let res = app
        .post_form(
            &browser,
            "mymedicare/log_in",
            &[
                ("username", "BBUser00000"),
                ("password", "PW99999!"),
                ("next", ""),
            ],
        )
        .await;
    assert!(
        res.text().await.unwrap().contains("do not match"),
        "a wrong password is still just a wrong password"
    );
    app.stop().await;
}

/// A claim deleted after the claim index was cached but before its page
/// was rendered is left out of the page, and every other entry keeps its own
/// fullUrl (they used to shift onto their neighbours' bodies).
///
/// The index cache follows a process-wide generation that every data load
/// moves, and tests in this binary load data in parallel. So each try uses an
/// enrollee nothing has read yet, and the "one claim fewer" check applies
/// only to a try in which the cached index really outlived the deletion.
async fn a_claim_gone_between_the_index_and_the_page_shifts_no_full_url(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let candidates: Vec<u32> = (3..synthetic::POPULATION)
        .filter(|k| claim_count(*k) >= 8)
        .take(5)
        .collect();
    let mut raced = false;
    for rich in candidates {
        app.enrollees(rich..rich + 1).await;
        let token = enrollee_token(&app, &synthetic::username(rich)).await;
        let generation = server::invalidation::DATA.current();
        let started = std::time::Instant::now();
        // v2 caches the enrollee's claim index (10 s) and renders v2 bodies.
        let (status, _, first) = get(&app, &token, "/v2/fhir/ExplanationOfBenefit/?_count=5").await;
        assert_eq!(status, 200);
        let ids: Vec<String> = entries(&first)
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(ids.len(), 5);
        server::entities::claim::Entity::delete_many()
            .filter(server::entities::claim::Column::ResourceId.eq(ids[1].as_str()))
            .exec(&app.state.db)
            .await
            .unwrap();
        // v1 bodies are not rendered yet, so the page reads the rows: one is gone.
        let (status, _, page) = get(&app, &token, "/v1/fhir/ExplanationOfBenefit/?_count=5").await;
        assert_eq!(status, 200);
        let shown = page["entry"].as_array().unwrap();
        for entry in shown {
            let id = entry["resource"]["id"].as_str().unwrap();
            assert_ne!(id, ids[1], "the deleted claim is left out");
            assert!(
                entry["fullUrl"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("/{id}")),
                "each entry keeps its own fullUrl: {entry}"
            );
        }
        let index_outlived_the_deletion = server::invalidation::DATA.current() == generation
            && started.elapsed() < std::time::Duration::from_secs(9);
        if index_outlived_the_deletion {
            assert_eq!(
                shown.len(),
                4,
                "the page is the cached index minus the deleted claim"
            );
            raced = true;
            break;
        }
    }
    assert!(
        raced,
        "in five tries, a parallel data load always came between"
    );
    app.stop().await;
}

/// Waits (20 s at most) until `cond` holds.
async fn eventually(what: &str, mut cond: impl AsyncFnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !cond().await {
        assert!(std::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// When the access log cannot be written, reads (FHIR and userinfo) answer
/// 503 instead of serving data nobody could account for, `/readyz` sends
/// traffic elsewhere, and nothing is lost: once the table is back, every
/// answer, served or refused, is in it, and reads resume by themselves.
async fn reads_pause_while_the_access_log_cannot_be_written(backend: Backend) {
    use server::sea_orm::ConnectionTrait;
    let app = TestApp::spawn(backend).await;
    app.enrollees(0..1).await;
    let token = enrollee_token(&app, "BBUser00000").await;
    let db = app.state.db.clone();
    let logged = || async { api_access::Entity::find().count(&db).await.unwrap() };
    // A query longer than the log's path column is logged cut short; it
    // must not fail its batch (and so, failing closed, every read).
    let long = format!("/v2/fhir/Patient/?_format=json&q={}", "é".repeat(3000));
    assert_eq!(get(&app, &token, &long).await.0, 200);
    eventually("the first read is logged", async || logged().await == 1).await;
    assert!(app.state.api_log.is_writing());

    db.execute_unprepared("ALTER TABLE api_access_log RENAME TO api_access_log_away")
        .await
        .unwrap();
    // Served before the failure is known: its record waits, it is not dropped.
    assert_eq!(get(&app, &token, "/v2/fhir/Coverage/").await.0, 200);
    eventually("the writer notices", async || {
        !app.state.api_log.is_writing()
    })
    .await;
    let (status, _, outcome) = get(&app, &token, "/v2/fhir/ExplanationOfBenefit/").await;
    assert_eq!(status, 503, "{outcome}");
    assert_eq!(outcome["issue"][0]["code"], "transient");
    assert_eq!(get(&app, &token, "/v2/connect/userinfo").await.0, 503);
    let ready = app.client().get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);

    db.execute_unprepared("ALTER TABLE api_access_log_away RENAME TO api_access_log")
        .await
        .unwrap();
    eventually("reads resume", async || app.state.api_log.is_writing()).await;
    assert_eq!(get(&app, &token, "/v2/connect/userinfo").await.0, 200);
    eventually("every answer is logged", async || logged().await == 5).await;
    let rows = api_access::Entity::find().all(&db).await.unwrap();
    let mut answers: Vec<(&str, i32)> = rows
        .iter()
        .map(|r| (r.resource.as_str(), r.status))
        .collect();
    answers.sort();
    assert_eq!(
        answers,
        [
            ("Coverage", 200),
            ("ExplanationOfBenefit", 503),
            ("Patient", 200),
            ("userinfo", 200),
            ("userinfo", 503),
        ],
        "served reads as 200, the refused ones as what they got"
    );
    app.stop().await;
}

db_tests!(
    a_claim_gone_between_the_index_and_the_page_shifts_no_full_url,
    reads_pause_while_the_access_log_cannot_be_written,
    the_sample_beneficiaries_csv_lists_the_richest_loaded_enrollees,
    a_documented_enrollee_who_is_not_loaded_gets_a_clear_message,
    a_token_reaches_only_its_own_beneficiary,
    declined_demographics_and_missing_scopes_are_403,
    paging_walks_every_claim_exactly_once,
    search_parameters_filter_and_bad_values_are_400,
    responses_of_1_kb_or_more_are_gzipped_when_asked,
    every_response_is_in_the_access_log,
    a_burst_of_responses_is_logged_in_full,
);

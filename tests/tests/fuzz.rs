//! Fuzzing the surfaces anyone can reach (issue 19), against the real app:
//! FHIR search parameters and ids, the OAuth authorize and token endpoints,
//! and document uploads with mangled PDFs. Bounded (a few hundred requests
//! each) and seeded: the suite runs one fixed seed, so CI is repeatable;
//! `FUZZ_SEED=random` explores new input (and prints its seed), and
//! `FUZZ_SEED=<n>` repeats a run. Whatever comes in, the answer is never a
//! 5xx and always in the documented shape; no redirect leaves for an
//! unregistered address.
use portal_tests::{
    access::*,
    db_tests, fhir,
    oauth::{AppSpec, PKCE_VERIFIER},
    Backend, TestApp,
};
use rand::{rngs::StdRng, Rng, SeedableRng};
use server::ids::Role;

fn seeded() -> (u64, StdRng) {
    let seed = match std::env::var("FUZZ_SEED").as_deref() {
        Ok("random") => rand::thread_rng().gen(),
        Ok(n) => n.parse().expect("FUZZ_SEED is a number or `random`"),
        // Found the NUL in authorize (issue 19); kept as the suite's seed.
        Err(_) => 7686196996551160837,
    };
    eprintln!("fuzz seed {seed} (FUZZ_SEED={seed} repeats this run)");
    (seed, StdRng::seed_from_u64(seed))
}

/// A value of the kind that breaks parsers: numbers at and past every
/// integer edge, dates with every prefix and absurd years, odd text.
fn nasty(rng: &mut StdRng) -> String {
    const NUMBERS: &[&str] = &[
        "0",
        "-1",
        "1",
        "49",
        "50",
        "51",
        "2147483647",
        "2147483648",
        "-2147483649",
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "1e9",
        "0x10",
        "+5",
        " 7",
        "NaN",
    ];
    const PREFIXES: &[&str] = &[
        "", "eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap", "zz",
    ];
    const TEXT: &[&str] = &[
        "",
        " ",
        "%",
        "%00",
        "\u{0}",
        "é",
        "👍",
        "'; DROP TABLE claims; --",
        "..",
        "../../etc/passwd",
        "carrier",
        "pde",
        "inpatient,outpatient",
        "true",
        "false",
        "json",
        "application/fhir+json",
        "<script>",
        "Patient/-19990000000001",
    ];
    match rng.gen_range(0..6) {
        0 => NUMBERS[rng.gen_range(0..NUMBERS.len())].to_string(),
        1 => format!(
            "{}{}",
            PREFIXES[rng.gen_range(0..PREFIXES.len())],
            match rng.gen_range(0..5) {
                0 => format!(
                    "{:04}-{:02}-{:02}",
                    rng.gen_range(0..10000),
                    rng.gen_range(0..14),
                    rng.gen_range(0..33)
                ),
                1 => "+262143-12-31".to_string(),
                2 => format!("{}-01-01T25:61:61Z", rng.gen_range(1900..2100)),
                3 => format!("{}", rng.gen_range(1900..2100)),
                _ => "2020-02-30".to_string(),
            }
        ),
        2 => TEXT[rng.gen_range(0..TEXT.len())].to_string(),
        3 => (0..rng.gen_range(0..40))
            .map(|_| char::from_u32(rng.gen_range(0x20..0x2FFF)).unwrap_or('?'))
            .collect(),
        4 => "x".repeat(rng.gen_range(0..5000)),
        _ => rng.gen::<i64>().to_string(),
    }
}

fn query(rng: &mut StdRng, names: &[&str]) -> String {
    let mut pairs = url::form_urlencoded::Serializer::new(String::new());
    for _ in 0..rng.gen_range(0..6) {
        let name = if rng.gen_bool(0.85) {
            names[rng.gen_range(0..names.len())].to_string()
        } else {
            nasty(rng)
        };
        pairs.append_pair(&name, &nasty(rng));
    }
    pairs.finish()
}

fn assert_outcome(what: &str, status: u16, body: &serde_json::Value) {
    assert!(status < 500, "{what}: {status} {body}");
    if status >= 400 && status != 429 {
        assert_eq!(body["resourceType"], "OperationOutcome", "{what}: {body}");
        assert!(body["issue"][0]["code"].is_string(), "{what}: {body}");
    }
}

async fn fhir_searches_and_reads_never_fail_on_our_side(backend: Backend) {
    let (seed, mut rng) = seeded();
    let app = TestApp::spawn(backend).await;
    app.enrollees(0..2).await;
    let token = fhir::enrollee_token(&app, "BBUser00000").await;
    const NAMES: &[&str] = &[
        "startIndex",
        "_count",
        "service-date",
        "_lastUpdated",
        "type",
        "patient",
        "beneficiary",
        "excludeSAMHSA",
        "_format",
        "_id",
        "identifier",
        "_elements",
        "_sort",
    ];
    for round in 0..300 {
        let resource = ["ExplanationOfBenefit", "Patient", "Coverage"][rng.gen_range(0..3)];
        let path = if rng.gen_bool(0.2) {
            let id: String =
                url::form_urlencoded::byte_serialize(nasty(&mut rng).as_bytes()).collect();
            format!("/v{}/fhir/{resource}/{id}", rng.gen_range(1..3))
        } else {
            format!(
                "/v{}/fhir/{resource}/?{}",
                rng.gen_range(1..3),
                query(&mut rng, NAMES)
            )
        };
        let (status, _, body) = fhir::get(&app, &token, &path).await;
        assert_outcome(
            &format!("seed {seed}, round {round}: GET {path}"),
            status,
            &body,
        );
    }
    app.stop().await;
}

async fn oauth_endpoints_never_fail_on_our_side_or_redirect_off_site(backend: Backend) {
    let (seed, mut rng) = seeded();
    let app = TestApp::spawn(backend).await;
    let registered = app.register(AppSpec::confidential("Fuzzed")).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    const AUTHORIZE: &[&str] = &[
        "client_id",
        "redirect_uri",
        "response_type",
        "state",
        "scope",
        "code_challenge",
        "code_challenge_method",
        "aud",
        "nonce",
    ];
    const TOKEN: &[&str] = &[
        "grant_type",
        "code",
        "redirect_uri",
        "client_id",
        "client_secret",
        "refresh_token",
        "code_verifier",
        "scope",
    ];
    for round in 0..200 {
        // Authorize: often with the real client id, so the deeper checks run.
        let mut url = format!(
            "{}/v2/o/authorize/?{}",
            app.base,
            query(&mut rng, AUTHORIZE)
        );
        if rng.gen_bool(0.5) {
            url.push_str(&format!(
                "&client_id={}&response_type=code",
                registered.client_id
            ));
        }
        let res = client.get(&url).send().await.unwrap();
        let status = res.status().as_u16();
        assert!(status < 500, "seed {seed}, round {round}: {url} → {status}");
        if let Some(location) = res.headers().get("location") {
            let location = location.to_str().unwrap_or_default();
            assert!(
                location.starts_with('/')
                    || location.starts_with(&app.base)
                    || location.starts_with(&registered.redirect_uri),
                "seed {seed}, round {round}: {url} redirected off site to {location}"
            );
        }

        // Token: random forms, sometimes with the app's real credentials.
        let mut form: Vec<(String, String)> = (0..rng.gen_range(0..6))
            .map(|_| {
                (
                    TOKEN[rng.gen_range(0..TOKEN.len())].to_string(),
                    nasty(&mut rng),
                )
            })
            .collect();
        if rng.gen_bool(0.3) {
            form.push(("grant_type".into(), "authorization_code".into()));
            form.push(("code_verifier".into(), PKCE_VERIFIER.into()));
        }
        let mut request = client.post(app.url("/v2/o/token/")).form(&form);
        if rng.gen_bool(0.5) {
            request = request.basic_auth(&registered.client_id, Some(&registered.client_secret));
        }
        let res = request.send().await.unwrap();
        let status = res.status().as_u16();
        let body: serde_json::Value = res.json().await.unwrap_or_default();
        assert!(
            (400..500).contains(&status) && body["error"].is_string(),
            "seed {seed}, round {round}: token {form:?} → {status} {body}"
        );
    }
    app.stop().await;
}

async fn mangled_pdf_uploads_are_refused_with_a_reason(backend: Backend) {
    let (seed, mut rng) = seeded();
    let app = TestApp::spawn(backend).await;
    let dev = account(&app, "dev@acme.example.com", Role::Developer).await;
    let id = start_application(&app, &dev, "Acme Claims Viewer").await;
    let original = policy_pdf();
    for round in 0..40 {
        let mut bytes = original.clone();
        match rng.gen_range(0..4) {
            0 => bytes.truncate(rng.gen_range(0..bytes.len())),
            1 => {
                for _ in 0..rng.gen_range(1..50) {
                    let at = rng.gen_range(0..bytes.len());
                    bytes[at] = rng.gen();
                }
            }
            2 => {
                let at = rng.gen_range(0..bytes.len());
                let junk: Vec<u8> = (0..rng.gen_range(1..2000)).map(|_| rng.gen()).collect();
                bytes.splice(at..at, junk);
            }
            _ => bytes = (0..rng.gen_range(0..4000)).map(|_| rng.gen()).collect(),
        }
        let res = upload_to(
            &app,
            &dev,
            &format!("/access/{id}/documents/privacy_policy"),
            "privacy.pdf",
            bytes,
            true,
        )
        .await;
        let status = res.status().as_u16();
        let body = res.text().await.unwrap();
        assert!(status < 500, "seed {seed}, round {round}: {status} {body}");
    }
    app.stop().await;
}

db_tests!(
    fhir_searches_and_reads_never_fail_on_our_side,
    oauth_endpoints_never_fail_on_our_side_or_redirect_off_site,
    mangled_pdf_uploads_are_refused_with_a_reason,
);

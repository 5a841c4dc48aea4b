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

/// A multipart body as a careless or hostile client sends it: a real form
/// with its boundary, then cut, spliced, re-bounded or replaced by junk.
/// Returns the Content-Type to send with it.
fn mangled_multipart(rng: &mut StdRng, field: &str, content: &[u8]) -> (String, Vec<u8>) {
    let boundary = "XyZ-boundary-42";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"f.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut content_type = format!("multipart/form-data; boundary={boundary}");
    match rng.gen_range(0..9) {
        0 => body.truncate(rng.gen_range(0..body.len())),
        1 => content_type = "multipart/form-data".into(),
        2 => content_type = format!("multipart/form-data; boundary=\"{}\"", nasty(rng)),
        3 => {
            content_type = format!(
                "multipart/form-data; boundary={}",
                "b".repeat(rng.gen_range(71..5000))
            )
        }
        4 => {
            let header = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\nX-Long: {}\r\n\r\nv\r\n",
                nasty(rng),
                "h".repeat(rng.gen_range(0..20_000))
            );
            body.splice(0..0, header.into_bytes());
        }
        5 => {
            // The same field twice, and a part with no name at all.
            let again = body.clone();
            let nameless = format!("--{boundary}\r\nContent-Disposition: form-data\r\n\r\nx\r\n");
            body = [nameless.into_bytes(), again.clone(), again].concat();
        }
        6 => {
            for _ in 0..rng.gen_range(1..40) {
                let at = rng.gen_range(0..body.len());
                body[at] = rng.gen();
            }
        }
        7 => body = (0..rng.gen_range(0..3000)).map(|_| rng.gen()).collect(),
        _ => {
            let at = rng.gen_range(0..body.len());
            body.splice(at..at, format!("\r\n--{boundary}\r\n").into_bytes());
        }
    }
    (content_type, body)
}

/// Mangled multipart bodies to every route that reads one: the token
/// endpoint (the Python SDK posts multipart) answers an OAuth error, a
/// document upload its JSON refusal, a logo upload its redirect back with
/// the reason. Never a 5xx, never a dropped connection.
async fn mangled_multipart_bodies_get_the_routes_own_refusal(backend: Backend) {
    let (seed, mut rng) = seeded();
    let app = TestApp::spawn(backend).await;
    let dev = account(&app, "dev@acme.example.com", Role::Developer).await;
    let id = start_application(&app, &dev, "Acme Claims Viewer").await;
    let logo_app = app.register(AppSpec::confidential("Logo App")).await;
    let owner = sign_in(&app, &logo_app.owner_email).await;
    let pdf = policy_pdf();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for round in 0..60 {
        let (content_type, body) = mangled_multipart(&mut rng, "grant_type", b"client_credentials");
        let res = client
            .post(app.url("/v2/o/token/"))
            .header("Content-Type", content_type.as_str())
            .body(body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let answer: serde_json::Value = res.json().await.unwrap_or_default();
        assert!(
            (400..500).contains(&status) && answer["error"].is_string(),
            "seed {seed}, round {round}: token with {content_type} → {status} {answer}"
        );

        let (content_type, body) = mangled_multipart(&mut rng, "file", &pdf[..pdf.len().min(4000)]);
        let res = dev
            .post(app.url(&format!("/access/{id}/documents/privacy_policy")))
            .header("Origin", &app.base)
            .header("Accept", "application/json")
            .header("Content-Type", content_type.as_str())
            .body(body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let answer: serde_json::Value = res.json().await.unwrap_or_default();
        assert!(
            (status == 200 && answer["document"].is_object())
                || ((400..500).contains(&status) && answer["error"].is_string()),
            "seed {seed}, round {round}: upload with {content_type} → {status} {answer}"
        );

        let (content_type, body) = mangled_multipart(&mut rng, "logo", &[0x89, b'P', b'N', b'G']);
        let res = owner
            .post(app.url(&format!("/apps/{}/logo", logo_app.id)))
            .header("Origin", &app.base)
            .header("Content-Type", content_type.as_str())
            .body(body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let back = res
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert!(
            status == 303 && back.contains("logo_error="),
            "seed {seed}, round {round}: logo with {content_type} → {status} {back}"
        );
    }
    app.stop().await;
}

/// The redirect-URI parser on its own, on tens of thousands of addresses
/// built from the parts that fool parsers. It never panics, and what it
/// accepts keeps its promises: exact and whole, no fragment, no wildcard,
/// no credentials, a real host for web addresses, https only in
/// production, and the same answer when parsed again.
#[test]
fn the_redirect_uri_parser_accepts_only_what_it_promises() {
    use server::apps::{redirect_uri::parse_list, Environment, RedirectUri};
    let (seed, mut rng) = seeded();
    const SCHEMES: &[&str] = &[
        "https",
        "http",
        "HTTPS",
        "Http",
        "com.example.app",
        "com.example",
        "example",
        "javascript",
        "data",
        "file",
        "",
        "a.b",
        "Com.Example",
        "x-y.z1",
        "1a.b",
        "a..b",
        "com.example.app ",
        "\u{0}",
    ];
    const AFTER: &[&str] = &["://", ":", ":/", ":///", "//", ":\\\\", "://\\", ""];
    const HOSTS: &[&str] = &[
        "app.example.com",
        "localhost",
        "127.0.0.1",
        "[::1]",
        "[::1",
        "user:pw@evil.com",
        "good.com@evil.com",
        "evil.com%2F@good.com",
        "",
        "xn--bcher-kva.example",
        "é.example",
        "a.example:443",
        "a.example:99999",
        "a.example:-1",
        "%00",
        "evil.com\\.good.com",
        " app.example.com",
        "app.example.com.",
        "*.example.com",
    ];
    const TAILS: &[&str] = &[
        "",
        "/",
        "/cb",
        "/a b",
        "/%00",
        "/../..",
        "?q=1",
        "#frag",
        "/*",
        "/cb?x=1&y=2",
        "/\u{7f}",
        "\r\n",
        "/é",
        "//evil.com",
        "/?next=https://evil.com",
    ];
    let pick = |rng: &mut StdRng, from: &[&'static str]| from[rng.gen_range(0..from.len())];
    let mut accepted = 0;
    for round in 0..20_000 {
        let mut raw = format!(
            "{}{}{}{}",
            pick(&mut rng, SCHEMES),
            pick(&mut rng, AFTER),
            pick(&mut rng, HOSTS),
            pick(&mut rng, TAILS)
        );
        match rng.gen_range(0..6) {
            0 => raw.push_str(&nasty(&mut rng)),
            1 => raw = raw.repeat(rng.gen_range(1..200)),
            2 => {
                let at = rng.gen_range(0..=raw.len());
                if raw.is_char_boundary(at) {
                    raw.insert(at, char::from_u32(rng.gen_range(0..0x3000)).unwrap_or('x'));
                }
            }
            _ => {}
        }
        for environment in [Environment::Sandbox, Environment::Production] {
            let Ok(uri) = RedirectUri::parse(&raw, environment) else {
                continue;
            };
            accepted += 1;
            let text = uri.as_str();
            let why = format!("seed {seed}, round {round}: {raw:?} accepted as {text:?}");
            assert!(text.len() <= 2048, "{why}");
            assert!(!text.contains('#') && !text.contains('*'), "{why}");
            assert!(
                !text.chars().any(|c| c.is_whitespace() || c.is_control()),
                "{why}"
            );
            assert!(
                uri.matches(text) && !uri.matches(&format!("{text}x")),
                "{why}"
            );
            assert_eq!(
                RedirectUri::parse(text, environment).as_ref(),
                Ok(&uri),
                "{why}"
            );
            if text.starts_with("http:") || text.starts_with("https:") {
                let url = url::Url::parse(text).expect(&why);
                assert!(url.host_str().is_some_and(|h| !h.is_empty()), "{why}");
                assert!(
                    url.username().is_empty() && url.password().is_none(),
                    "{why}"
                );
                assert!(
                    environment == Environment::Sandbox || url.scheme() == "https",
                    "{why}"
                );
                assert!(uri.matches(text) && !uri.is_native(), "{why}");
            } else {
                assert!(uri.is_native(), "{why}");
            }
        }
        // A list is accepted only if each of its entries is.
        let list = format!("{raw}\n{}", pick(&mut rng, HOSTS));
        if let Ok(parsed) = parse_list(&list, Environment::Sandbox) {
            for uri in parsed {
                assert!(RedirectUri::parse(uri.as_str(), Environment::Sandbox).is_ok());
            }
        }
    }
    assert!(
        accepted > 100,
        "the inputs include valid addresses: {accepted}"
    );
}

/// Logo checks on mangled PNG and JPEG headers and on junk: no panic, and
/// what passes is an image of the allowed size and format.
#[test]
fn logo_checks_never_panic_and_pass_only_allowed_images() {
    use server::apps::logo::{Logo, LogoFormat, MAX_BYTES, MAX_SIDE};
    let (seed, mut rng) = seeded();
    let png = |w: u32, h: u32| {
        let mut bytes = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
        bytes.extend_from_slice(&w.to_be_bytes());
        bytes.extend_from_slice(&h.to_be_bytes());
        bytes.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        bytes
    };
    let jpeg = |w: u16, h: u16| {
        let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
        bytes.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        bytes.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08]);
        bytes.extend_from_slice(&h.to_be_bytes());
        bytes.extend_from_slice(&w.to_be_bytes());
        bytes.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
        bytes
    };
    const SIDES: &[u32] = &[0, 1, 2, 511, 512, 513, 65535, 65536, u32::MAX];
    let mut passed = 0;
    for round in 0..20_000 {
        let w = SIDES[rng.gen_range(0..SIDES.len())];
        let h = SIDES[rng.gen_range(0..SIDES.len())];
        let mut bytes = match rng.gen_range(0..3) {
            0 => png(w, h),
            1 => jpeg(w.min(65535) as u16, h.min(65535) as u16),
            _ => (0..rng.gen_range(0..64)).map(|_| rng.gen()).collect(),
        };
        match rng.gen_range(0..5) {
            0 if !bytes.is_empty() => bytes.truncate(rng.gen_range(0..bytes.len())),
            1 if !bytes.is_empty() => {
                let at = rng.gen_range(0..bytes.len());
                bytes[at] = rng.gen();
            }
            2 => {
                // Segments whose lengths point past the end, or at themselves.
                let at = rng.gen_range(0..=bytes.len());
                bytes.splice(at..at, [0xFF, rng.gen(), rng.gen(), rng.gen()]);
            }
            3 => bytes.resize(MAX_BYTES + rng.gen_range(0..2), 0),
            _ => {}
        }
        let size = bytes.len();
        if let Ok(logo) = Logo::parse(bytes) {
            passed += 1;
            let why = format!("seed {seed}, round {round}: {w}×{h}, {size} bytes");
            assert!((1..=MAX_SIDE).contains(&logo.width), "{why}");
            assert!((1..=MAX_SIDE).contains(&logo.height), "{why}");
            assert!(
                logo.bytes.len() <= MAX_BYTES && !logo.bytes.is_empty(),
                "{why}"
            );
            match logo.format {
                LogoFormat::Png => assert!(logo.bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{why}"),
                LogoFormat::Jpeg => assert!(logo.bytes.starts_with(&[0xFF, 0xD8]), "{why}"),
            }
        }
    }
    assert!(passed > 100, "the inputs include valid logos: {passed}");
}

db_tests!(
    fhir_searches_and_reads_never_fail_on_our_side,
    oauth_endpoints_never_fail_on_our_side_or_redirect_off_site,
    mangled_pdf_uploads_are_refused_with_a_reason,
    mangled_multipart_bodies_get_the_routes_own_refusal,
);

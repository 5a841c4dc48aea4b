//! Seed 004: a 128-bit user id truncated to 96 bits sent one beneficiary's
//! data to another. Here, 10,000 sign-in identities whose first 96 bits
//! collide in pairs must each reach their own beneficiary, and tokens issued
//! to them must only ever read their own data.
use std::collections::HashSet;

use portal_tests::{
    db_tests,
    oauth::{authorize_url, consent_as, param, Answer, AppSpec, PKCE_VERIFIER},
    Backend, TestApp,
};
use rand::RngCore;
use server::{
    beneficiaries,
    entities::{beneficiary, crosswalk, identity_user},
    ids::LoginSubject,
    sea_orm::{EntityTrait, Set},
};
use uuid::Uuid;

const PAIRS: usize = 5_000;
/// Pairs that also go through the whole OAuth flow over HTTP.
const PAIRS_WITH_TOKENS: usize = 40;

/// Two subjects that share their first 96 bits and differ in the last 32.
fn colliding_pair() -> (Uuid, Uuid) {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let a = Uuid::from_bytes(bytes);
    let mut other = bytes;
    loop {
        rand::rngs::OsRng.fill_bytes(&mut other[12..]);
        if other[12..] != bytes[12..] {
            break;
        }
    }
    (a, Uuid::from_bytes(other))
}

async fn identities_that_share_96_bits_reach_distinct_beneficiaries(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let now = app.state.clock.now();
    let password_hash = server::passwords::hash_published("collide-pw");
    let mut expected = Vec::with_capacity(PAIRS * 2);
    let mut benes = Vec::new();
    let mut walks = Vec::new();
    let mut users = Vec::new();
    for i in 0..PAIRS {
        let (a, b) = colliding_pair();
        assert_eq!(
            a.as_bytes()[..12],
            b.as_bytes()[..12],
            "the first 96 bits collide"
        );
        assert_ne!(a, b);
        for (k, subject) in [a, b].into_iter().enumerate() {
            let n = i * 2 + k;
            let id = Uuid::new_v4();
            let fhir_id = format!("-{}", 90_000_000_000u64 + n as u64);
            benes.push(beneficiary::ActiveModel {
                id: Set(id),
                fhir_id: Set(fhir_id.clone()),
                given_name: Set(format!("Given{n}")),
                family_name: Set(format!("Family{n}")),
                middle_initial: Set(None),
                gender: Set("unknown".into()),
                birth_date: Set(chrono::NaiveDate::from_ymd_opt(1950, 1, 1).unwrap()),
                race_code: Set("0".into()),
                state_code: Set("21".into()),
                county_code: Set("010".into()),
                postal_code: Set("21201".into()),
                mbi: Set(format!("{n:011}")),
                hicn_hash: Set(format!("{n:064}")),
                email: Set(format!("collide{n}@example.com")),
                created_at: Set(now),
                updated_at: Set(now),
            });
            walks.push(crosswalk::ActiveModel {
                id: Set(Uuid::new_v4()),
                subject: Set(subject),
                beneficiary_id: Set(id),
                created_at: Set(now),
            });
            users.push(identity_user::ActiveModel {
                subject: Set(subject),
                username: Set(format!("collide{n}")),
                password_hash: Set(password_hash.clone()),
                created_at: Set(now),
            });
            expected.push((subject, id, fhir_id, format!("collide{n}")));
        }
    }
    for chunk in benes.chunks(500) {
        beneficiary::Entity::insert_many(chunk.to_vec())
            .exec(&app.state.db)
            .await
            .unwrap();
    }
    for chunk in walks.chunks(1000) {
        crosswalk::Entity::insert_many(chunk.to_vec())
            .exec(&app.state.db)
            .await
            .unwrap();
    }
    for chunk in users.chunks(1000) {
        identity_user::Entity::insert_many(chunk.to_vec())
            .exec(&app.state.db)
            .await
            .unwrap();
    }

    // Every whole subject resolves to its own beneficiary, and no two to the same one.
    let mut reached = HashSet::new();
    for (subject, bene, fhir_id, _) in &expected {
        let found = beneficiaries::resolve(&app.state.db, LoginSubject(*subject))
            .await
            .unwrap()
            .expect("linked");
        assert_eq!(
            found.id.0, *bene,
            "subject {subject} reached the wrong beneficiary"
        );
        assert_eq!(found.patient.as_str(), fhir_id);
        assert!(
            reached.insert(found.id),
            "two subjects reached one beneficiary"
        );
    }
    assert_eq!(reached.len(), PAIRS * 2);

    // Through the whole OAuth flow: each token reads its own beneficiary only.
    let web = app.register(AppSpec::confidential("Collision Check")).await;
    let url = authorize_url(
        &app,
        "v2",
        &[
            ("client_id", &web.client_id),
            ("redirect_uri", &web.redirect_uri),
            ("response_type", "code"),
        ],
    );
    let http = reqwest::Client::new();
    for (_, _, fhir_id, username) in expected.iter().take(PAIRS_WITH_TOKENS * 2) {
        let callback = consent_as(&app, &url, username, "collide-pw", Answer::ALLOW).await;
        let token: serde_json::Value = http
            .post(app.url("/v2/o/token/"))
            .basic_auth(&web.client_id, Some(&web.client_secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &param(&callback, "code").unwrap()),
                ("redirect_uri", &web.redirect_uri),
                ("code_verifier", PKCE_VERIFIER),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(token["patient"], fhir_id.as_str());
        let info: serde_json::Value = http
            .get(app.url("/v2/connect/userinfo"))
            .bearer_auth(token["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            info["patient"],
            fhir_id.as_str(),
            "{username}'s token read someone else's data"
        );
    }
    app.stop().await;
}

db_tests!(identities_that_share_96_bits_reach_distinct_beneficiaries);

//! The synthetic Medicare data set: 30,000 enrollees behind the documented
//! sandbox logins `BBUser00000`…`BBUser29999` (passwords `PW00000!`…`PW29999!`).
//! Everything is a pure function of the enrollee's number, so every machine
//! generates exactly the same people.
pub mod claims;
pub mod codes;
pub mod coverage;
mod personas;
mod rng;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

pub use rng::SeededRng;

/// How many synthetic enrollees the sandbox has.
pub const POPULATION: u32 = 30_000;
/// The enrollee the API documentation features (`BBUser29999`, "Jane Doe").
pub const FEATURED_NUMBER: u32 = 29_999;
pub const FEATURED_FHIR_ID: &str = "20140000008325";
/// The documentation's personas.
pub const LUCILLE_NUMBER: u32 = 1;
pub const JACK_NUMBER: u32 = 2;

const STREAM_PEOPLE: u64 = 1;

/// One synthetic enrollee's sign-in and demographics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntheticPerson {
    pub number: u32,
    pub username: String,
    pub password: String,
    pub fhir_id: String,
    pub given_name: String,
    pub middle_initial: Option<String>,
    pub family_name: String,
    /// FHIR administrative gender: `female`, `male` or `unknown`.
    pub gender: &'static str,
    pub birth_date: NaiveDate,
    /// CMS race code (`1` White, `2` Black, …).
    pub race_code: &'static str,
    pub state_code: String,
    pub county_code: String,
    pub postal_code: String,
    pub mbi: String,
    pub hicn_hash: String,
    pub email: String,
}

pub fn username(number: u32) -> String {
    format!("BBUser{number:05}")
}

pub fn password(number: u32) -> String {
    format!("PW{number:05}!")
}

/// The Patient id of enrollee `number`: the featured one keeps the id the
/// documentation uses; the others count up from a range that cannot collide with it.
pub fn fhir_id(number: u32) -> String {
    if number == FEATURED_NUMBER {
        FEATURED_FHIR_ID.to_string()
    } else {
        (20_140_000_100_000u64 + u64::from(number)).to_string()
    }
}

/// The enrollee number behind a sandbox user name, if it is one.
pub fn number_of(username: &str) -> Option<u32> {
    let digits = username.strip_prefix("BBUser")?;
    if digits.len() != 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|n| *n < POPULATION)
}

const FEMALE_NAMES: &[&str] = &[
    "Mary",
    "Patricia",
    "Linda",
    "Barbara",
    "Elizabeth",
    "Dorothy",
    "Margaret",
    "Ruth",
    "Helen",
    "Shirley",
    "Carol",
    "Joan",
    "Judith",
    "Sandra",
    "Betty",
    "Nancy",
    "Donna",
    "Frances",
    "Gloria",
    "Rosa",
    "Maria",
    "Evelyn",
    "Jean",
    "Alice",
    "Ana",
    "Mei",
    "Grace",
    "Lorraine",
    "Beverly",
    "Theresa",
];
const MALE_NAMES: &[&str] = &[
    "James", "Robert", "John", "Michael", "William", "David", "Richard", "Charles", "Joseph",
    "Thomas", "Donald", "George", "Kenneth", "Ronald", "Edward", "Paul", "Larry", "Frank",
    "Raymond", "Jose", "Carlos", "Walter", "Henry", "Arthur", "Eugene", "Harold", "Wei", "Samuel",
    "Luis", "Gerald",
];
const FAMILY_NAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Nguyen",
    "Hill",
    "Green",
    "Adams",
    "Baker",
    "Nelson",
    "Carter",
    "Mitchell",
    "Chen",
    "Roberts",
    "Turner",
    "Phillips",
    "Campbell",
    "Parker",
    "Evans",
    "Edwards",
    "Collins",
    "Stewart",
];
/// (code, weight): the CMS race codes, weighted roughly like the Medicare population.
const RACES: &[(&str, u64)] = &[
    ("1", 76),
    ("2", 10),
    ("5", 8),
    ("4", 3),
    ("6", 1),
    ("3", 1),
    ("0", 1),
];
/// (state code, county code, ZIP prefix): SSA state codes with a county each.
const PLACES: &[(&str, &str, &str)] = &[
    ("21", "010", "212"),
    ("05", "200", "900"),
    ("33", "610", "100"),
    ("45", "300", "770"),
    ("10", "130", "331"),
    ("14", "140", "606"),
    ("39", "600", "191"),
    ("36", "250", "441"),
    ("23", "400", "482"),
    ("11", "060", "303"),
    ("50", "750", "981"),
    ("06", "010", "802"),
];
/// Letters an MBI may use (no S, L, O, I, B, Z).
const MBI_LETTERS: &[u8] = b"ACDEFGHJKMNPQRTUVWXY";

fn digit(rng: &mut SeededRng, low: u8) -> char {
    (b'0' + low + rng.below(u64::from(10 - low)) as u8) as char
}

fn letter(rng: &mut SeededRng) -> char {
    *rng.pick(MBI_LETTERS) as char
}

fn alnum(rng: &mut SeededRng) -> char {
    if rng.chance(50) {
        letter(rng)
    } else {
        digit(rng, 0)
    }
}

/// A Medicare Beneficiary Identifier in the CMS format (`1EG4-TE5-MK73` without dashes).
fn mbi(rng: &mut SeededRng) -> String {
    let mut s = String::with_capacity(11);
    s.push(digit(rng, 1));
    s.push(letter(rng));
    s.push(alnum(rng));
    s.push(digit(rng, 0));
    s.push(letter(rng));
    s.push(alnum(rng));
    s.push(digit(rng, 0));
    s.push(letter(rng));
    s.push(letter(rng));
    s.push(digit(rng, 0));
    s.push(digit(rng, 0));
    s
}

fn weighted<'a>(rng: &mut SeededRng, items: &'a [(&'a str, u64)]) -> &'a str {
    let total: u64 = items.iter().map(|(_, w)| w).sum();
    let mut roll = rng.below(total);
    for (item, weight) in items {
        if roll < *weight {
            return item;
        }
        roll -= weight;
    }
    items[0].0
}

/// Enrollee `number` (0 ≤ number < 30,000).
pub fn person(number: u32) -> SyntheticPerson {
    let mut rng = SeededRng::for_item(STREAM_PEOPLE, u64::from(number));
    let female = rng.chance(55);
    let given = if female {
        rng.pick(FEMALE_NAMES)
    } else {
        rng.pick(MALE_NAMES)
    };
    let family = rng.pick(FAMILY_NAMES);
    let middle = rng
        .chance(60)
        .then(|| ((b'A' + rng.below(26) as u8) as char).to_string());
    // Mostly 65 and over; some younger enrollees qualify through disability or ESRD.
    let year = if rng.chance(85) {
        rng.between(1930, 1959)
    } else {
        rng.between(1960, 1985)
    } as i32;
    let birth_date =
        NaiveDate::from_ymd_opt(year, rng.between(1, 12) as u32, rng.between(1, 28) as u32)
            .expect("day 1-28 exists in every month");
    let race_code = weighted(&mut rng, RACES);
    let (state, county, zip) = *rng.pick(PLACES);
    let postal_code = format!("{zip}{:02}", rng.below(100));
    let mbi = mbi(&mut rng);
    let hicn_hash = hex::encode(Sha256::digest(
        format!("synthetic-hicn-{number:05}").as_bytes(),
    ));
    let mut person = SyntheticPerson {
        number,
        username: username(number),
        password: password(number),
        fhir_id: fhir_id(number),
        given_name: given.to_string(),
        middle_initial: middle,
        family_name: family.to_string(),
        gender: if female { "female" } else { "male" },
        birth_date,
        race_code,
        state_code: state.to_string(),
        county_code: county.to_string(),
        postal_code,
        mbi,
        hicn_hash,
        email: format!("bbuser{number:05}@example.com"),
    };
    apply_documented_details(&mut person);
    person
}

/// The people the API documentation describes look the way it describes them.
fn apply_documented_details(person: &mut SyntheticPerson) {
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("valid date");
    match person.number {
        FEATURED_NUMBER => {
            person.given_name = "Jane".into();
            person.middle_initial = Some("X".into());
            person.family_name = "Doe".into();
            person.gender = "unknown";
            person.birth_date = date(2014, 6, 1);
            person.race_code = "1";
            person.state_code = "15".into();
            person.county_code = "999".into();
            person.postal_code = "99999".into();
            person.hicn_hash =
                "2025fbc612a884853f0c245e686780bf748e5652360ecd7430575491f4e018c5".into();
        }
        LUCILLE_NUMBER => {
            person.given_name = "Lucille".into();
            person.family_name = "Hartman".into();
            person.gender = "female";
            person.birth_date = date(1955, 3, 14);
        }
        JACK_NUMBER => {
            person.given_name = "Jack".into();
            person.family_name = "Morales".into();
            person.gender = "male";
            person.birth_date = date(1955, 8, 2);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_follow_the_documented_pattern() {
        assert_eq!(username(0), "BBUser00000");
        assert_eq!(password(29_999), "PW29999!");
        assert_eq!(number_of("BBUser00042"), Some(42));
        assert_eq!(number_of("BBUser30000"), None);
        assert_eq!(number_of("BBUser0042"), None);
        assert_eq!(number_of("bbuser00042"), None);
    }

    #[test]
    fn the_featured_enrollee_is_the_documented_jane_doe() {
        let jane = person(FEATURED_NUMBER);
        assert_eq!(jane.fhir_id, FEATURED_FHIR_ID);
        assert_eq!(
            (jane.given_name.as_str(), jane.family_name.as_str()),
            ("Jane", "Doe")
        );
        assert_eq!(jane.username, "BBUser29999");
        assert_eq!(person(LUCILLE_NUMBER).given_name, "Lucille");
        assert_eq!(person(JACK_NUMBER).gender, "male");
    }

    #[test]
    fn every_enrollee_is_distinct_and_generated_identically_twice() {
        let ids: std::collections::HashSet<String> = (0..POPULATION).map(fhir_id).collect();
        assert_eq!(
            ids.len(),
            POPULATION as usize,
            "no two enrollees share a Patient id"
        );
        for n in [0, 17, 12_345, 29_998] {
            assert_eq!(person(n), person(n));
        }
        let mbi = person(5).mbi;
        assert_eq!(mbi.len(), 11);
        assert!(mbi.chars().next().unwrap().is_ascii_digit() && mbi.chars().next() != Some('0'));
        assert!(!mbi.contains(['S', 'L', 'O', 'I', 'B', 'Z']));
    }
}

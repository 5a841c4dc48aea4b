//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP), the second
//! factor that issue 18 requires of reviewers and admins: plain functions of a
//! secret and the injected clock's time, so the RFC's own test vectors pin them.
//!
//! Authenticator apps expect SHA-1, 6 digits and 30-second steps, so those are
//! the defaults; a code one step early or late is accepted for clock drift,
//! and a step already used is refused, so a code seen over a shoulder cannot
//! be replayed within its window.
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use rand::RngCore;

/// Seconds per step (RFC 6238 §4's default, and every authenticator's).
pub const STEP_SECONDS: i64 = 30;
/// Digits in a code.
pub const DIGITS: u32 = 6;
/// Steps before and after the current one that are still accepted.
const DRIFT_STEPS: i64 = 1;

/// A TOTP secret: 160 random bits, RFC 4226's recommended length for SHA-1.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(…)")
    }
}

impl TotpSecret {
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; 20];
        rand::thread_rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The secret as base32 without padding, as people type it into an app.
    pub fn to_base32(&self) -> String {
        data_encoding::BASE32_NOPAD.encode(&self.0)
    }

    /// Reads a secret typed or stored as base32 (spaces and case ignored).
    pub fn from_base32(text: &str) -> Option<Self> {
        let cleaned: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bytes = data_encoding::BASE32_NOPAD
            .decode(cleaned.as_bytes())
            .ok()?;
        (!bytes.is_empty()).then_some(Self(bytes))
    }

    /// The `otpauth://` URI that authenticator apps read from a QR code
    /// (Google Authenticator's key-URI format, which the others follow).
    pub fn provisioning_uri(&self, issuer: &str, account: &str) -> String {
        let encode = |s: &str| {
            percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
        };
        format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
            encode(issuer),
            encode(account),
            self.to_base32(),
            encode(issuer),
        )
    }
}

/// RFC 4226 §5.3: HMAC-SHA-1 of the counter, dynamically truncated.
fn hotp(secret: &TotpSecret, counter: u64, digits: u32) -> u32 {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&secret.0).expect("HMAC takes any key length");
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[hash.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        hash[offset] & 0x7f,
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]);
    binary % 10u32.pow(digits)
}

/// The step `time` falls in (none before 1970: no code is valid then).
pub fn step_at(time: DateTime<Utc>) -> Option<u64> {
    u64::try_from(time.timestamp().div_euclid(STEP_SECONDS)).ok()
}

/// The code for `time`, zero-padded to [`DIGITS`].
pub fn code_at(secret: &TotpSecret, time: DateTime<Utc>) -> Option<String> {
    let step = step_at(time)?;
    Some(format!(
        "{:0width$}",
        hotp(secret, step, DIGITS),
        width = DIGITS as usize
    ))
}

/// Checks a presented code at `now`: the step it matches, if it is within
/// the drift window and later than `last_used_step` (each step works once).
/// Store the returned step as the new `last_used_step`.
pub fn verify(
    secret: &TotpSecret,
    presented: &str,
    now: DateTime<Utc>,
    last_used_step: Option<u64>,
) -> Option<u64> {
    let presented: String = presented.chars().filter(|c| !c.is_whitespace()).collect();
    if presented.len() != DIGITS as usize || !presented.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let presented: u32 = presented.parse().ok()?;
    let current = i64::try_from(step_at(now)?).ok()?;
    (current - DRIFT_STEPS..=current + DRIFT_STEPS)
        .filter_map(|step| u64::try_from(step).ok())
        .filter(|step| last_used_step.is_none_or(|used| *step > used))
        // Compared in constant time, like every secret here.
        .find(|step| {
            use subtle::ConstantTimeEq;
            hotp(secret, *step, DIGITS).ct_eq(&presented).into()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap()
    }

    /// RFC 6238 Appendix B, SHA-1 rows (8 digits there).
    #[test]
    fn the_rfc_6238_test_vectors() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890".to_vec());
        for (time, expected) in [
            (59, 94_287_082),
            (1_111_111_109, 7_081_804),
            (1_111_111_111, 14_050_471),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
            (20_000_000_000, 65_353_130),
        ] {
            let step = step_at(at(time)).unwrap();
            assert_eq!(hotp(&secret, step, 8), expected, "T = {time}");
        }
    }

    /// RFC 4226 Appendix D: counters 0 to 9, 6 digits.
    #[test]
    fn the_rfc_4226_test_vectors() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890".to_vec());
        let expected = [
            755_224, 287_082, 359_152, 969_429, 338_314, 254_676, 287_922, 162_583, 399_871,
            520_489,
        ];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(hotp(&secret, counter as u64, 6), *code, "counter {counter}");
        }
    }

    #[test]
    fn a_code_works_within_one_step_of_drift_and_only_once() {
        let secret = TotpSecret::generate();
        let now = at(1_900_000_015);
        let code = code_at(&secret, now).unwrap();
        let step = verify(&secret, &code, now, None).expect("the current code");
        assert_eq!(verify(&secret, &code, now, Some(step)), None, "replayed");
        let late = verify(&secret, &code, now + chrono::Duration::seconds(30), None);
        assert_eq!(late, Some(step), "one step late is drift");
        assert_eq!(
            verify(&secret, &code, now + chrono::Duration::seconds(75), None),
            None
        );
        assert_eq!(
            verify(&secret, &code, now - chrono::Duration::seconds(60), None),
            None
        );
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(verify(&secret, &spaced, now, None), Some(step));
        for bad in ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦"] {
            assert_eq!(verify(&secret, bad, now, None), None, "{bad:?}");
        }
        assert_eq!(code_at(&secret, at(-1)), None, "no code before 1970");
    }

    #[test]
    fn the_secret_round_trips_through_base32_and_the_uri() {
        let secret = TotpSecret::generate();
        let text = secret.to_base32();
        assert_eq!(text.len(), 32);
        let typed = text
            .to_lowercase()
            .chars()
            .collect::<Vec<_>>()
            .chunks(4)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(TotpSecret::from_base32(&typed), Some(secret.clone()));
        let uri = secret.provisioning_uri("Blue Button 2.0 API", "rae@cms.example.gov");
        assert!(
            uri.starts_with(
                "otpauth://totp/Blue%20Button%202%2E0%20API:rae%40cms%2Eexample%2Egov?secret="
            ),
            "{uri}"
        );
        assert!(uri.contains(&format!("secret={text}&")));
        assert_eq!(format!("{secret:?}"), "TotpSecret(…)", "never printed");
    }
}

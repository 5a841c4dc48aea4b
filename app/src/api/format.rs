//! Ids the portal is given and times it shows, written one way for every
//! page. Times are in Eastern time, the program's own zone (as the demo slots
//! and due dates already were), computed on the server so that they read the
//! same without JavaScript; a time of day names its zone (EST or EDT). Before
//! this module, applicants saw UTC where reviewers saw Eastern, and a date
//! could be a day off after 7 p.m. Eastern.
use chrono::{DateTime, Utc};

use crate::error::AppError;

/// An id from a URL or a form, parsed whole. Anything else gets `missing`,
/// the same answer as an id that names nothing the viewer may see.
pub fn id(raw: &str, missing: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw).map_err(|_| AppError::Message(missing.into()))
}

/// The day of `at` in Eastern time: "March 4, 2031".
pub fn date(at: DateTime<Utc>) -> String {
    at.with_timezone(&server::calendar::eastern_offset(at))
        .format("%B %-d, %Y")
        .to_string()
}

/// `at` to the minute in Eastern time: "March 4, 2031, 3:05 PM EST".
pub fn date_time(at: DateTime<Utc>) -> String {
    server::calendar::format_eastern(at, "%B %-d, %Y, %-I:%M %p")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evenings_keep_their_eastern_day_and_name_their_zone() {
        // 02:30 UTC on March 5 is still the evening of March 4 in New York.
        let evening = "2031-03-05T02:30:00Z".parse().unwrap();
        assert_eq!(date(evening), "March 4, 2031");
        assert_eq!(date_time(evening), "March 4, 2031, 9:30 PM EST");
        let summer = "2031-07-01T16:05:00Z".parse().unwrap();
        assert_eq!(date_time(summer), "July 1, 2031, 12:05 PM EDT");
    }

    #[test]
    fn ids_are_parsed_whole_or_refused() {
        let whole = "0b9f5c1e-6a3e-4c1b-9a8e-3f2d1c0b9a87";
        assert_eq!(id(whole, "no").unwrap().to_string(), whole);
        // 96 of the 128 bits, the truncation of the seeds' incident.
        assert!(id(&whole[..28], "no").is_err());
        assert!(id(&format!("{whole}0"), "no").is_err());
    }
}

//! US federal working time: the eleven federal holidays (with their
//! weekend observance rules), closure days an admin adds, business days, and
//! business hours (9:00–17:00 Eastern time) for service-level clocks.
use std::collections::BTreeSet;

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday,
};

/// Business hours, Eastern time.
const OPENS: u32 = 9;
const CLOSES: u32 = 17;

/// The federal calendar plus any extra closure days (snow days, shutdowns).
#[derive(Clone, Debug, Default)]
pub struct FederalCalendar {
    closures: BTreeSet<NaiveDate>,
}

fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u8) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, n).expect("valid nth weekday")
}

fn last_weekday(year: i32, month: u32, weekday: Weekday) -> NaiveDate {
    let next_month = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .expect("valid date");
    let mut day = next_month - Duration::days(1);
    while day.weekday() != weekday {
        day -= Duration::days(1);
    }
    day
}

/// A fixed-date holiday falling on Saturday is observed the Friday before, on
/// Sunday the Monday after (5 U.S.C. 6103(b)).
fn observed(date: NaiveDate) -> NaiveDate {
    match date.weekday() {
        Weekday::Sat => date - Duration::days(1),
        Weekday::Sun => date + Duration::days(1),
        _ => date,
    }
}

/// The federal holidays observed in `year`, with their names. New Year's Day of
/// the next year may be observed on December 31 of this one, so it is included.
pub fn federal_holidays(year: i32) -> Vec<(NaiveDate, &'static str)> {
    let fixed = |month, day| NaiveDate::from_ymd_opt(year, month, day).expect("valid date");
    let mut holidays = vec![
        (observed(fixed(1, 1)), "New Year's Day"),
        (
            nth_weekday(year, 1, Weekday::Mon, 3),
            "Birthday of Martin Luther King, Jr.",
        ),
        (
            nth_weekday(year, 2, Weekday::Mon, 3),
            "Washington's Birthday",
        ),
        (last_weekday(year, 5, Weekday::Mon), "Memorial Day"),
        (observed(fixed(7, 4)), "Independence Day"),
        (nth_weekday(year, 9, Weekday::Mon, 1), "Labor Day"),
        (nth_weekday(year, 10, Weekday::Mon, 2), "Columbus Day"),
        (observed(fixed(11, 11)), "Veterans Day"),
        (nth_weekday(year, 11, Weekday::Thu, 4), "Thanksgiving Day"),
        (observed(fixed(12, 25)), "Christmas Day"),
    ];
    // Juneteenth became a federal holiday in 2021.
    if year >= 2021 {
        holidays.push((
            observed(fixed(6, 19)),
            "Juneteenth National Independence Day",
        ));
    }
    // January 1 of next year, observed on the Friday before: absent only
    // past chrono's last year, which input never reaches.
    if let Some(next_new_year) = NaiveDate::from_ymd_opt(year + 1, 1, 1).map(observed) {
        if next_new_year.year() == year {
            holidays.push((next_new_year, "New Year's Day"));
        }
    }
    holidays.retain(|(d, _)| d.year() == year);
    holidays.sort();
    holidays
}

/// Eastern time's offset from UTC at `at`: daylight time (UTC−4) from the
/// second Sunday of March, 2:00 local, to the first Sunday of November, 2:00 local.
pub fn eastern_offset(at: DateTime<Utc>) -> chrono::FixedOffset {
    let year = at.year();
    let dst_starts = nth_weekday(year, 3, Weekday::Sun, 2)
        .and_hms_opt(7, 0, 0)
        .expect("valid");
    let dst_ends = nth_weekday(year, 11, Weekday::Sun, 1)
        .and_hms_opt(6, 0, 0)
        .expect("valid");
    let naive = at.naive_utc();
    let hours = if naive >= dst_starts && naive < dst_ends {
        4
    } else {
        5
    };
    chrono::FixedOffset::west_opt(hours * 3600).expect("valid offset")
}

/// `at` in Eastern time with `pattern` (chrono format) and the zone, like "EST".
pub fn format_eastern(at: DateTime<Utc>, pattern: &str) -> String {
    let offset = eastern_offset(at);
    let zone = if offset.local_minus_utc() == -4 * 3600 {
        "EDT"
    } else {
        "EST"
    };
    format!("{} {zone}", at.with_timezone(&offset).format(pattern))
}

/// `local` (a wall-clock time in Eastern time) as UTC.
pub fn eastern_to_utc(local: NaiveDateTime) -> DateTime<Utc> {
    // Business hours never fall in the 1:00–2:00 transition hours, so trying
    // standard time and checking is enough.
    let standard = Utc.from_utc_datetime(&(local + Duration::hours(5)));
    let offset = eastern_offset(standard);
    Utc.from_utc_datetime(&(local - Duration::seconds(offset.local_minus_utc() as i64)))
}

impl FederalCalendar {
    pub fn with_closures(closures: impl IntoIterator<Item = NaiveDate>) -> Self {
        Self {
            closures: closures.into_iter().collect(),
        }
    }

    /// Why federal offices are closed on `date`, if they are.
    pub fn closed_because(&self, date: NaiveDate) -> Option<&'static str> {
        match date.weekday() {
            Weekday::Sat | Weekday::Sun => return Some("weekend"),
            _ => {}
        }
        if let Some((_, name)) = federal_holidays(date.year())
            .into_iter()
            .find(|(d, _)| *d == date)
        {
            return Some(name);
        }
        self.closures.contains(&date).then_some("closure")
    }

    pub fn is_business_day(&self, date: NaiveDate) -> bool {
        self.closed_because(date).is_none()
    }

    /// The end of the `days`-th business day after the day of `from` (Eastern
    /// time): a change submitted at any hour of Monday with 5 days is due at
    /// the end of the next Monday.
    pub fn add_business_days(&self, from: DateTime<Utc>, days: u32) -> DateTime<Utc> {
        let mut date = (from.naive_utc()
            + Duration::seconds(eastern_offset(from).local_minus_utc() as i64))
        .date();
        let mut left = days;
        while left > 0 {
            date += Duration::days(1);
            if self.is_business_day(date) {
                left -= 1;
            }
        }
        eastern_to_utc(date.and_time(NaiveTime::from_hms_opt(CLOSES, 0, 0).expect("valid")))
    }

    /// The moment `hours` business hours after `from`.
    pub fn add_business_hours(&self, from: DateTime<Utc>, hours: u32) -> DateTime<Utc> {
        let mut left = Duration::hours(hours as i64);
        let offset = eastern_offset(from).local_minus_utc() as i64;
        let mut local = from.naive_utc() + Duration::seconds(offset);
        loop {
            let date = local.date();
            let opens = date.and_time(NaiveTime::from_hms_opt(OPENS, 0, 0).expect("valid"));
            let closes = date.and_time(NaiveTime::from_hms_opt(CLOSES, 0, 0).expect("valid"));
            if self.is_business_day(date) && local < closes {
                let start = local.max(opens);
                let available = closes - start;
                if left <= available {
                    return eastern_to_utc(start + left);
                }
                left -= available;
            }
            local = (date + Duration::days(1)).and_time(NaiveTime::MIN);
        }
    }

    /// Business time between two moments (zero if `to` is earlier).
    pub fn business_time_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        if to <= from {
            return Duration::zero();
        }
        let to_local = |t: DateTime<Utc>| {
            t.naive_utc() + Duration::seconds(eastern_offset(t).local_minus_utc() as i64)
        };
        let (mut local, end) = (to_local(from), to_local(to));
        let mut total = Duration::zero();
        while local < end {
            let date = local.date();
            let opens = date.and_time(NaiveTime::from_hms_opt(OPENS, 0, 0).expect("valid"));
            let closes = date.and_time(NaiveTime::from_hms_opt(CLOSES, 0, 0).expect("valid"));
            if self.is_business_day(date) {
                let start = local.max(opens);
                let stop = end.min(closes);
                if stop > start {
                    total += stop - start;
                }
            }
            local = (date + Duration::days(1)).and_time(NaiveTime::MIN);
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// An Eastern wall-clock time as UTC.
    fn et(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        eastern_to_utc(date(y, m, d).and_hms_opt(h, min, 0).unwrap())
    }

    #[test]
    fn the_holiday_rules_over_several_years_match_opm() {
        // OPM's published federal holiday dates.
        let expected: &[(i32, &[(u32, u32)])] = &[
            (
                2021,
                &[
                    (1, 1),
                    (1, 18),
                    (2, 15),
                    (5, 31),
                    (6, 18),
                    (7, 5),
                    (9, 6),
                    (10, 11),
                    (11, 11),
                    (11, 25),
                    (12, 24),
                    (12, 31),
                ],
            ),
            (
                2022,
                &[
                    (1, 17),
                    (2, 21),
                    (5, 30),
                    (6, 20),
                    (7, 4),
                    (9, 5),
                    (10, 10),
                    (11, 11),
                    (11, 24),
                    (12, 26),
                ],
            ),
            (
                2023,
                &[
                    (1, 2),
                    (1, 16),
                    (2, 20),
                    (5, 29),
                    (6, 19),
                    (7, 4),
                    (9, 4),
                    (10, 9),
                    (11, 10),
                    (11, 23),
                    (12, 25),
                ],
            ),
            (
                2026,
                &[
                    (1, 1),
                    (1, 19),
                    (2, 16),
                    (5, 25),
                    (6, 19),
                    (7, 3),
                    (9, 7),
                    (10, 12),
                    (11, 11),
                    (11, 26),
                    (12, 25),
                ],
            ),
            (
                2027,
                &[
                    (1, 1),
                    (1, 18),
                    (2, 15),
                    (5, 31),
                    (6, 18),
                    (7, 5),
                    (9, 6),
                    (10, 11),
                    (11, 11),
                    (11, 25),
                    (12, 24),
                    (12, 31),
                ],
            ),
        ];
        for (year, days) in expected {
            let got: Vec<(u32, u32)> = federal_holidays(*year)
                .iter()
                .map(|(d, _)| (d.month(), d.day()))
                .collect();
            assert_eq!(&got, days, "{year}");
        }
        // Before 2021 there was no Juneteenth holiday.
        assert!(federal_holidays(2020).iter().all(|(d, _)| d.month() != 6));
    }

    #[test]
    fn weekends_holidays_and_closures_are_not_business_days() {
        let calendar = FederalCalendar::with_closures([date(2026, 12, 24)]);
        assert_eq!(calendar.closed_because(date(2026, 11, 28)), Some("weekend"));
        assert_eq!(
            calendar.closed_because(date(2026, 11, 26)),
            Some("Thanksgiving Day")
        );
        assert_eq!(calendar.closed_because(date(2026, 12, 24)), Some("closure"));
        assert!(calendar.is_business_day(date(2026, 11, 27)));
    }

    #[test]
    fn eastern_time_follows_daylight_saving() {
        assert_eq!(
            eastern_offset(et(2026, 1, 15, 12, 0)).local_minus_utc(),
            -5 * 3600
        );
        assert_eq!(
            eastern_offset(et(2026, 7, 15, 12, 0)).local_minus_utc(),
            -4 * 3600
        );
        // 2026: daylight time from March 8 to November 1.
        assert_eq!(
            et(2026, 3, 9, 9, 0).to_rfc3339(),
            "2026-03-09T13:00:00+00:00"
        );
        assert_eq!(
            et(2026, 3, 6, 9, 0).to_rfc3339(),
            "2026-03-06T14:00:00+00:00"
        );
        assert_eq!(
            et(2026, 11, 2, 9, 0).to_rfc3339(),
            "2026-11-02T14:00:00+00:00"
        );
    }

    #[test]
    fn twenty_four_business_hours_skip_nights_weekends_and_holidays() {
        let calendar = FederalCalendar::default();
        // Tuesday 10:00 → Tue 7 h, (Veterans Day), Thu 8 (15), Fri 8 (23), Mon 1 → Monday 10:00.
        assert_eq!(
            calendar.add_business_hours(et(2026, 11, 10, 10, 0), 24),
            et(2026, 11, 16, 10, 0)
        );
        // Friday 16:00 → Fri 1 h, Mon 8 (9), Tue 8 (17), Wed 7 → Wednesday 16:00.
        assert_eq!(
            calendar.add_business_hours(et(2026, 10, 2, 16, 0), 24),
            et(2026, 10, 7, 16, 0)
        );
        // Friday 16:00 before Columbus Day: Monday is skipped too.
        assert_eq!(
            calendar.add_business_hours(et(2026, 10, 9, 16, 0), 24),
            et(2026, 10, 15, 16, 0)
        );
        // Submitted on Saturday: the clock starts Monday 9:00.
        assert_eq!(
            calendar.add_business_hours(et(2026, 10, 3, 11, 0), 24),
            et(2026, 10, 7, 17, 0)
        );
        // Late at night counts from the next morning.
        assert_eq!(
            calendar.add_business_hours(et(2026, 10, 6, 22, 0), 8),
            et(2026, 10, 7, 17, 0)
        );
        // Across Thanksgiving: Wed 25th 15:00 → Wed 2 h, Fri 8 (10), Mon 8 (18), Tue 6 → Tuesday Dec 1 15:00.
        assert_eq!(
            calendar.add_business_hours(et(2026, 11, 25, 15, 0), 24),
            et(2026, 12, 1, 15, 0)
        );
    }

    #[test]
    fn business_time_between_counts_only_open_hours() {
        let calendar = FederalCalendar::default();
        let from = et(2026, 10, 2, 16, 0);
        let due = calendar.add_business_hours(from, 24);
        assert_eq!(
            calendar.business_time_between(from, due),
            Duration::hours(24)
        );
        assert_eq!(
            calendar.business_time_between(et(2026, 10, 3, 0, 0), et(2026, 10, 5, 0, 0)),
            Duration::zero(),
            "a weekend"
        );
        assert_eq!(calendar.business_time_between(due, from), Duration::zero());
    }

    /// Every observed federal holiday of 2021–2030: a change submitted on the
    /// holiday, or at 4:30 pm on the business day before it, is due at the
    /// end of the fifth weekday after the submission day that is not a
    /// holiday. Counted here from the holiday list alone, by another route
    /// than `add_business_days`.
    #[test]
    fn five_business_days_skip_every_holiday_rule_across_ten_years() {
        let calendar = FederalCalendar::default();
        let holidays: Vec<NaiveDate> = (2020..=2031)
            .flat_map(|y| federal_holidays(y).into_iter().map(|(d, _)| d))
            .collect();
        let working =
            |d: &NaiveDate| d.weekday().number_from_monday() <= 5 && !holidays.contains(d);
        let expected_due = |submitted: NaiveDate| {
            let due = submitted
                .iter_days()
                .skip(1)
                .filter(working)
                .nth(4)
                .expect("a fifth working day");
            et(due.year(), due.month(), due.day(), 17, 0)
        };
        let mut checked = 0;
        for year in 2021..=2030 {
            for (holiday, name) in federal_holidays(year) {
                let at = et(holiday.year(), holiday.month(), holiday.day(), 12, 0);
                assert_eq!(
                    calendar.add_business_days(at, 5),
                    expected_due(holiday),
                    "submitted on {name} {holiday}"
                );
                let before = holiday
                    .iter_days()
                    .rev()
                    .skip(1)
                    .find(working)
                    .expect("a working day before");
                let late = et(before.year(), before.month(), before.day(), 16, 30);
                assert_eq!(
                    calendar.add_business_days(late, 5),
                    expected_due(before),
                    "late before {name} {holiday}"
                );
                checked += 1;
            }
        }
        // 10 or 11 holidays a year (Juneteenth from 2021), all of them checked.
        assert_eq!(checked, 110);
    }

    #[test]
    fn five_business_days_end_at_close_of_business() {
        let calendar = FederalCalendar::default();
        // Submitted Monday Nov 23 2026 → Tue, Wed, (Thanksgiving), Fri, Mon, Tue → Tuesday Dec 1, 17:00.
        assert_eq!(
            calendar.add_business_days(et(2026, 11, 23, 10, 0), 5),
            et(2026, 12, 1, 17, 0)
        );
        // Submitted late on a Friday counts from that Friday.
        assert_eq!(
            calendar.add_business_days(et(2026, 10, 16, 23, 30), 5),
            et(2026, 10, 23, 17, 0)
        );
        // Submitted on a holiday: the holiday itself is not counted.
        assert_eq!(
            calendar.add_business_days(et(2026, 7, 3, 12, 0), 5),
            et(2026, 7, 10, 17, 0)
        );
    }
}

/// Closure days as admins keep them: stored, listed, added and removed.
pub mod closures {
    use chrono::{DateTime, NaiveDate, Utc};
    use sea_orm::{
        ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
        QueryOrder, Set,
    };

    use super::FederalCalendar;
    use crate::errors::Common;
    use crate::{
        accounts::CurrentUser,
        audit::{self, AuditContext, AuditRecord},
        entities::closure_day,
        validation::FieldErrors,
    };

    #[derive(Debug, thiserror::Error)]
    pub enum ClosureError {
        /// Refusals and failures every feature has; see [`crate::errors`].
        #[error(transparent)]
        Common(Common),
    }

    crate::wraps_common!(ClosureError);

    /// The federal calendar with every stored closure day.
    pub async fn calendar(db: &impl ConnectionTrait) -> Result<FederalCalendar, DbErr> {
        let days = closure_day::Entity::find().all(db).await?;
        Ok(FederalCalendar::with_closures(
            days.into_iter().map(|d| d.day),
        ))
    }

    /// Closure days from `from` on, earliest first.
    pub async fn upcoming(
        db: &impl ConnectionTrait,
        from: NaiveDate,
    ) -> Result<Vec<closure_day::Model>, DbErr> {
        closure_day::Entity::find()
            .filter(closure_day::Column::Day.gte(from))
            .order_by_asc(closure_day::Column::Day)
            .all(db)
            .await
    }

    fn require_admin(user: &CurrentUser) -> Result<(), ClosureError> {
        if user.role == crate::ids::Role::Admin {
            Ok(())
        } else {
            Err(ClosureError::Common(Common::Forbidden))
        }
    }

    fn invalid(field: &str, message: &str) -> ClosureError {
        let mut errors = FieldErrors::new();
        errors.add(field, message);
        ClosureError::from(errors)
    }

    /// Adds a closure day (a weekday that is not already a holiday).
    pub async fn add(
        db: &sea_orm::DatabaseConnection,
        ctx: &AuditContext,
        admin: &CurrentUser,
        day: NaiveDate,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ClosureError> {
        require_admin(admin)?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 200 {
            return Err(invalid(
                "reason",
                "Say why offices are closed (up to 200 characters).",
            ));
        }
        if let Some(why) = FederalCalendar::default().closed_because(day) {
            return Err(invalid(
                "day",
                &format!("Offices are already closed that day ({why})."),
            ));
        }
        let txn = crate::db::begin_write(db).await?;
        if closure_day::Entity::find_by_id(day)
            .one(&txn)
            .await?
            .is_some()
        {
            return Err(invalid("day", "That day is already a closure day."));
        }
        closure_day::ActiveModel {
            day: Set(day),
            reason: Set(reason.into()),
            created_by: Set(admin.id.0),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            ctx,
            now,
            AuditRecord::new("calendar.closure_added", "closure_day", day)
                .after(serde_json::json!({ "reason": reason })),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Removes a closure day.
    pub async fn remove(
        db: &sea_orm::DatabaseConnection,
        ctx: &AuditContext,
        admin: &CurrentUser,
        day: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<(), ClosureError> {
        require_admin(admin)?;
        let txn = crate::db::begin_write(db).await?;
        let Some(existing) = closure_day::Entity::find_by_id(day).one(&txn).await? else {
            return Err(invalid("day", "That day is not a closure day."));
        };
        closure_day::Entity::delete_by_id(day).exec(&txn).await?;
        audit::record(
            &txn,
            ctx,
            now,
            AuditRecord::new("calendar.closure_removed", "closure_day", day)
                .before(serde_json::json!({ "reason": existing.reason })),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}

//! Dates and instants.
//!
//! An instant is a [`Timestamp`]: milliseconds since the Unix epoch, UTC. A
//! calendar day is a [`Date`] (`YYYY-MM-DD`), always meant in the
//! consortium's time zone, Europe/Warsaw: a contact at 23:30 on 31 January
//! in Warsaw belongs to January even though it is 22:30 UTC.

use std::fmt;
use std::str::FromStr;

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Warsaw;
use serde::{Deserialize, Serialize};

/// An instant: milliseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Now, from the system clock.
    pub fn now() -> Self {
        Self(Utc::now().timestamp_millis())
    }

    /// The calendar day of this instant in Europe/Warsaw.
    pub fn warsaw_date(&self) -> Date {
        let utc = DateTime::<Utc>::from_timestamp_millis(self.0).unwrap_or_default();
        Date(utc.with_timezone(&Warsaw).date_naive())
    }

    /// RFC 3339 in Europe/Warsaw, for display and exports.
    pub fn warsaw_rfc3339(&self) -> String {
        let utc = DateTime::<Utc>::from_timestamp_millis(self.0).unwrap_or_default();
        utc.with_timezone(&Warsaw).to_rfc3339()
    }
}

impl Reconcile for Timestamp {
    type Key<'a> = autosurgeon::reconcile::NoKey;
    fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.timestamp(self.0)
    }
}

impl Hydrate for Timestamp {
    fn hydrate_timestamp(t: i64) -> Result<Self, HydrateError> {
        Ok(Self(t))
    }
    fn hydrate_int(t: i64) -> Result<Self, HydrateError> {
        Ok(Self(t))
    }
}

/// A calendar day in Europe/Warsaw.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Date(pub NaiveDate);

impl Date {
    /// Today in Europe/Warsaw.
    pub fn today() -> Self {
        Timestamp::now().warsaw_date()
    }

    /// The instant at which this day starts in Europe/Warsaw.
    pub fn start(&self) -> Timestamp {
        let midnight = self.0.and_hms_opt(0, 0, 0).unwrap_or_default();
        let local = Warsaw
            .from_local_datetime(&midnight)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&midnight));
        Timestamp(local.timestamp_millis())
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Date({self})")
    }
}

/// A string that is not a `YYYY-MM-DD` date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a date (expected YYYY-MM-DD): {0:?}")]
pub struct DateError(pub String);

impl FromStr for Date {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, DateError> {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map(Date)
            .map_err(|_| DateError(s.chars().take(40).collect()))
    }
}

impl TryFrom<String> for Date {
    type Error = DateError;
    fn try_from(s: String) -> Result<Self, DateError> {
        s.parse()
    }
}

impl From<Date> for String {
    fn from(date: Date) -> String {
        date.to_string()
    }
}

impl Reconcile for Date {
    type Key<'a> = autosurgeon::reconcile::NoKey;
    fn reconcile<R: Reconciler>(&self, reconciler: R) -> Result<(), R::Error> {
        self.to_string().reconcile(reconciler)
    }
}

impl Hydrate for Date {
    fn hydrate_string(s: &str) -> Result<Self, HydrateError> {
        s.parse()
            .map_err(|e: DateError| HydrateError::unexpected("a date YYYY-MM-DD", e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(ts_utc: &str, expect: &str) {
        let t = DateTime::parse_from_rfc3339(ts_utc).expect("rfc3339");
        assert_eq!(
            Timestamp(t.timestamp_millis()).warsaw_date().to_string(),
            expect
        );
    }

    #[test]
    fn warsaw_days() {
        // Winter: UTC+1. 23:30 Warsaw on 31 January is 22:30 UTC.
        check("2026-01-31T22:30:00Z", "2026-01-31");
        check("2026-01-31T23:30:00Z", "2026-02-01");
        // Summer: UTC+2.
        check("2026-06-30T21:59:59Z", "2026-06-30");
        check("2026-06-30T22:00:00Z", "2026-07-01");
    }

    #[test]
    fn day_start_in_warsaw() {
        let d: Date = "2026-07-01".parse().expect("date");
        let start = DateTime::parse_from_rfc3339("2026-06-30T22:00:00Z").expect("rfc3339");
        assert_eq!(d.start(), Timestamp(start.timestamp_millis()));
    }

    #[test]
    fn bad_dates_are_refused() {
        for bad in ["2026-13-01", "2026-02-30", "yesterday", ""] {
            assert!(bad.parse::<Date>().is_err(), "{bad}");
        }
    }
}

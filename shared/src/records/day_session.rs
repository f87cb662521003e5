//! `day_session`: one day of one day room.
//!
//! Several tablets open the same session offline, so its id is derived from
//! the site and the date ([`DocId::day_session`]) and its first change is a
//! deterministic genesis (see [`crate::document::genesis`]); attendance is a
//! map keyed by person id, so ticks from several tablets merge per person.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::{Record, RecordKind, Tally, record_header};
use crate::ids::{DocId, PersonId, SiteId, SpaceId, UserId};
use crate::time::{Date, Timestamp};
use crate::validate::{ValidationContext, ValidationError, check_id_keys, check_text};

/// One day of one day room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct DaySession {
    pub kind: RecordKind,
    pub schema: u64,
    pub space: SpaceId,
    pub id: DocId,
    pub site: SiteId,
    pub date: Date,
    /// Keyed by person id.
    pub attendance: BTreeMap<String, Attendance>,
    /// Walk-ins who stay anonymous: a counter, so two tablets add up.
    pub anonymous_count: Tally,
    /// Meals served: a counter.
    pub meals: Tally,
    #[autosurgeon(missing = "Default::default")]
    pub staff_note: String,
}

/// One person's attendance on the day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Attendance {
    pub present: bool,
    #[autosurgeon(missing = "Default::default")]
    pub check_in: Option<Timestamp>,
    #[autosurgeon(missing = "Default::default")]
    pub check_out: Option<Timestamp>,
    #[autosurgeon(missing = "Default::default")]
    pub marked_by: Option<UserId>,
}

impl DaySession {
    /// The session of `site` on `date` in `space`, as its genesis holds it:
    /// every device computes exactly this value.
    pub fn genesis_value(space: SpaceId, site: SiteId, date: Date) -> Self {
        DaySession {
            kind: RecordKind::DaySession,
            schema: Self::SCHEMA,
            space,
            id: DocId::day_session(site, &date),
            site,
            date,
            attendance: BTreeMap::new(),
            anonymous_count: Tally::new(0),
            meals: Tally::new(0),
            staff_note: String::new(),
        }
    }

    /// Marks a person present (checked in at `at`).
    pub fn mark_present(&mut self, person: PersonId, by: UserId, at: Timestamp) {
        let entry = self
            .attendance
            .entry(person.to_string())
            .or_insert(Attendance {
                present: true,
                check_in: None,
                check_out: None,
                marked_by: None,
            });
        entry.present = true;
        entry.check_in.get_or_insert(at);
        entry.marked_by = Some(by);
    }

    /// Persons present, parsed.
    pub fn present(&self) -> Vec<PersonId> {
        self.attendance
            .iter()
            .filter(|(_, a)| a.present)
            .filter_map(|(k, _)| k.parse().ok())
            .collect()
    }
}

impl Record for DaySession {
    const KIND: RecordKind = RecordKind::DaySession;
    const SCHEMA: u64 = 1;
    record_header!();

    fn validate(&self, _ctx: &ValidationContext) -> Result<(), ValidationError> {
        if self.space.is_registry() {
            return Err(ValidationError::WrongSpace {
                kind: Self::KIND,
                expected: "a team space",
            });
        }
        if self.id != DocId::day_session(self.site, &self.date) {
            return Err(ValidationError::Invalid {
                field: "id",
                reason: "a day session's id must derive from its site and date",
            });
        }
        check_id_keys::<PersonId>("attendance", self.attendance.keys())?;
        for attendance in self.attendance.values() {
            if let (Some(check_in), Some(check_out)) = (attendance.check_in, attendance.check_out)
                && check_out < check_in
            {
                return Err(ValidationError::Invalid {
                    field: "check_out",
                    reason: "check-out is before check-in",
                });
            }
        }
        if self.anonymous_count.value() < 0 {
            return Err(ValidationError::Negative("anonymous_count"));
        }
        if self.meals.value() < 0 {
            return Err(ValidationError::Negative("meals"));
        }
        check_text("staff_note", &self.staff_note, 10_000)?;
        Ok(())
    }
}

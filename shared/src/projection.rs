//! Projections: what the server's relational rows hold of a record's
//! current state (migrations `0002_projections.sql`), computed without I/O
//! so that the server's incremental projection and its rebuild from stored
//! documents are the same function.
//!
//! Which service a record delivers: a contact the codes ticked; a day
//! session [`DAY_ROOM_SERVICE`]; a workshop [`WORKSHOP_SERVICE`]. Hours are
//! kept in minutes: a contact's duration; a workshop's participants' hours
//! summed; a day session's check-in to check-out summed over those present.

use automerge::Automerge;

use crate::document::{self, AnyRecord, DocError};
use crate::ids::{DocId, OrgId, PersonId, SiteId, SpaceId, UserId};
use crate::records::{Contact, DaySession, Person, Programme, RecordKind, Referral, Workshop};
use crate::search::fold;
use crate::time::{Date, Timestamp};

/// The service a day-room session delivers to everyone present.
pub const DAY_ROOM_SERVICE: &str = "day_room";
/// The service a workshop delivers to its participants.
pub const WORKSHOP_SERVICE: &str = "workshop";

/// A row of `p_persons`.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonRow {
    pub id: PersonId,
    pub alias: String,
    /// Lowercase, without diacritics (`search::fold`).
    pub alias_folded: String,
    pub birth_year: Option<i64>,
    /// `""` when not known.
    pub gender: String,
    pub merged_into: Option<PersonId>,
    pub created_at: Timestamp,
    pub created_day: Date,
    /// Consent withdrawn: alias, birth year and gender are left out.
    pub details_hidden: bool,
    /// After a withdrawal, the organisation that recorded the consent and
    /// alone still receives the entry on its devices (`Some(None)`: a
    /// consent recorded outside any organisation); `None` while the
    /// consent is in force (or none was recorded).
    pub shown_only_to: Option<Option<OrgId>>,
    /// Persons someone said this one is not (`p_distinct`).
    pub distinct_from: Vec<PersonId>,
}

/// A row of `p_records` with its services and persons.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordRow {
    pub doc: DocId,
    pub kind: RecordKind,
    pub space: SpaceId,
    pub site: Option<SiteId>,
    pub worker: Option<UserId>,
    pub at: Timestamp,
    pub day: Date,
    pub place: String,
    pub anonymous_count: i64,
    pub minutes: i64,
    /// `(service code, quantity)`, sorted by code.
    pub services: Vec<(String, i64)>,
    /// `(person, minutes)`, sorted by person.
    pub persons: Vec<(PersonId, i64)>,
}

/// What one document projects to.
#[derive(Debug, Clone, PartialEq)]
pub enum Projection {
    Person(PersonRow),
    Record(RecordRow),
    /// Case work about one person (case notes, a diagnosis, a programme,
    /// a referral): which person it is about (`p_case_notes`), for the
    /// audit log, the timeline and erasure, and the figures the office
    /// counts of programmes and referrals; never the content of notes.
    CaseWork {
        doc: DocId,
        kind: RecordKind,
        space: SpaceId,
        person: PersonId,
        figures: CaseFigures,
    },
    /// Kinds the reports do not read (the catalogue).
    Nothing,
}

/// The rows of `doc`'s current state. The organisation of a record is its
/// space's (the server knows it, so it is not here).
pub fn project(kind: RecordKind, doc: &Automerge) -> Result<Projection, DocError> {
    let header = document::header(doc)?;
    if header.kind != kind {
        return Err(DocError::WrongKind {
            expected: kind,
            found: header.kind,
        });
    }
    Ok(project_record(&AnyRecord::read(doc, &header)?))
}

/// What `record` projects to.
pub fn project_record(record: &AnyRecord) -> Projection {
    match record {
        AnyRecord::Person(person) => Projection::Person(person_row(person)),
        AnyRecord::Contact(contact) => Projection::Record(contact_row(contact)),
        AnyRecord::DaySession(session) => Projection::Record(day_session_row(session)),
        AnyRecord::Workshop(workshop) => Projection::Record(workshop_row(workshop)),
        AnyRecord::CaseNotes(notes) => case_work(
            RecordKind::CaseNotes,
            notes.id,
            notes.space,
            notes.person,
            CaseFigures::None,
        ),
        AnyRecord::Diagnosis(diagnosis) => case_work(
            RecordKind::Diagnosis,
            diagnosis.id,
            diagnosis.space,
            diagnosis.person,
            CaseFigures::None,
        ),
        AnyRecord::Programme(programme) => case_work(
            RecordKind::Programme,
            programme.id,
            programme.space,
            programme.person,
            CaseFigures::Programme(programme_row(programme)),
        ),
        AnyRecord::Referral(referral) => case_work(
            RecordKind::Referral,
            referral.id,
            referral.space,
            referral.person,
            CaseFigures::Referral(referral_row(referral)),
        ),
        AnyRecord::Catalogue(_) => Projection::Nothing,
    }
}

fn case_work(
    kind: RecordKind,
    doc: DocId,
    space: SpaceId,
    person: PersonId,
    figures: CaseFigures,
) -> Projection {
    Projection::CaseWork {
        doc,
        kind,
        space,
        person,
        figures,
    }
}

/// What the office counts of a piece of case work.
#[derive(Debug, Clone, PartialEq)]
pub enum CaseFigures {
    /// Case notes and diagnoses: nothing beyond the person.
    None,
    Programme(ProgrammeRow),
    Referral(ReferralRow),
}

/// A row of `p_programmes`: the days a report counts.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgrammeRow {
    pub opened_on: Date,
    pub agreed_on: Option<Date>,
    pub closed_on: Option<Date>,
    pub outcome: Option<String>,
    /// The days reviews took place, sorted.
    pub reviewed_on: Vec<Date>,
}

/// A row of `p_referrals`: who referred whom where, and when it moved on.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferralRow {
    pub from_org: OrgId,
    pub to_org: Option<OrgId>,
    pub institution: Option<String>,
    pub service: Option<String>,
    pub sent_at: Timestamp,
    pub accepted_at: Option<Timestamp>,
    pub declined_at: Option<Timestamp>,
    pub done_at: Option<Timestamp>,
}

/// The `p_programmes` row of a programme.
pub fn programme_row(programme: &Programme) -> ProgrammeRow {
    let mut reviewed_on: Vec<Date> = programme
        .reviews
        .values()
        .filter_map(|r| r.done_on)
        .collect();
    reviewed_on.sort();
    ProgrammeRow {
        opened_on: programme.opened_on,
        agreed_on: programme.agreed_on,
        closed_on: programme.closed_on,
        outcome: programme.outcome.clone(),
        reviewed_on,
    }
}

/// The `p_referrals` row of a referral.
pub fn referral_row(referral: &Referral) -> ReferralRow {
    ReferralRow {
        from_org: referral.from_org,
        to_org: referral.to_org,
        institution: referral.institution.clone(),
        service: referral.service.clone(),
        sent_at: referral.sent.at,
        accepted_at: referral.accepted.as_ref().map(|s| s.at),
        declined_at: referral.declined.as_ref().map(|s| s.at),
        done_at: referral.done.as_ref().map(|s| s.at),
    }
}

/// The `p_persons` row of a person.
/// A person who withdrew consent keeps only their id, dates and merges
/// here: the office's rows are outside every organisation.
pub fn person_row(person: &Person) -> PersonRow {
    let hidden = person.consent_withdrawn();
    let shown = if hidden {
        person.clone().redacted()
    } else {
        person.clone()
    };
    PersonRow {
        id: person.person_id(),
        alias: shown.alias.clone(),
        alias_folded: fold(&shown.alias),
        birth_year: shown.birth_year,
        gender: shown.gender.0.clone(),
        merged_into: person.merged_into,
        created_at: person.created_at,
        created_day: person.created_at.warsaw_date(),
        details_hidden: hidden,
        shown_only_to: person
            .consent
            .as_ref()
            .filter(|c| c.withdrawn_at.is_some())
            .map(|c| c.org),
        distinct_from: person
            .distinct_from
            .keys()
            .filter_map(|k| k.parse().ok())
            .collect(),
    }
}

/// The `p_records` row of a contact: its duration counts once, whoever
/// was met; each person met is counted with the contact's duration.
pub fn contact_row(contact: &Contact) -> RecordRow {
    let minutes = contact.duration_min.unwrap_or(0).max(0);
    RecordRow {
        doc: contact.id,
        kind: RecordKind::Contact,
        space: contact.space,
        site: None,
        worker: Some(contact.worker),
        at: contact.at,
        day: contact.at.warsaw_date(),
        place: contact.place.clone(),
        anonymous_count: contact.anonymous_count.max(0),
        minutes,
        services: contact
            .services
            .iter()
            .map(|(code, s)| (code.clone(), s.quantity))
            .collect(),
        persons: contact
            .person_ids()
            .into_iter()
            .map(|p| (p, minutes))
            .collect(),
    }
}

/// The `p_records` row of a day session: those present, each with the
/// minutes between check-in and check-out when both are known.
pub fn day_session_row(session: &DaySession) -> RecordRow {
    let persons: Vec<(PersonId, i64)> = session
        .attendance
        .iter()
        .filter(|(_, a)| a.present)
        .filter_map(|(key, a)| {
            let person: PersonId = key.parse().ok()?;
            let minutes = match (a.check_in, a.check_out) {
                (Some(inn), Some(out)) if out.0 >= inn.0 => (out.0 - inn.0) / 60_000,
                _ => 0,
            };
            Some((person, minutes))
        })
        .collect();
    RecordRow {
        doc: session.id,
        kind: RecordKind::DaySession,
        space: session.space,
        site: Some(session.site),
        worker: None,
        at: session.date.start(),
        day: session.date,
        place: String::new(),
        anonymous_count: session.anonymous_count.value().max(0),
        minutes: persons.iter().map(|(_, m)| m).sum(),
        services: vec![(DAY_ROOM_SERVICE.to_string(), 1)],
        persons,
    }
}

/// The `p_records` row of a workshop: its participants with their hours.
pub fn workshop_row(workshop: &Workshop) -> RecordRow {
    let persons: Vec<(PersonId, i64)> = workshop
        .participants
        .iter()
        .filter_map(|(key, p)| {
            let person: PersonId = key.parse().ok()?;
            Some((person, (p.hours.max(0.0) * 60.0).round() as i64))
        })
        .collect();
    RecordRow {
        doc: workshop.id,
        kind: RecordKind::Workshop,
        space: workshop.space,
        site: Some(workshop.site),
        worker: Some(workshop.facilitator),
        at: workshop.date.start(),
        day: workshop.date,
        place: String::new(),
        anonymous_count: 0,
        minutes: persons.iter().map(|(_, m)| m).sum(),
        services: vec![(WORKSHOP_SERVICE.to_string(), 1)],
        persons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::create;
    use crate::ids::DeviceId;
    use crate::records::Participant;

    #[test]
    fn a_contact_late_in_the_evening_counts_on_its_warsaw_day() {
        // 2026-10-31 23:30 UTC is already 1 November in Warsaw (CET, +1).
        let at = Timestamp(1_793_489_400_000);
        let person = PersonId::random();
        let mut contact = Contact::new(SpaceId::random(), UserId::random(), at)
            .with_person(person)
            .with_service("food")
            .with_service("hot_drink");
        contact.duration_min = Some(25);
        contact.anonymous_count = 2;
        let doc = create(&contact, DeviceId::random(), at).expect("create");
        let Projection::Record(row) = project(RecordKind::Contact, &doc).expect("project") else {
            panic!("a contact projects to a record row");
        };
        assert_eq!(row.day.to_string(), "2026-11-01");
        assert_eq!(row.minutes, 25);
        assert_eq!(row.anonymous_count, 2);
        assert_eq!(
            row.services,
            vec![("food".to_string(), 1), ("hot_drink".to_string(), 1)]
        );
        assert_eq!(row.persons, vec![(person, 25)]);
    }

    #[test]
    fn a_workshop_counts_each_participants_hours() {
        let date: Date = "2026-11-03".parse().expect("date");
        let (a, b) = (PersonId::random(), PersonId::random());
        let mut workshop = Workshop {
            kind: RecordKind::Workshop,
            schema: 1,
            space: SpaceId::random(),
            id: DocId::random(),
            date,
            site: SiteId::random(),
            facilitator: UserId::random(),
            theme: String::new(),
            motif: String::new(),
            materials: String::new(),
            participants: Default::default(),
            items: Default::default(),
        };
        for (person, hours) in [(a, 2.5), (b, 1.0)] {
            workshop.participants.insert(
                person.to_string(),
                Participant {
                    hours,
                    role: String::new(),
                },
            );
        }
        let row = workshop_row(&workshop);
        assert_eq!(row.minutes, 210);
        assert_eq!(row.services, vec![(WORKSHOP_SERVICE.to_string(), 1)]);
        assert_eq!(row.day.to_string(), "2026-11-03");
    }
}

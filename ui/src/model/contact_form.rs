//! The new-contact form: its state, the actions that change it, and the
//! draft it becomes.
//!
//! Built for the three-tap contact: typing in the search box is free, one
//! tap on a result selects the person, one tap on "same as last time"
//! ticks the services shown on the chip, one tap saves. Nothing is ticked
//! without a tap, and nothing typed is lost when a save fails.

use odnowa_shared::api::{ContactDraft, ContactView, PersonView, ServiceView};
use odnowa_shared::ids::{DocId, PersonId};
use odnowa_shared::time::Date;

use crate::model::errors::FormError;
use crate::model::person_form::PersonFields;

/// Whom the contact was with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Who {
    /// Persons picked by alias search (the default: most contacts are with
    /// people the team knows).
    #[default]
    Known,
    /// A person met for the first time, created on save.
    NewPerson,
    /// Nobody named: a head count.
    Anonymous,
}

/// Durations offered as one-tap chips, in minutes.
pub const DURATION_CHIPS: [i64; 5] = [5, 10, 15, 30, 60];

/// The longest contact, in minutes (a day).
const MAX_DURATION_MIN: i64 = 24 * 60;

/// Everything the form holds.
#[derive(Clone, Debug, PartialEq)]
pub struct ContactForm {
    /// The contact being edited; `None` for a new one.
    pub id: Option<DocId>,
    pub who: Who,
    pub query: String,
    pub selected: Vec<PersonView>,
    pub person: PersonFields,
    pub anonymous_count: i64,
    /// Ticked service codes, in the order they were ticked.
    pub services: Vec<String>,
    pub place: String,
    pub duration: String,
    pub note: String,
    pub follow_up: String,
    pub follow_up_due: String,
}

impl Default for ContactForm {
    fn default() -> Self {
        ContactForm {
            id: None,
            who: Who::Known,
            query: String::new(),
            selected: Vec::new(),
            person: PersonFields::default(),
            anonymous_count: 1,
            services: Vec::new(),
            place: String::new(),
            duration: String::new(),
            note: String::new(),
            follow_up: String::new(),
            follow_up_due: String::new(),
        }
    }
}

/// Every change of the form.
#[derive(Clone, Debug, PartialEq)]
pub enum FormAction {
    SetWho(Who),
    SetQuery(String),
    /// Adds a person found by search; the query is cleared for the next one.
    Select(PersonView),
    Unselect(PersonId),
    /// The new person's fields as a whole (the form component hands them
    /// over at once).
    SetPerson(PersonFields),
    SetAlias(String),
    SetBirthYear(String),
    SetGender(String),
    /// The new person agrees (or not) to their services being recorded.
    SetConsent(bool),
    /// Adds `delta` to the anonymous head count (at least 1).
    StepAnonymous(i64),
    ToggleService(String),
    /// Ticks exactly these services (the "same as last time" chip).
    SetServices(Vec<String>),
    SetPlace(String),
    SetDuration(String),
    SetNote(String),
    SetFollowUp(String),
    SetFollowUpDue(String),
    /// The new person was created: from now on the form is about them, so a
    /// retry after a failed save does not create them twice.
    PersonCreated(PersonView),
}

impl ContactForm {
    /// The form for editing `contact`.
    pub fn edit(contact: &ContactView) -> ContactForm {
        ContactForm {
            id: Some(contact.id),
            who: if contact.persons.is_empty() {
                Who::Anonymous
            } else {
                Who::Known
            },
            selected: contact.persons.clone(),
            anonymous_count: contact.anonymous_count.max(1),
            services: contact.services.clone(),
            place: contact.place.clone(),
            duration: contact
                .duration_min
                .map(|m| m.to_string())
                .unwrap_or_default(),
            note: contact.note.clone(),
            follow_up: contact.follow_up.clone(),
            follow_up_due: contact
                .follow_up_due
                .map(|d| d.to_string())
                .unwrap_or_default(),
            ..ContactForm::default()
        }
    }

    /// Applies one action.
    pub fn apply(&mut self, action: FormAction) {
        match action {
            FormAction::SetWho(who) => self.who = who,
            FormAction::SetQuery(query) => self.query = query,
            FormAction::Select(person) => {
                if !self.selected.iter().any(|p| p.id == person.id) {
                    self.selected.push(person);
                }
                self.query.clear();
            }
            FormAction::Unselect(id) => self.selected.retain(|p| p.id != id),
            FormAction::SetPerson(fields) => self.person = fields,
            FormAction::SetAlias(alias) => self.person.alias = alias,
            FormAction::SetBirthYear(year) => self.person.birth_year = year,
            FormAction::SetGender(gender) => self.person.gender = gender,
            FormAction::SetConsent(consent) => self.person.consent = consent,
            FormAction::StepAnonymous(delta) => {
                self.anonymous_count = self.anonymous_count.saturating_add(delta).clamp(1, 999);
            }
            FormAction::ToggleService(code) => {
                if let Some(at) = self.services.iter().position(|c| *c == code) {
                    self.services.remove(at);
                } else {
                    self.services.push(code);
                }
            }
            FormAction::SetServices(codes) => {
                self.services.clear();
                for code in codes {
                    if !self.services.contains(&code) {
                        self.services.push(code);
                    }
                }
            }
            FormAction::SetPlace(place) => self.place = place,
            FormAction::SetDuration(duration) => self.duration = duration,
            FormAction::SetNote(note) => self.note = note,
            FormAction::SetFollowUp(text) => self.follow_up = text,
            FormAction::SetFollowUpDue(due) => self.follow_up_due = due,
            FormAction::PersonCreated(person) => {
                self.person = PersonFields::default();
                self.who = Who::Known;
                self.selected = vec![person];
            }
        }
    }

    /// Whether `code` is ticked.
    pub fn has_service(&self, code: &str) -> bool {
        self.services.iter().any(|c| c == code)
    }

    /// Ids of the selected persons.
    pub fn person_ids(&self) -> Vec<PersonId> {
        self.selected.iter().map(|p| p.id).collect()
    }

    /// The contact draft, or what to fix first. In [`Who::NewPerson`] the
    /// person must have been created: pass their id as `created`.
    pub fn to_draft(
        &self,
        catalogue: &[ServiceView],
        created: Option<PersonId>,
    ) -> Result<ContactDraft, FormError> {
        let (persons, anonymous_count) = match self.who {
            Who::Known if self.selected.is_empty() => return Err(FormError::NobodyMet),
            Who::Known => (self.person_ids(), 0),
            Who::NewPerson => (created.into_iter().collect(), 0),
            Who::Anonymous => (Vec::new(), self.anonymous_count.max(1)),
        };
        if persons.is_empty() && anonymous_count == 0 {
            return Err(FormError::NobodyMet);
        }
        let duration_min = match self.duration.trim() {
            "" => None,
            text => match text.parse::<i64>() {
                Ok(minutes) if (0..=MAX_DURATION_MIN).contains(&minutes) => Some(minutes),
                _ => return Err(FormError::BadDuration),
            },
        };
        let follow_up_due = match self.follow_up_due.trim() {
            "" => None,
            text => Some(text.parse::<Date>().map_err(|_| FormError::BadDate)?),
        };
        Ok(ContactDraft {
            id: self.id,
            persons,
            anonymous_count,
            services: in_catalogue_order(&self.services, catalogue),
            place: self.place.trim().to_string(),
            duration_min,
            note: self.note.trim().to_string(),
            follow_up: self.follow_up.trim().to_string(),
            follow_up_due,
        })
    }
}

/// `codes` sorted as the catalogue lists them; codes the catalogue no
/// longer has (a contact edited after a catalogue change) keep their place
/// at the end, so nothing ticked is dropped.
pub fn in_catalogue_order(codes: &[String], catalogue: &[ServiceView]) -> Vec<String> {
    let mut sorted: Vec<String> = catalogue
        .iter()
        .filter(|s| codes.contains(&s.code))
        .map(|s| s.code.clone())
        .collect();
    for code in codes {
        if !sorted.contains(code) {
            sorted.push(code.clone());
        }
    }
    sorted
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn person(n: u64, alias: &str) -> PersonView {
        PersonView {
            id: format!("00000000-0000-0000-0000-{n:012}")
                .parse()
                .expect("test id"),
            alias: alias.into(),
            birth_year: None,
            gender: String::new(),
            confirmed: true,
            consent: None,
            hidden: false,
        }
    }

    fn services(codes: &[&str]) -> Vec<ServiceView> {
        codes
            .iter()
            .map(|code| ServiceView {
                code: (*code).into(),
                name_pl: code.to_uppercase(),
                name_en: (*code).into(),
            })
            .collect()
    }

    #[test]
    fn three_actions_make_a_contact_with_a_known_person_and_two_services() {
        let catalogue = services(&["food", "drink", "clothes"]);
        let mut form = ContactForm::default();
        form.apply(FormAction::SetQuery("zby".into()));
        form.apply(FormAction::Select(person(1, "Zbyszek")));
        form.apply(FormAction::SetServices(vec!["drink".into(), "food".into()]));
        let draft = form.to_draft(&catalogue, None).expect("valid");
        assert_eq!(draft.persons, vec![person(1, "Zbyszek").id]);
        assert_eq!(draft.services, vec!["food", "drink"]);
        assert_eq!(draft.anonymous_count, 0);
        assert_eq!(
            form.query, "",
            "the search box is ready for the next person"
        );
    }

    #[test]
    fn nothing_is_ticked_before_a_tap() {
        let form = ContactForm::default();
        assert!(form.services.is_empty());
        assert_eq!(form.to_draft(&[], None), Err(FormError::NobodyMet));
    }

    #[test]
    fn toggling_twice_unticks_and_selecting_twice_keeps_one() {
        let mut form = ContactForm::default();
        form.apply(FormAction::ToggleService("food".into()));
        assert!(form.has_service("food"));
        form.apply(FormAction::ToggleService("food".into()));
        assert!(!form.has_service("food"));
        form.apply(FormAction::Select(person(1, "A")));
        form.apply(FormAction::Select(person(1, "A")));
        assert_eq!(form.selected.len(), 1);
        form.apply(FormAction::Unselect(person(1, "A").id));
        assert!(form.selected.is_empty());
    }

    #[test]
    fn anonymous_head_count_stays_at_least_one() {
        let mut form = ContactForm::default();
        form.apply(FormAction::SetWho(Who::Anonymous));
        form.apply(FormAction::StepAnonymous(-5));
        assert_eq!(form.anonymous_count, 1);
        form.apply(FormAction::StepAnonymous(2));
        let draft = form.to_draft(&[], None).expect("valid");
        assert_eq!((draft.anonymous_count, draft.persons.len()), (3, 0));
    }

    #[test]
    fn a_new_person_needs_the_created_id_then_becomes_known() {
        let mut form = ContactForm::default();
        form.apply(FormAction::SetWho(Who::NewPerson));
        form.apply(FormAction::SetAlias("Ala".into()));
        assert_eq!(form.to_draft(&[], None), Err(FormError::NobodyMet));
        form.apply(FormAction::PersonCreated(person(7, "Ala")));
        assert_eq!(form.who, Who::Known);
        let draft = form.to_draft(&[], None).expect("valid");
        assert_eq!(draft.persons, vec![person(7, "Ala").id]);
    }

    #[test]
    fn bad_numbers_and_dates_keep_the_form() {
        let mut form = ContactForm::default();
        form.apply(FormAction::Select(person(1, "A")));
        form.apply(FormAction::SetNote("  ciepło ubrany ".into()));
        for (duration, expect) in [
            ("15", Ok(Some(15))),
            ("", Ok(None)),
            ("-1", Err(FormError::BadDuration)),
            ("kwadrans", Err(FormError::BadDuration)),
            ("2000", Err(FormError::BadDuration)),
        ] {
            form.apply(FormAction::SetDuration(duration.into()));
            assert_eq!(
                form.to_draft(&[], None).map(|d| d.duration_min),
                expect,
                "{duration}"
            );
        }
        form.apply(FormAction::SetDuration(String::new()));
        form.apply(FormAction::SetFollowUpDue("jutro".into()));
        assert_eq!(form.to_draft(&[], None), Err(FormError::BadDate));
        assert_eq!(form.note, "  ciepło ubrany ", "typed text is kept");
        form.apply(FormAction::SetFollowUpDue("2026-11-25".into()));
        let draft = form.to_draft(&[], None).expect("valid");
        assert_eq!(draft.note, "ciepło ubrany");
        assert_eq!(
            draft.follow_up_due.map(|d| d.to_string()).as_deref(),
            Some("2026-11-25")
        );
    }

    #[test]
    fn codes_unknown_to_the_catalogue_are_kept_last() {
        let catalogue = services(&["a", "b"]);
        let codes: Vec<String> = ["old", "b", "a"].iter().map(|c| c.to_string()).collect();
        assert_eq!(
            in_catalogue_order(&codes, &catalogue),
            vec!["a", "b", "old"]
        );
    }
}

//! The workshop form: date, site, theme, local motif, materials,
//! participants with hours, items made with counts.

use odnowa_shared::api::{ItemDraft, ParticipantDraft, PersonView, WorkshopDraft, WorkshopView};
use odnowa_shared::ids::{DocId, PersonId, SiteId};
use odnowa_shared::time::Date;

use crate::i18n::Lang;
use crate::model::errors::FormError;
use crate::model::format;

/// Hours a newly added participant gets (a usual workshop); one tap edits.
pub const DEFAULT_HOURS: &str = "2";

/// A participant row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParticipantRow {
    pub person: PersonId,
    pub alias: String,
    pub hours: String,
}

/// An item row: what was made and how many.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ItemRow {
    pub name: String,
    pub count: String,
}

/// Everything the form holds.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkshopForm {
    pub id: Option<DocId>,
    pub date: String,
    pub site: Option<SiteId>,
    pub theme: String,
    pub motif: String,
    pub materials: String,
    pub query: String,
    pub participants: Vec<ParticipantRow>,
    pub items: Vec<ItemRow>,
}

/// Every change of the form.
#[derive(Clone, Debug, PartialEq)]
pub enum WorkshopAction {
    SetDate(String),
    SetSite(Option<SiteId>),
    SetTheme(String),
    SetMotif(String),
    SetMaterials(String),
    SetQuery(String),
    AddParticipant(PersonView),
    RemoveParticipant(PersonId),
    SetHours(PersonId, String),
    AddItem,
    RemoveItem(usize),
    SetItemName(usize, String),
    SetItemCount(usize, String),
}

impl WorkshopForm {
    /// A new workshop on `today`, at `site` when there is only one to pick.
    pub fn new(today: Date, site: Option<SiteId>) -> WorkshopForm {
        WorkshopForm {
            id: None,
            date: today.to_string(),
            site,
            theme: String::new(),
            motif: String::new(),
            materials: String::new(),
            query: String::new(),
            participants: Vec::new(),
            items: vec![ItemRow::default()],
        }
    }

    /// The form for editing `workshop` (hours written in `lang`).
    pub fn edit(lang: Lang, workshop: &WorkshopView) -> WorkshopForm {
        WorkshopForm {
            id: Some(workshop.id),
            date: workshop.date.to_string(),
            site: Some(workshop.site),
            theme: workshop.theme.clone(),
            motif: workshop.motif.clone(),
            materials: workshop.materials.clone(),
            query: String::new(),
            participants: workshop
                .participants
                .iter()
                .map(|p| ParticipantRow {
                    person: p.person,
                    alias: p.alias.clone(),
                    hours: format::hours(lang, p.hours),
                })
                .collect(),
            items: workshop
                .items
                .iter()
                .map(|item| ItemRow {
                    name: item.name.clone(),
                    count: item.count.to_string(),
                })
                .collect(),
        }
    }

    /// Applies one action.
    pub fn apply(&mut self, action: WorkshopAction) {
        match action {
            WorkshopAction::SetDate(date) => self.date = date,
            WorkshopAction::SetSite(site) => self.site = site,
            WorkshopAction::SetTheme(theme) => self.theme = theme,
            WorkshopAction::SetMotif(motif) => self.motif = motif,
            WorkshopAction::SetMaterials(materials) => self.materials = materials,
            WorkshopAction::SetQuery(query) => self.query = query,
            WorkshopAction::AddParticipant(person) => {
                if !self.participants.iter().any(|p| p.person == person.id) {
                    self.participants.push(ParticipantRow {
                        person: person.id,
                        alias: person.alias,
                        hours: DEFAULT_HOURS.to_string(),
                    });
                }
                self.query.clear();
            }
            WorkshopAction::RemoveParticipant(id) => self.participants.retain(|p| p.person != id),
            WorkshopAction::SetHours(id, hours) => {
                if let Some(row) = self.participants.iter_mut().find(|p| p.person == id) {
                    row.hours = hours;
                }
            }
            WorkshopAction::AddItem => self.items.push(ItemRow::default()),
            WorkshopAction::RemoveItem(at) => {
                if at < self.items.len() {
                    self.items.remove(at);
                }
            }
            WorkshopAction::SetItemName(at, name) => {
                if let Some(item) = self.items.get_mut(at) {
                    item.name = name;
                }
            }
            WorkshopAction::SetItemCount(at, count) => {
                if let Some(item) = self.items.get_mut(at) {
                    item.count = count;
                }
            }
        }
    }

    /// The draft, or what to fix first. Item rows left completely empty
    /// are skipped; an empty count means 1.
    pub fn to_draft(&self) -> Result<WorkshopDraft, FormError> {
        let date: Date = self.date.parse().map_err(|_| FormError::BadDate)?;
        let site = self.site.ok_or(FormError::SiteRequired)?;
        if self.theme.trim().is_empty() {
            return Err(FormError::ThemeRequired);
        }
        let participants = self
            .participants
            .iter()
            .map(|row| {
                format::parse_hours(&row.hours)
                    .map(|hours| ParticipantDraft {
                        person: row.person,
                        hours,
                    })
                    .ok_or(FormError::BadHours)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut items = Vec::new();
        for row in &self.items {
            let (name, count) = (row.name.trim(), row.count.trim());
            if name.is_empty() && count.is_empty() {
                continue;
            }
            if name.is_empty() {
                return Err(FormError::ItemNameRequired);
            }
            let count = match count {
                "" => 1,
                text => text
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0)
                    .ok_or(FormError::BadCount)?,
            };
            items.push(ItemDraft {
                name: name.to_string(),
                count,
                made_by: None,
            });
        }
        Ok(WorkshopDraft {
            id: self.id,
            date,
            site,
            theme: self.theme.trim().to_string(),
            motif: self.motif.trim().to_string(),
            materials: self.materials.trim().to_string(),
            participants,
            items,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(n: u64) -> PersonView {
        PersonView {
            id: format!("00000000-0000-0000-0000-{n:012}")
                .parse()
                .expect("test id"),
            alias: format!("p{n}"),
            birth_year: None,
            gender: String::new(),
            confirmed: true,
            consent: None,
            hidden: false,
        }
    }

    fn site() -> SiteId {
        "00000000-0000-0000-0000-0000000000aa"
            .parse()
            .expect("test id")
    }

    fn filled() -> WorkshopForm {
        let mut form = WorkshopForm::new("2026-11-24".parse().expect("date"), Some(site()));
        form.apply(WorkshopAction::SetTheme(" Torby z banerów ".into()));
        form.apply(WorkshopAction::AddParticipant(person(1)));
        form.apply(WorkshopAction::AddParticipant(person(2)));
        form.apply(WorkshopAction::AddParticipant(person(1)));
        form.apply(WorkshopAction::SetHours(person(2).id, "1,5".into()));
        form.apply(WorkshopAction::SetItemName(0, "torba".into()));
        form.apply(WorkshopAction::SetItemCount(0, "4".into()));
        form.apply(WorkshopAction::AddItem);
        form
    }

    #[test]
    fn a_filled_form_becomes_a_draft() {
        let draft = filled().to_draft().expect("valid");
        assert_eq!(draft.theme, "Torby z banerów");
        let hours: Vec<f64> = draft.participants.iter().map(|p| p.hours).collect();
        assert_eq!(hours, vec![2.0, 1.5]);
        assert_eq!(draft.items.len(), 1, "the empty row is skipped");
        assert_eq!(draft.items[0].count, 4);
    }

    #[test]
    fn what_to_fix() {
        let check = |change: WorkshopAction, expect: FormError| {
            let mut form = filled();
            form.apply(change);
            assert_eq!(form.to_draft().map(|_| ()), Err(expect));
        };
        check(WorkshopAction::SetDate("24.11".into()), FormError::BadDate);
        check(WorkshopAction::SetSite(None), FormError::SiteRequired);
        check(
            WorkshopAction::SetTheme(" ".into()),
            FormError::ThemeRequired,
        );
        check(
            WorkshopAction::SetHours(person(1).id, "30".into()),
            FormError::BadHours,
        );
        check(
            WorkshopAction::SetItemCount(0, "-2".into()),
            FormError::BadCount,
        );
        check(
            WorkshopAction::SetItemName(0, String::new()),
            FormError::ItemNameRequired,
        );
    }

    #[test]
    fn rows_can_be_removed() {
        let mut form = filled();
        form.apply(WorkshopAction::RemoveParticipant(person(1).id));
        form.apply(WorkshopAction::RemoveItem(5));
        form.apply(WorkshopAction::RemoveItem(0));
        assert_eq!(form.participants.len(), 1);
        assert_eq!(form.items.len(), 1);
    }
}

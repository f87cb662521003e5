//! The fields of a new person (alias, optional birth year, gender), shared
//! by the new-contact screen and the day room's walk-in.

use odnowa_shared::api::PersonDraft;
use odnowa_shared::ids::PersonId;

use crate::model::errors::FormError;

/// Gender codes of [`PersonDraft::gender`], in the order the buttons show
/// them; the empty code is "not known".
pub const GENDERS: [&str; 4] = ["f", "m", "x", ""];

/// A new person as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonFields {
    pub alias: String,
    pub birth_year: String,
    pub gender: String,
    /// The person agrees to their services being recorded in the registry.
    pub consent: bool,
    /// Persons the duplicate warning proposed that the worker said are
    /// someone else (remembered on the new person).
    pub distinct_from: Vec<PersonId>,
}

impl PersonFields {
    /// The draft, or what to fix. `this_year` bounds the birth year.
    pub fn to_draft(&self, this_year: i64) -> Result<PersonDraft, FormError> {
        let alias = self.alias.trim();
        if alias.is_empty() {
            return Err(FormError::AliasRequired);
        }
        let birth_year = parse_birth_year(&self.birth_year, this_year)?;
        Ok(PersonDraft {
            alias: alias.to_string(),
            birth_year,
            gender: self.gender.clone(),
            consent: self
                .consent
                .then(|| odnowa_shared::api::CONSENT_SCOPE_SERVICES.to_string()),
            distinct_from: self.distinct_from.clone(),
        })
    }

    /// The draft to look for duplicates with: only the alias must be there
    /// (at least two letters, so one keystroke does not list everyone); a
    /// half-typed birth year is left out.
    pub fn similarity_probe(&self, this_year: i64) -> Option<PersonDraft> {
        let alias = self.alias.trim();
        (alias.chars().count() >= 2).then(|| PersonDraft {
            alias: alias.to_string(),
            birth_year: parse_birth_year(&self.birth_year, this_year).ok().flatten(),
            gender: self.gender.clone(),
            consent: None,
            distinct_from: self.distinct_from.clone(),
        })
    }
}

/// An empty text is "not given"; anything else must be a year from 1900 to
/// `this_year`.
pub fn parse_birth_year(text: &str, this_year: i64) -> Result<Option<i64>, FormError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<i64>() {
        Ok(year) if (1900..=this_year).contains(&year) => Ok(Some(year)),
        _ => Err(FormError::BadBirthYear),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(alias: &str, year: &str) -> PersonFields {
        PersonFields {
            alias: alias.into(),
            birth_year: year.into(),
            gender: "m".into(),
            consent: false,
            distinct_from: Vec::new(),
        }
    }

    #[test]
    fn a_ticked_consent_goes_with_the_draft() {
        let mut ticked = fields("Zbyszek", "");
        ticked.consent = true;
        assert_eq!(
            ticked.to_draft(2026).expect("valid").consent.as_deref(),
            Some("services")
        );
        assert_eq!(
            fields("Zbyszek", "").to_draft(2026).expect("valid").consent,
            None
        );
    }

    #[test]
    fn drafts_trim_and_check() {
        let draft = fields("  Zbyszek ", "1971").to_draft(2026).expect("valid");
        assert_eq!(draft.alias, "Zbyszek");
        assert_eq!(draft.birth_year, Some(1971));
        assert_eq!(
            fields(" ", ""),
            PersonFields {
                alias: " ".into(),
                birth_year: String::new(),
                gender: "m".into(),
                consent: false,
                distinct_from: Vec::new(),
            }
        );
        assert_eq!(
            fields(" ", "").to_draft(2026),
            Err(FormError::AliasRequired)
        );
        assert_eq!(
            fields("Ala", "").to_draft(2026).map(|d| d.birth_year),
            Ok(None)
        );
        for bad in ["1899", "2027", "19x1", "71"] {
            assert_eq!(
                fields("Ala", bad).to_draft(2026),
                Err(FormError::BadBirthYear),
                "{bad}"
            );
        }
    }

    #[test]
    fn duplicates_are_probed_from_two_letters() {
        assert_eq!(fields("Z", "").similarity_probe(2026), None);
        let probe = fields("Zb", "19").similarity_probe(2026).expect("probe");
        assert_eq!(probe.alias, "Zb");
        assert_eq!(probe.birth_year, None);
    }
}

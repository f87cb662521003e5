//! Case work as the screens word it: the names of domains, levels, step
//! statuses, outcomes and referral statuses; a domain's change since the
//! assessment before; the drafts of the case-work forms, checked before
//! they are sent. No browser here (see the module docs of `model`).

use odnowa_shared::api::{
    DiagnosisDraft, DomainDraft, DueKind, EventKind, HouseholdDraft, ProgrammeDraft, ReferralDraft,
    StepDraft,
};
use odnowa_shared::ids::{DocId, OrgId, PersonId};
use odnowa_shared::records::{ReferralStatus, domain, level, outcome, step_status};
use odnowa_shared::time::Date;

use crate::i18n::{Key, Lang, t};

/// The name of a life domain (a code this version does not know is shown
/// as it is).
pub fn domain_name(lang: Lang, code: &str) -> String {
    let key = match code {
        domain::HOUSING => Key::DomainHousing,
        domain::INCOME => Key::DomainIncome,
        domain::HEALTH => Key::DomainHealth,
        domain::MENTAL_HEALTH => Key::DomainMentalHealth,
        domain::ADDICTION => Key::DomainAddiction,
        domain::DOCUMENTS => Key::DomainDocuments,
        domain::WORK => Key::DomainWork,
        domain::FAMILY => Key::DomainFamily,
        domain::LEGAL => Key::DomainLegal,
        domain::DAILY_LIVING => Key::DomainDailyLiving,
        other => return other.to_string(),
    };
    t(lang, key).to_string()
}

/// The name of a level on the one scale (1 crisis … 5 on their own).
pub fn level_name(lang: Lang, value: i64) -> String {
    let key = match value {
        level::CRISIS => Key::Level1,
        level::SERIOUS => Key::Level2,
        level::PARTLY => Key::Level3,
        level::WITH_SUPPORT => Key::Level4,
        level::INDEPENDENT => Key::Level5,
        other => return other.to_string(),
    };
    t(lang, key).to_string()
}

/// A change since the assessment before, as a sign and a number: "+2",
/// "−1", "0"; nothing when the domain was not assessed then.
pub fn change_text(change: Option<i64>) -> Option<String> {
    change.map(|c| match c {
        c if c > 0 => format!("+{c}"),
        c if c < 0 => format!("\u{2212}{}", c.unsigned_abs()),
        _ => "0".into(),
    })
}

/// The name of a step's status.
pub fn status_name(lang: Lang, status: &str) -> String {
    let key = match status {
        step_status::PLANNED => Key::StatusPlanned,
        step_status::IN_PROGRESS => Key::StatusInProgress,
        step_status::DONE => Key::StatusDone,
        step_status::DROPPED => Key::StatusDropped,
        other => return other.to_string(),
    };
    t(lang, key).to_string()
}

/// The name of a programme's outcome.
pub fn outcome_name(lang: Lang, code: &str) -> String {
    let key = match code {
        outcome::OWN_HOUSING => Key::OutcomeOwnHousing,
        outcome::SUPPORTED_FLAT => Key::OutcomeSupportedFlat,
        outcome::FAMILY => Key::OutcomeFamily,
        outcome::INSTITUTION => Key::OutcomeInstitution,
        outcome::LEFT => Key::OutcomeLeft,
        outcome::DIED => Key::OutcomeDied,
        outcome::OTHER => Key::OutcomeOther,
        other => return other.to_string(),
    };
    t(lang, key).to_string()
}

/// The name of a referral's status.
pub fn referral_status_name(lang: Lang, status: ReferralStatus) -> &'static str {
    t(
        lang,
        match status {
            ReferralStatus::Sent => Key::ReferralSent,
            ReferralStatus::Accepted => Key::ReferralAccepted,
            ReferralStatus::Declined => Key::ReferralDeclined,
            ReferralStatus::Done => Key::ReferralDone,
        },
    )
}

/// What a line of the person's file is.
pub fn event_name(lang: Lang, kind: EventKind) -> &'static str {
    t(
        lang,
        match kind {
            EventKind::Contact => Key::EventContact,
            EventKind::Attendance => Key::EventAttendance,
            EventKind::Workshop => Key::EventWorkshop,
            EventKind::Note => Key::EventNote,
        },
    )
}

/// What something due is.
pub fn due_name(lang: Lang, kind: DueKind) -> &'static str {
    t(
        lang,
        match kind {
            DueKind::FollowUp => Key::DueFollowUp,
            DueKind::Step => Key::DueStep,
            DueKind::Review => Key::DueReview,
            DueKind::Referral => Key::DueReferral,
        },
    )
}

/// A diagnosis form: the level chosen per domain (`None`: not assessed)
/// with a note, the person's wishes and the day.
#[derive(Debug, Clone, PartialEq)]
pub struct DiagnosisForm {
    pub assessed_on: String,
    /// In the order of `domain::ALL`.
    pub domains: Vec<(String, Option<i64>, String)>,
    pub wishes: String,
    /// Household members assessed with the person: `(person, alias,
    /// relation)`.
    pub household: Vec<(PersonId, String, String)>,
}

impl DiagnosisForm {
    /// An empty form for `today`.
    pub fn new(today: Date) -> Self {
        DiagnosisForm {
            assessed_on: today.to_string(),
            domains: domain::ALL
                .iter()
                .map(|c| (c.to_string(), None, String::new()))
                .collect(),
            wishes: String::new(),
            household: Vec::new(),
        }
    }

    /// The draft to send, or the key of what is wrong.
    pub fn to_draft(&self, person: PersonId) -> Result<DiagnosisDraft, Key> {
        let assessed_on: Date = self.assessed_on.parse().map_err(|_| Key::ErrBadDate)?;
        let domains: Vec<DomainDraft> = self
            .domains
            .iter()
            .filter_map(|(code, level, note)| {
                Some(DomainDraft {
                    code: code.clone(),
                    level: (*level)?,
                    note: note.trim().to_string(),
                })
            })
            .collect();
        if domains.is_empty() {
            return Err(Key::ErrNoDomain);
        }
        Ok(DiagnosisDraft {
            person,
            assessed_on,
            domains,
            wishes: self.wishes.trim().to_string(),
            household: self
                .household
                .iter()
                .filter(|(member, _, _)| *member != person)
                .map(|(member, _, relation)| HouseholdDraft {
                    person: *member,
                    relation: relation.trim().to_string(),
                })
                .collect(),
        })
    }
}

/// The opening of a programme: its day, goals and the day it was agreed.
pub fn programme_draft(
    person: PersonId,
    opened_on: &str,
    goals: &[String],
    agreed_on: &str,
) -> Result<ProgrammeDraft, Key> {
    let opened_on: Date = opened_on.parse().map_err(|_| Key::ErrBadDate)?;
    let agreed_on = match agreed_on.trim() {
        "" => None,
        day => Some(day.parse().map_err(|_| Key::ErrBadDate)?),
    };
    let goals: Vec<String> = goals
        .iter()
        .map(|g| g.trim().to_string())
        .filter(|g| !g.is_empty())
        .collect();
    if goals.is_empty() {
        return Err(Key::ErrGoalRequired);
    }
    Ok(ProgrammeDraft {
        person,
        opened_on,
        goals,
        agreed_on,
    })
}

/// A new step of a programme.
pub fn step_draft(
    programme: DocId,
    text: &str,
    due: &str,
    carrier: &str,
) -> Result<StepDraft, Key> {
    if text.trim().is_empty() {
        return Err(Key::ErrStepText);
    }
    let due = match due.trim() {
        "" => None,
        day => Some(day.parse().map_err(|_| Key::ErrBadDate)?),
    };
    Ok(StepDraft {
        programme,
        step: None,
        text: text.trim().to_string(),
        due,
        carrier: carrier.to_string(),
        status: step_status::PLANNED.into(),
        note: String::new(),
        goal: None,
    })
}

/// Where a referral goes, as the form holds it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReferralForm {
    pub to_org: Option<OrgId>,
    pub service: String,
    pub institution: String,
    pub reason: String,
    pub share: bool,
}

impl ReferralForm {
    /// The draft to send, or the key of what is wrong.
    pub fn to_draft(&self, person: PersonId) -> Result<ReferralDraft, Key> {
        let institution = Some(self.institution.trim().to_string()).filter(|i| !i.is_empty());
        if self.to_org.is_none() == institution.is_none() {
            return Err(Key::ErrChooseTarget);
        }
        if self.reason.trim().is_empty() {
            return Err(Key::ErrReasonRequired);
        }
        Ok(ReferralDraft {
            person,
            to_org: self.to_org,
            service: self
                .to_org
                .and(Some(self.service.trim().to_string()))
                .filter(|s| !s.is_empty()),
            institution,
            reason: self.reason.trim().to_string(),
            contact: None,
            share: self.share,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_read_as_signed_numbers() {
        assert_eq!(change_text(Some(2)).as_deref(), Some("+2"));
        assert_eq!(change_text(Some(-1)).as_deref(), Some("\u{2212}1"));
        assert_eq!(change_text(Some(0)).as_deref(), Some("0"));
        assert_eq!(change_text(None), None);
    }

    #[test]
    fn every_code_has_a_name_in_both_languages() {
        for lang in Lang::ALL {
            for code in domain::ALL {
                assert_ne!(domain_name(lang, code), code);
            }
            for value in level::ALL {
                assert!(level_name(lang, value).starts_with(&value.to_string()));
            }
            for code in step_status::ALL {
                // English names may equal their codes ("planned").
                assert!(lang == Lang::En || status_name(lang, code) != code);
            }
            for code in outcome::ALL {
                assert!(lang == Lang::En || outcome_name(lang, code) != code);
            }
        }
        assert_eq!(domain_name(Lang::Pl, "spirituality"), "spirituality");
    }

    #[test]
    fn a_diagnosis_needs_a_domain_and_a_day() {
        let today: Date = "2026-11-30".parse().expect("a date");
        let person = PersonId::random();
        let mut form = DiagnosisForm::new(today);
        assert_eq!(form.to_draft(person), Err(Key::ErrNoDomain));
        form.domains[0].1 = Some(1);
        form.domains[0].2 = " śpi na dworcu ".into();
        let draft = form.to_draft(person).expect("a draft");
        assert_eq!(draft.domains.len(), 1);
        assert_eq!(draft.domains[0].code, domain::HOUSING);
        assert_eq!(draft.domains[0].note, "śpi na dworcu");
        let partner = PersonId::random();
        form.household
            .push((partner, "Ola".into(), " partnerka ".into()));
        form.household.push((person, "self".into(), String::new()));
        let draft = form.to_draft(person).expect("a draft");
        assert_eq!(
            draft.household.len(),
            1,
            "the person is not their own household"
        );
        assert_eq!(draft.household[0].relation, "partnerka");
        form.assessed_on = "30.11.2026".into();
        assert_eq!(form.to_draft(person), Err(Key::ErrBadDate));
    }

    #[test]
    fn programme_and_step_drafts_are_checked() {
        let person = PersonId::random();
        assert_eq!(
            programme_draft(person, "2026-11-01", &[" ".into()], ""),
            Err(Key::ErrGoalRequired)
        );
        let draft = programme_draft(person, "2026-11-01", &["Praca".into()], "2026-11-02")
            .expect("a draft");
        assert_eq!(draft.goals, ["Praca"]);
        assert!(draft.agreed_on.is_some());
        let programme = DocId::random();
        assert_eq!(
            step_draft(programme, "", "", "person"),
            Err(Key::ErrStepText)
        );
        let step = step_draft(programme, "Dowód", "2026-12-01", "person").expect("a step");
        assert_eq!(step.status, step_status::PLANNED);
    }

    #[test]
    fn a_referral_goes_to_one_place_with_a_reason() {
        let person = PersonId::random();
        let mut form = ReferralForm::default();
        assert_eq!(form.to_draft(person), Err(Key::ErrChooseTarget));
        form.to_org = Some(OrgId::random());
        form.institution = "pup".into();
        assert_eq!(form.to_draft(person), Err(Key::ErrChooseTarget));
        form.institution.clear();
        assert_eq!(form.to_draft(person), Err(Key::ErrReasonRequired));
        form.reason = "nocleg".into();
        form.service = "night_shelter".into();
        let draft = form.to_draft(person).expect("a draft");
        assert_eq!(draft.service.as_deref(), Some("night_shelter"));
    }
}

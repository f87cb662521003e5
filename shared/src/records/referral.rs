//! `referral`: a person referred by one member organisation to a service of
//! another (kept in the two organisations' referral space,
//! [`SpaceId::between`]) or to an outside institution of the catalogue
//! (kept in the sender's team space: the institution does not use the app,
//! so the sender records its answer).
//!
//! A referral is sent, then accepted or declined (with a reason), and an
//! accepted one is done; each step keeps its day and who took it
//! ([`Stamp`]). What the receiver may see of the person besides the alias
//! and the reason is in [`ReferralShare`], filled at sending as far as the
//! person's consent allows (`access::referral_refusal` checks it).

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::{CatalogueInstitution, DomainAssessment, Record, RecordKind, record_header};
use crate::ids::{DocId, OrgId, PersonId, SpaceId, UserId};
use crate::time::{Date, Timestamp};
use crate::validate::{ValidationContext, ValidationError, check_text};

/// A referral of one person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Referral {
    pub kind: RecordKind,
    pub schema: u64,
    pub space: SpaceId,
    pub id: DocId,
    pub person: PersonId,
    /// The alias at sending: the receiver sees it even where the registry
    /// entry is withheld from them.
    pub alias: String,
    /// The organisation that sent it.
    pub from_org: OrgId,
    /// The member organisation it goes to (`None`: an institution).
    #[autosurgeon(missing = "Default::default")]
    pub to_org: Option<OrgId>,
    /// The service of `to_org` in the catalogue, if one was named.
    #[autosurgeon(missing = "Default::default")]
    pub service: Option<String>,
    /// The outside institution of the catalogue it goes to.
    #[autosurgeon(missing = "Default::default")]
    pub institution: Option<String>,
    pub reason: String,
    /// The contact it was made from, if one.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub contact: Option<DocId>,
    /// What the person's consent let the sender share.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub shared: ReferralShare,
    pub sent: Stamp,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub accepted: Option<Stamp>,
    /// With the reason in its note.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub declined: Option<Stamp>,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub done: Option<Stamp>,
}

/// When and by whom a referral moved on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Stamp {
    pub at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub by: Option<UserId>,
    /// A decline's reason, or a word on acceptance or completion.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub note: String,
}

impl Stamp {
    /// A stamp now by `user`.
    pub fn by(at: Timestamp, user: UserId, note: &str) -> Self {
        Stamp {
            at,
            by: Some(user),
            note: note.trim().to_string(),
        }
    }
}

/// What of the person's file a referral carries. Empty unless the
/// person's consent covers it ([`super::consent_scope`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct ReferralShare {
    /// The latest needs diagnosis's domains (`share_diagnosis`).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub diagnosis: BTreeMap<String, DomainAssessment>,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub diagnosis_on: Option<Date>,
    /// What the person wants, from that diagnosis (`share_diagnosis`).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub wishes: String,
    /// The goals of their open programme, keyed by goal id (`share_programme`).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub goals: BTreeMap<String, String>,
}

impl ReferralShare {
    /// Whether it shares nothing.
    pub fn is_empty(&self) -> bool {
        self.diagnosis.is_empty()
            && self.diagnosis_on.is_none()
            && self.wishes.is_empty()
            && self.goals.is_empty()
    }
}

/// Where a referral goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferralTarget {
    /// A member organisation, perhaps one of its services.
    Org { org: OrgId, service: Option<String> },
    /// An outside institution of the catalogue.
    Institution(String),
}

/// Where a referral stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferralStatus {
    Sent,
    Accepted,
    Declined,
    Done,
}

impl ReferralStatus {
    /// The name the API and the office use.
    pub fn as_str(self) -> &'static str {
        match self {
            ReferralStatus::Sent => "sent",
            ReferralStatus::Accepted => "accepted",
            ReferralStatus::Declined => "declined",
            ReferralStatus::Done => "done",
        }
    }
}

impl Referral {
    /// A referral of `person` sent now by `user` of `from_org` to `target`,
    /// in the space where it belongs ([`Referral::space_for`]).
    pub fn new(
        person: PersonId,
        alias: &str,
        from_org: OrgId,
        team_space: SpaceId,
        target: ReferralTarget,
        reason: &str,
        sent: Stamp,
    ) -> Self {
        let space = Self::space_for(from_org, team_space, &target);
        let (to_org, service, institution) = match target {
            ReferralTarget::Org { org, service } => (Some(org), service, None),
            ReferralTarget::Institution(id) => (None, None, Some(id)),
        };
        Referral {
            kind: RecordKind::Referral,
            schema: Self::SCHEMA,
            space,
            id: DocId::random(),
            person,
            alias: alias.trim().to_string(),
            from_org,
            to_org,
            service,
            institution,
            reason: reason.trim().to_string(),
            contact: None,
            shared: ReferralShare::default(),
            sent,
            accepted: None,
            declined: None,
            done: None,
        }
    }

    /// Where a referral to `target` lives: the referral space of the two
    /// organisations, or the sender's team space for an institution.
    pub fn space_for(from_org: OrgId, team_space: SpaceId, target: &ReferralTarget) -> SpaceId {
        match target {
            ReferralTarget::Org { org, .. } => SpaceId::between(from_org, *org),
            ReferralTarget::Institution(_) => team_space,
        }
    }

    /// Where it goes (`None`: neither an organisation nor an institution,
    /// which validation refuses).
    pub fn target(&self) -> Option<ReferralTarget> {
        match (self.to_org, &self.institution) {
            (Some(org), None) => Some(ReferralTarget::Org {
                org,
                service: self.service.clone(),
            }),
            (None, Some(id)) => Some(ReferralTarget::Institution(id.clone())),
            _ => None,
        }
    }

    /// The organisation that answers it: the receiving one, or for an
    /// institution the sender, who records the institution's answer.
    pub fn answering_org(&self) -> OrgId {
        self.to_org.unwrap_or(self.from_org)
    }

    /// Where it stands now.
    pub fn status(&self) -> ReferralStatus {
        if self.done.is_some() {
            ReferralStatus::Done
        } else if self.declined.is_some() {
            ReferralStatus::Declined
        } else if self.accepted.is_some() {
            ReferralStatus::Accepted
        } else {
            ReferralStatus::Sent
        }
    }
}

fn check_stamp(field: &'static str, stamp: &Stamp, sent: Timestamp) -> Result<(), ValidationError> {
    if stamp.at < sent {
        return Err(ValidationError::Invalid {
            field,
            reason: "a referral is answered after it was sent",
        });
    }
    check_text("note", &stamp.note, 2_000)
}

impl Record for Referral {
    const KIND: RecordKind = RecordKind::Referral;
    const SCHEMA: u64 = 1;
    record_header!();

    fn validate(&self, ctx: &ValidationContext) -> Result<(), ValidationError> {
        if self.space.is_registry() {
            return Err(ValidationError::WrongSpace {
                kind: Self::KIND,
                expected: "the referral space of two organisations, or the sender's team space",
            });
        }
        match self.target() {
            None => {
                return Err(ValidationError::Invalid {
                    field: "to",
                    reason: "a referral goes to one member organisation or one institution",
                });
            }
            Some(ReferralTarget::Org { org, service }) => {
                if org == self.from_org {
                    return Err(ValidationError::Invalid {
                        field: "to_org",
                        reason: "a referral goes to another organisation, not one's own",
                    });
                }
                if self.space != SpaceId::between(self.from_org, org) {
                    return Err(ValidationError::WrongSpace {
                        kind: Self::KIND,
                        expected: "the referral space of the two organisations",
                    });
                }
                if let Some(code) = service {
                    ctx.check_service(&code)?;
                }
            }
            Some(ReferralTarget::Institution(id)) => {
                if !CatalogueInstitution::valid_id(&id) {
                    return Err(ValidationError::Invalid {
                        field: "institution",
                        reason: "not an institution's id",
                    });
                }
                if self.service.is_some() {
                    return Err(ValidationError::Invalid {
                        field: "service",
                        reason: "a service is named only for a member organisation",
                    });
                }
            }
        }
        if self.reason.trim().is_empty() {
            return Err(ValidationError::Required("reason"));
        }
        check_text("reason", &self.reason, 2_000)?;
        check_text("alias", &self.alias, 200)?;
        if let Some(accepted) = &self.accepted {
            check_stamp("accepted", accepted, self.sent.at)?;
        }
        if let Some(declined) = &self.declined {
            check_stamp("declined", declined, self.sent.at)?;
            if declined.note.trim().is_empty() {
                return Err(ValidationError::Required("decline reason"));
            }
            if self.accepted.is_some() {
                return Err(ValidationError::Invalid {
                    field: "declined",
                    reason: "a referral is accepted or declined, not both",
                });
            }
        }
        if let Some(done) = &self.done {
            check_stamp("done", done, self.sent.at)?;
            if self.accepted.is_none() {
                return Err(ValidationError::Invalid {
                    field: "done",
                    reason: "a referral is done only after it was accepted",
                });
            }
        }
        for assessed in self.shared.diagnosis.values() {
            check_text("note", &assessed.note, 2_000)?;
        }
        check_text("wishes", &self.shared.wishes, 5_000)?;
        for goal in self.shared.goals.values() {
            check_text("goal", goal, 1_000)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to_org() -> (Referral, OrgId) {
        let (a, b) = (OrgId::random(), OrgId::random());
        let referral = Referral::new(
            PersonId::random(),
            "Zenek",
            a,
            SpaceId::random(),
            ReferralTarget::Org {
                org: b,
                service: Some("food".into()),
            },
            "Potrzebuje noclegu",
            Stamp::by(Timestamp(10), UserId::random(), ""),
        );
        (referral, b)
    }

    #[test]
    fn a_referral_moves_sent_accepted_done() {
        let ctx = ValidationContext::with_services(["food"]);
        let (mut r, _) = to_org();
        assert_eq!(r.status(), ReferralStatus::Sent);
        assert_eq!(r.validate(&ctx), Ok(()));
        r.accepted = Some(Stamp::by(Timestamp(20), UserId::random(), ""));
        assert_eq!(r.status(), ReferralStatus::Accepted);
        r.done = Some(Stamp::by(Timestamp(30), UserId::random(), ""));
        assert_eq!(r.status(), ReferralStatus::Done);
        assert_eq!(r.validate(&ctx), Ok(()));
    }

    #[test]
    fn status_jumps_and_wrong_targets_are_refused() {
        let ctx = ValidationContext::with_services(["food"]);
        let (r, b) = to_org();
        let mut done_first = r.clone();
        done_first.done = Some(Stamp::by(Timestamp(30), UserId::random(), ""));
        assert!(matches!(
            done_first.validate(&ctx),
            Err(ValidationError::Invalid { field: "done", .. })
        ));
        let mut both = r.clone();
        both.accepted = Some(Stamp::by(Timestamp(20), UserId::random(), ""));
        both.declined = Some(Stamp::by(Timestamp(20), UserId::random(), "brak miejsc"));
        assert!(both.validate(&ctx).is_err());
        let mut no_reason = r.clone();
        no_reason.declined = Some(Stamp::by(Timestamp(20), UserId::random(), " "));
        assert_eq!(
            no_reason.validate(&ctx),
            Err(ValidationError::Required("decline reason"))
        );
        let mut before_sent = r.clone();
        before_sent.accepted = Some(Stamp::by(Timestamp(5), UserId::random(), ""));
        assert!(before_sent.validate(&ctx).is_err());
        let mut own = r.clone();
        own.to_org = Some(own.from_org);
        assert!(own.validate(&ctx).is_err(), "one's own organisation");
        let mut elsewhere = r.clone();
        elsewhere.space = SpaceId::random();
        assert!(
            elsewhere.validate(&ctx).is_err(),
            "outside the pair's space"
        );
        let mut unknown_service = r.clone();
        unknown_service.service = Some("yachts".into());
        assert!(unknown_service.validate(&ctx).is_err());
        let mut two_targets = r.clone();
        two_targets.institution = Some("mops".into());
        assert!(two_targets.validate(&ctx).is_err());
        assert_eq!(r.answering_org(), b);
    }

    #[test]
    fn a_referral_to_an_institution_stays_with_the_sender() {
        let ctx = ValidationContext::default();
        let (a, team) = (OrgId::random(), SpaceId::random());
        let r = Referral::new(
            PersonId::random(),
            "Zenek",
            a,
            team,
            ReferralTarget::Institution("pup".into()),
            "Rejestracja jako bezrobotny",
            Stamp::by(Timestamp(10), UserId::random(), ""),
        );
        assert_eq!(r.space, team);
        assert_eq!(r.answering_org(), a);
        assert_eq!(r.validate(&ctx), Ok(()));
        let mut with_service = r.clone();
        with_service.service = Some("food".into());
        assert!(with_service.validate(&ctx).is_err());
    }
}

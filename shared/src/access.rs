//! Roles and what they may read and write, as pure rules the server applies
//! on every exchange and every office call.
//!
//! A space is *inside* a user's organisation when it is the registry or
//! belongs to that organisation. Nothing outside is ever readable by a
//! device, whatever grants say: case notes live in their organisation's
//! team spaces, so they never leave the owning organisation.
//!
//! - Field roles (outreach worker, day-room staff, workshop facilitator)
//!   read and write the spaces they were granted, inside their organisation.
//! - A coordinator reads and writes every space of their organisation and
//!   the registry, and enrols and revokes their organisation's devices.
//! - The consortium office reads every record through the office pages
//!   (never case notes) and alone writes the catalogue.
//! - An administrator runs the server (organisations, spaces, users) and
//!   holds no records.
//!
//! The one deliberate crossing between organisations is a referral. Each
//! pair of member organisations has one referral space
//! ([`SpaceId::between`]): every field worker and coordinator of the two
//! reads and writes it without a grant, nobody else reads it, and it holds
//! referrals between the two and nothing else ([`space_refusal`]). What a
//! referral carries of the person's file is what their consent covers
//! ([`ReferralConsent`]); the sender writes it, the receiver answers, and
//! neither changes what the other wrote ([`referral_refusal`]).

use serde::{Deserialize, Serialize};

use crate::ids::{OrgId, SpaceId, UserId};
use crate::protocol::SpaceAccess;
use crate::records::{
    Catalogue, CatalogueSite, Person, RecordKind, Referral, ReferralShare, ReferralTarget,
    consent_scope,
};

/// A user's role, stored as text in `users.role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Streetwork: contacts with people in the street.
    Outreach,
    /// Day-room staff: attendance, meals, showers.
    DayRoom,
    /// Workshop facilitator: workshops and their participants.
    Facilitator,
    /// A field role not tied to one service (older users).
    Worker,
    /// Coordinator of a member organisation.
    Coordinator,
    /// The consortium office.
    Office,
    /// Runs the server; holds no records.
    Admin,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Outreach,
        Role::DayRoom,
        Role::Facilitator,
        Role::Worker,
        Role::Coordinator,
        Role::Office,
        Role::Admin,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Outreach => "outreach",
            Role::DayRoom => "day_room",
            Role::Facilitator => "facilitator",
            Role::Worker => "worker",
            Role::Coordinator => "coordinator",
            Role::Office => "office",
            Role::Admin => "admin",
        }
    }

    /// The role of a stored name (`None`: not a role).
    pub fn from_stored(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// A role that works in the field app.
    pub fn is_field(self) -> bool {
        matches!(
            self,
            Role::Outreach | Role::DayRoom | Role::Facilitator | Role::Worker
        )
    }

    /// Whether this role belongs to a member organisation (and must have one).
    pub fn needs_org(self) -> bool {
        self == Role::Coordinator
    }

    /// Whether a user of this role may enrol devices at all.
    pub fn may_enrol(self) -> bool {
        self != Role::Admin
    }
}

/// What the rules need to know of one space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpaceFacts {
    pub space: SpaceId,
    pub name: String,
    /// The owning organisation (`None`: the registry or a consortium space).
    pub org: Option<OrgId>,
    /// An explicit grant to this user: `Some(write)`.
    pub granted: Option<bool>,
    /// For the referral space of two organisations: the second one
    /// (`org` is the first).
    pub partner: Option<OrgId>,
}

impl SpaceFacts {
    /// Whether this is a referral space that `org` is one side of.
    fn refers_for(&self, org: Option<OrgId>) -> bool {
        org.is_some() && self.partner.is_some() && (self.org == org || self.partner == org)
    }
}

/// What kind of space a record is put in, for [`space_refusal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The consortium registry.
    Registry,
    /// A team space of an organisation (`None`: a consortium space).
    Team(Option<OrgId>),
    /// The referral space of two organisations.
    Referrals(OrgId, OrgId),
}

impl Place {
    /// The place of a space a device was told of.
    pub fn of(access: &SpaceAccess, org: Option<OrgId>) -> Place {
        match (access.partner, org) {
            _ if access.space.is_registry() => Place::Registry,
            (Some(partner), Some(org)) => Place::Referrals(org, partner),
            _ => Place::Team(org),
        }
    }
}

/// Whether `space` (owned by `space_org`) is inside the organisation `org`.
pub fn inside(org: Option<OrgId>, space: SpaceId, space_org: Option<OrgId>) -> bool {
    space.is_registry() || space_org == org
}

/// The spaces a device of a user with `role` in `org` may read, from the
/// spaces the server knows and the user's explicit grants.
pub fn device_access(role: Role, org: Option<OrgId>, spaces: &[SpaceFacts]) -> Vec<SpaceAccess> {
    let mut access: Vec<SpaceAccess> = spaces
        .iter()
        .filter_map(|s| {
            if s.partner.is_some() {
                // A referral space: every field worker and coordinator of
                // its two organisations, without a grant; nobody else.
                let member = role.is_field() || role == Role::Coordinator;
                return (member && s.refers_for(org)).then(|| SpaceAccess {
                    space: s.space,
                    name: s.name.clone(),
                    write: true,
                    partner: if s.org == org { s.partner } else { s.org },
                });
            }
            if !inside(org, s.space, s.org) {
                return None;
            }
            let write = match role {
                Role::Admin => None,
                Role::Coordinator if org.is_some() => Some(true),
                _ => s.granted,
            }?;
            Some(SpaceAccess {
                space: s.space,
                name: s.name.clone(),
                write,
                partner: None,
            })
        })
        .collect();
    access.sort_by(|a, b| a.name.cmp(&b.name).then(a.space.cmp(&b.space)));
    access
}

/// Why a grant may not be given (`None`: it may).
pub fn grant_refusal(
    role: Role,
    org: Option<OrgId>,
    space: SpaceId,
    space_org: Option<OrgId>,
) -> Option<&'static str> {
    if role == Role::Admin {
        return Some("an administrator holds no records");
    }
    if !inside(org, space, space_org) {
        return Some(
            "this space belongs to another organisation: its records (case notes among them) stay inside it",
        );
    }
    None
}

/// Why a device may not write a record of `kind` into `space` at all,
/// whatever its grants (`None`: the grants decide), from what the space's
/// id alone tells; [`space_refusal`] says the rest.
pub fn kind_refusal(kind: RecordKind, space: SpaceId) -> Option<&'static str> {
    match kind {
        RecordKind::CaseNotes
        | RecordKind::Diagnosis
        | RecordKind::Programme
        | RecordKind::Referral
            if space.is_registry() =>
        {
            Some("case work belongs to a member organisation's spaces, never to the registry")
        }
        RecordKind::Person if !space.is_registry() => {
            Some("a person belongs to the consortium registry")
        }
        _ => None,
    }
}

/// Why a record of `kind` may not be put in a space at `place`: a referral
/// space holds referrals between its two organisations and nothing else
/// (case notes, diagnoses and programmes stay in their organisation's
/// team spaces).
pub fn space_refusal(kind: RecordKind, place: Place) -> Option<&'static str> {
    match (kind, place) {
        (RecordKind::Referral, Place::Referrals(..)) => None,
        (_, Place::Referrals(..)) => {
            Some("a referral space holds referrals between its two organisations and nothing else")
        }
        (_, Place::Registry) => kind_refusal(kind, SpaceId::REGISTRY),
        (RecordKind::Person, Place::Team(_)) => kind_refusal(kind, SpaceId::random()),
        _ => None,
    }
}

/// Why a device of `writer` (an organisation) may not make case work
/// (case notes, a diagnosis, a programme) owned by `before` into one owned
/// by `after`, each `(person, organisation)`: a new record names the
/// writer's own organisation, and whom a record is about and whose it is
/// never change.
pub fn case_work_refusal(
    before: Option<(crate::ids::PersonId, OrgId)>,
    after: (crate::ids::PersonId, OrgId),
    writer: Option<OrgId>,
) -> Option<&'static str> {
    match before {
        None if writer != Some(after.1) => {
            Some("case work is kept in the name of the worker's own organisation")
        }
        Some(before) if before != after => {
            Some("whom case work is about, and whose it is, never change")
        }
        _ => None,
    }
}

/// What of a person's file their consent lets a referral carry to the
/// organisation it goes to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReferralConsent {
    /// The latest diagnosis's domains and the person's wishes.
    pub diagnosis: bool,
    /// The goals of their open programme.
    pub programme: bool,
}

impl ReferralConsent {
    /// What `person`'s consent covers now (`None`: no entry known, so nothing).
    pub fn of(person: Option<&Person>) -> Self {
        ReferralConsent {
            diagnosis: person.is_some_and(|p| p.consents_to(consent_scope::SHARE_DIAGNOSIS)),
            programme: person.is_some_and(|p| p.consents_to(consent_scope::SHARE_PROGRAMME)),
        }
    }

    /// `share` cut down to what this consent covers.
    pub fn within(self, share: &ReferralShare) -> ReferralShare {
        let mut kept = share.clone();
        if !self.diagnosis {
            kept.diagnosis.clear();
            kept.diagnosis_on = None;
            kept.wishes.clear();
        }
        if !self.programme {
            kept.goals.clear();
        }
        kept
    }
}

/// Who writes a referral: a user of `org`, with what the person's consent
/// covers at the moment of writing, and the catalogue the server holds.
#[derive(Debug, Clone, Copy)]
pub struct ReferralWriter<'a> {
    pub org: Option<OrgId>,
    pub user: UserId,
    /// The organisation of the space the referral is written in (for a
    /// referral to an institution: a team space of the sender's).
    pub space_org: Option<OrgId>,
    pub consent: ReferralConsent,
    pub catalogue: Option<&'a Catalogue>,
}

/// Why a device of `writer` may not make the referral `before` (`None`: a
/// new one) into `after`:
///
/// - a referral is sent by a user of its sending organisation, in its name,
///   to a service of the receiving organisation or an institution the
///   catalogue holds, from the sender's own space for an institution;
/// - it carries of the person's file only what their consent covers;
/// - after sending, nothing the sender wrote changes (person, target,
///   reason, what is shared, the sending);
/// - the answering organisation alone (the receiver; for an institution
///   the sender, who records its answer) accepts, declines and marks it
///   done, in the name of the user who does; an answer is never changed
///   or taken back.
pub fn referral_refusal(
    before: Option<&Referral>,
    after: &Referral,
    writer: &ReferralWriter<'_>,
) -> Option<&'static str> {
    let Some(org) = writer.org else {
        return Some("a referral is written by a member organisation's worker");
    };
    match before {
        None => {
            if after.from_org != org {
                return Some("a referral is sent in the name of the worker's own organisation");
            }
            if after.sent.by != Some(writer.user) {
                return Some("a referral names the worker who sent it, not another user");
            }
            if after.accepted.is_some() || after.declined.is_some() || after.done.is_some() {
                return Some("a referral is answered after it was sent, not with it");
            }
            match after.target() {
                Some(ReferralTarget::Institution(id)) => {
                    if writer.space_org != Some(org) {
                        return Some(
                            "a referral to an institution stays in a space of the sending organisation",
                        );
                    }
                    let known = writer
                        .catalogue
                        .and_then(|c| c.institutions.get(&id))
                        .is_some_and(|i| !i.retired);
                    if !known {
                        return Some("this institution is not in the catalogue");
                    }
                }
                Some(ReferralTarget::Org {
                    org: to,
                    service: Some(code),
                }) => {
                    let offers = writer
                        .catalogue
                        .and_then(|c| c.services.get(&code))
                        .is_some_and(|s| s.org == Some(to) && !s.retired);
                    if !offers {
                        return Some(
                            "this service is not one the receiving organisation offers in the catalogue",
                        );
                    }
                }
                Some(ReferralTarget::Org { org: to, .. }) => {
                    let member = writer
                        .catalogue
                        .is_some_and(|c| c.orgs.contains_key(&to.to_string()));
                    if !member {
                        return Some("this organisation is not a member in the catalogue");
                    }
                }
                None => {
                    return Some("a referral goes to one member organisation or one institution");
                }
            }
            if writer.consent.within(&after.shared) != after.shared {
                return Some("the person's consent does not cover sharing this part of their file");
            }
            None
        }
        Some(before) => {
            // Everything but the answers is the sender's.
            let sent_part = |r: &Referral| Referral {
                accepted: None,
                declined: None,
                done: None,
                ..r.clone()
            };
            if sent_part(before) != sent_part(after) {
                return Some("what the sender wrote in a referral is not changed after sending");
            }
            let answers = [
                (&before.accepted, &after.accepted),
                (&before.declined, &after.declined),
                (&before.done, &after.done),
            ];
            for (then, now) in answers {
                match (then, now) {
                    (Some(then), Some(now)) if then == now => {}
                    (Some(_), _) => {
                        return Some("an answer to a referral is never changed or taken back");
                    }
                    (None, Some(now)) => {
                        if org != after.answering_org() {
                            return Some("only the organisation the referral went to answers it");
                        }
                        if now.by != Some(writer.user) {
                            return Some(
                                "an answer names the worker who gave it, not another user",
                            );
                        }
                    }
                    (None, None) => {}
                }
            }
            None
        }
    }
}

/// Why a device of `user` (of `org`) may not make the registry entry
/// `before` (`None`: a new entry) into `after`. The registry is shared by
/// every member organisation, and field workers correct each other's
/// entries (alias, birth year, gender, sites), but:
///
/// - merging persons (`merged_into`) is the consortium office's, never a
///   device's;
/// - a consent belongs to the organisation that recorded it: only its
///   devices record a withdrawal or a new consent over it, a new consent
///   is recorded for the writer's own organisation, by the writer, and a
///   consent is withdrawn, never removed;
/// - a person who withdrew consent is not changed from an organisation
///   that no longer sees their details;
/// - a new entry names its own creator (or none).
pub fn person_edit_refusal(
    before: Option<&Person>,
    after: &Person,
    org: Option<OrgId>,
    user: UserId,
) -> Option<&'static str> {
    if after.merged_into != before.and_then(|p| p.merged_into) {
        return Some(
            "merging persons is the consortium office's: a device neither sets nor clears it",
        );
    }
    if before.is_some_and(|p| p.hidden_from(org)) {
        return Some(
            "this person withdrew their consent to share their details with your organisation: \
             their entry is not changed from here",
        );
    }
    let consent_before = before.and_then(|p| p.consent.as_ref());
    if after.consent.as_ref() != consent_before {
        if consent_before.is_some_and(|c| c.org != org) {
            return Some(
                "this consent was recorded by another organisation: only it records a withdrawal \
                 or a new consent",
            );
        }
        let Some(consent) = &after.consent else {
            return Some("a consent is withdrawn, never removed");
        };
        if consent.org != org {
            return Some("a consent is recorded for the worker's own organisation");
        }
        let changed_by = |now: Option<UserId>, then: Option<Option<UserId>>| {
            then != Some(now) && now.is_some_and(|u| u != user)
        };
        if changed_by(consent.recorded_by, consent_before.map(|c| c.recorded_by))
            || changed_by(consent.withdrawn_by, consent_before.map(|c| c.withdrawn_by))
        {
            return Some("a consent names the worker who recorded it, not another user");
        }
    }
    if before.is_none() && after.created_by.is_some_and(|u| u != user) {
        return Some("a new person names the worker who registered them, not another user");
    }
    let marks_before = before.map(|p| &p.distinct_from);
    for (other, mark) in &after.distinct_from {
        match marks_before.and_then(|m| m.get(other)) {
            Some(earlier) if earlier != mark => {
                return Some("a \"someone else\" mark is never changed");
            }
            Some(_) => {}
            None if mark.said_by != Some(user) => {
                return Some(
                    "a \"someone else\" mark names the worker who said it, not another user",
                );
            }
            None => {}
        }
    }
    if marks_before.is_some_and(|m| m.keys().any(|k| !after.distinct_from.contains_key(k))) {
        return Some("a \"someone else\" mark is never removed");
    }
    None
}

/// Why a space of `space_org` may not hold a day-room session of a site
/// the catalogue describes as `site` (`None`: not in the catalogue). A
/// session's id follows from its site and date alone, so whoever holds it
/// first holds it for everybody: only spaces of the organisation the
/// catalogue gives the site to (for a site of no organisation, spaces of
/// no organisation) may.
pub fn site_refusal(
    site: Option<&CatalogueSite>,
    space_org: Option<OrgId>,
) -> Option<&'static str> {
    match site {
        None => Some("this site is not in the catalogue"),
        Some(site) if site.org != space_org => Some(
            "this site belongs to another organisation: only its spaces hold the site's sessions",
        ),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space(name: &str, org: Option<OrgId>, granted: Option<bool>) -> SpaceFacts {
        SpaceFacts {
            space: if name == "registry" {
                SpaceId::REGISTRY
            } else {
                SpaceId::random()
            },
            name: name.into(),
            org,
            granted,
            partner: None,
        }
    }

    fn referral_space(a: OrgId, b: OrgId) -> SpaceFacts {
        let (low, high) = if a.0 <= b.0 { (a, b) } else { (b, a) };
        SpaceFacts {
            space: SpaceId::between(a, b),
            name: "referrals".into(),
            org: Some(low),
            granted: None,
            partner: Some(high),
        }
    }

    fn names(access: &[SpaceAccess]) -> Vec<(&str, bool)> {
        access.iter().map(|a| (a.name.as_str(), a.write)).collect()
    }

    #[test]
    fn stored_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::from_stored(role.as_str()), Some(role));
        }
        assert_eq!(Role::from_stored("root"), None);
        assert_eq!(Role::from_stored(""), None);
    }

    #[test]
    fn a_field_worker_reads_only_granted_spaces_inside_their_organisation() {
        let a = OrgId::random();
        let b = OrgId::random();
        let spaces = [
            space("registry", None, Some(true)),
            space("streetwork A", Some(a), Some(true)),
            space("day room A", Some(a), None),
            // A grant across organisations (made before the rule, or by
            // hand in the database) gives nothing.
            space("streetwork B", Some(b), Some(true)),
        ];
        for role in [
            Role::Outreach,
            Role::DayRoom,
            Role::Facilitator,
            Role::Worker,
        ] {
            assert_eq!(
                names(&device_access(role, Some(a), &spaces)),
                [("registry", true), ("streetwork A", true)]
            );
        }
    }

    #[test]
    fn a_coordinator_writes_every_space_of_their_organisation() {
        let a = OrgId::random();
        let b = OrgId::random();
        let spaces = [
            space("registry", None, None),
            space("streetwork A", Some(a), None),
            space("day room A", Some(a), Some(false)),
            space("streetwork B", Some(b), Some(true)),
        ];
        assert_eq!(
            names(&device_access(Role::Coordinator, Some(a), &spaces)),
            [
                ("day room A", true),
                ("registry", true),
                ("streetwork A", true)
            ]
        );
    }

    #[test]
    fn an_administrator_holds_no_records_and_the_office_only_its_grants() {
        let a = OrgId::random();
        let spaces = [
            space("registry", None, Some(false)),
            space("streetwork A", Some(a), Some(true)),
        ];
        assert!(device_access(Role::Admin, None, &spaces).is_empty());
        assert_eq!(
            names(&device_access(Role::Office, None, &spaces)),
            [("registry", false)]
        );
    }

    #[test]
    fn grants_stay_inside_the_organisation() {
        let a = OrgId::random();
        let b = OrgId::random();
        let team_b = SpaceId::random();
        assert!(grant_refusal(Role::Outreach, Some(a), team_b, Some(b)).is_some());
        assert!(grant_refusal(Role::Outreach, Some(a), SpaceId::REGISTRY, None).is_none());
        assert!(grant_refusal(Role::Outreach, Some(b), team_b, Some(b)).is_none());
        assert!(grant_refusal(Role::Admin, None, SpaceId::REGISTRY, None).is_some());
    }

    #[test]
    fn case_notes_stay_in_team_spaces_and_persons_in_the_registry() {
        let team = SpaceId::random();
        assert!(kind_refusal(RecordKind::CaseNotes, SpaceId::REGISTRY).is_some());
        assert!(kind_refusal(RecordKind::CaseNotes, team).is_none());
        assert!(kind_refusal(RecordKind::Person, team).is_some());
        assert!(kind_refusal(RecordKind::Person, SpaceId::REGISTRY).is_none());
        assert!(kind_refusal(RecordKind::Contact, team).is_none());
    }

    #[test]
    fn a_device_changes_only_what_is_its_own_of_a_registry_entry() {
        use crate::records::Consent;
        use crate::time::Timestamp;
        let (a, b) = (Some(OrgId::random()), Some(OrgId::random()));
        let (ola, jan) = (UserId::random(), UserId::random());
        let mut theirs = Person::new("Zenek", Timestamp(1));
        theirs.created_by = Some(jan);
        theirs.consent = Some(Consent::given(Timestamp(1), jan, b, "services"));
        let edit = |change: &dyn Fn(&mut Person)| {
            let mut after = theirs.clone();
            change(&mut after);
            person_edit_refusal(Some(&theirs), &after, a, ola)
        };
        assert!(
            edit(&|p| p.birth_year = Some(1970)).is_none(),
            "a correction"
        );
        assert!(edit(&|p| p.merged_into = Some(crate::ids::PersonId::random())).is_some());
        assert!(
            edit(&|p| if let Some(c) = p.consent.as_mut() {
                c.withdrawn_at = Some(Timestamp(2));
            })
            .is_some(),
            "another organisation's consent"
        );
        assert!(edit(&|p| p.consent = None).is_some());
        // B withdraws; A may change nothing of the entry any more.
        let mut withdrawn = theirs.clone();
        if let Some(c) = withdrawn.consent.as_mut() {
            c.withdrawn_at = Some(Timestamp(2));
            c.withdrawn_by = Some(jan);
        }
        assert!(person_edit_refusal(Some(&theirs), &withdrawn, b, jan).is_none());
        let mut renamed = withdrawn.clone();
        renamed.alias = "Zenon".into();
        assert!(person_edit_refusal(Some(&withdrawn), &renamed, a, ola).is_some());
        assert!(person_edit_refusal(Some(&withdrawn), &renamed, b, jan).is_none());
        // A new entry: its own creator, its own organisation's consent.
        let mut new = Person::new("Tadek", Timestamp(3));
        new.created_by = Some(ola);
        assert!(person_edit_refusal(None, &new, a, ola).is_none());
        new.consent = Some(Consent::given(Timestamp(3), ola, b, "services"));
        assert!(person_edit_refusal(None, &new, a, ola).is_some());
        new.consent = Some(Consent::given(Timestamp(3), jan, a, "services"));
        assert!(
            person_edit_refusal(None, &new, a, ola).is_some(),
            "another recorder"
        );
        new.consent = None;
        new.created_by = Some(jan);
        assert!(
            person_edit_refusal(None, &new, a, ola).is_some(),
            "another creator"
        );
    }

    #[test]
    fn someone_else_marks_are_added_in_ones_own_name_and_kept() {
        use crate::ids::PersonId;
        use crate::records::DistinctMark;
        use crate::time::Timestamp;
        let (org, ola, jan) = (Some(OrgId::random()), UserId::random(), UserId::random());
        let other = PersonId::random().to_string();
        let mark = |by| DistinctMark {
            said_at: Timestamp(5),
            said_by: Some(by),
        };
        let mut new = Person::new("Zbyszek", Timestamp(3));
        new.created_by = Some(ola);
        new.distinct_from.insert(other.clone(), mark(ola));
        assert!(person_edit_refusal(None, &new, org, ola).is_none());
        // In another worker's name: refused.
        let mut forged = new.clone();
        forged.distinct_from.insert(other.clone(), mark(jan));
        assert!(person_edit_refusal(None, &forged, org, ola).is_some());
        // Added later by another worker, in their own name: accepted.
        let mut added = new.clone();
        added
            .distinct_from
            .insert(PersonId::random().to_string(), mark(jan));
        assert!(person_edit_refusal(Some(&new), &added, org, jan).is_none());
        // Never removed, never reworded.
        let mut removed = new.clone();
        removed.distinct_from.clear();
        assert!(person_edit_refusal(Some(&new), &removed, org, ola).is_some());
        let mut reworded = new.clone();
        reworded.distinct_from.insert(
            other,
            DistinctMark {
                said_at: Timestamp(9),
                said_by: Some(ola),
            },
        );
        assert!(person_edit_refusal(Some(&new), &reworded, org, ola).is_some());
    }

    #[test]
    fn a_site_s_sessions_live_in_its_organisation_s_spaces() {
        let (a, b) = (Some(OrgId::random()), Some(OrgId::random()));
        let site = |org| CatalogueSite {
            name: "Świetlica".into(),
            site_kind: "day_room".into(),
            org,
        };
        assert!(site_refusal(Some(&site(a)), a).is_none());
        assert!(site_refusal(Some(&site(a)), b).is_some());
        assert!(site_refusal(Some(&site(a)), None).is_some());
        assert!(site_refusal(Some(&site(None)), None).is_none());
        assert!(site_refusal(Some(&site(None)), a).is_some());
        assert!(site_refusal(None, a).is_some(), "not in the catalogue");
    }

    #[test]
    fn a_referral_space_is_read_by_its_two_organisations_and_nobody_else() {
        let (a, b, c) = (OrgId::random(), OrgId::random(), OrgId::random());
        let spaces = [
            space("registry", None, Some(true)),
            referral_space(a, b),
            referral_space(b, c),
        ];
        let read = |role, org| {
            device_access(role, Some(org), &spaces)
                .into_iter()
                .filter(|s| s.partner.is_some())
                .map(|s| (s.space, s.partner, s.write))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            read(Role::Outreach, a),
            [(SpaceId::between(a, b), Some(b), true)],
            "no grant needed"
        );
        assert_eq!(read(Role::Coordinator, b).len(), 2);
        assert!(
            read(Role::Coordinator, b)
                .iter()
                .any(|(s, p, _)| *s == SpaceId::between(b, c) && *p == Some(c))
        );
        assert_eq!(
            read(Role::DayRoom, c),
            [(SpaceId::between(b, c), Some(b), true)],
            "C never reads A and B's referrals"
        );
        assert!(read(Role::Office, a).is_empty());
        assert!(device_access(Role::Admin, None, &spaces).is_empty());
        assert!(
            device_access(Role::Office, None, &spaces)
                .iter()
                .all(|s| s.partner.is_none())
        );
    }

    #[test]
    fn case_work_is_kept_in_the_writer_s_name_and_stays_with_its_person() {
        let (a, b) = (OrgId::random(), OrgId::random());
        let (zenek, ola) = (
            crate::ids::PersonId::random(),
            crate::ids::PersonId::random(),
        );
        assert!(case_work_refusal(None, (zenek, a), Some(a)).is_none());
        assert!(case_work_refusal(None, (zenek, b), Some(a)).is_some());
        assert!(case_work_refusal(None, (zenek, a), None).is_some());
        assert!(case_work_refusal(Some((zenek, a)), (zenek, a), Some(a)).is_none());
        assert!(case_work_refusal(Some((zenek, a)), (ola, a), Some(a)).is_some());
        assert!(case_work_refusal(Some((zenek, a)), (zenek, b), Some(a)).is_some());
    }

    #[test]
    fn a_referral_space_holds_referrals_only() {
        let (a, b) = (OrgId::random(), OrgId::random());
        let pair = Place::Referrals(a, b);
        assert!(space_refusal(RecordKind::Referral, pair).is_none());
        for kind in RecordKind::ALL {
            if kind != RecordKind::Referral {
                assert!(space_refusal(kind, pair).is_some(), "{kind}");
            }
        }
        assert!(space_refusal(RecordKind::Diagnosis, Place::Team(Some(a))).is_none());
        assert!(space_refusal(RecordKind::Programme, Place::Registry).is_some());
        assert!(space_refusal(RecordKind::Person, Place::Team(Some(a))).is_some());
        assert!(space_refusal(RecordKind::Person, Place::Registry).is_none());
    }

    mod referrals {
        use super::*;
        use crate::records::{
            CatalogueInstitution, CatalogueOrg, Consent, DomainAssessment, Stamp,
        };
        use crate::time::Timestamp;

        struct World {
            a: OrgId,
            b: OrgId,
            ola: UserId,
            jan: UserId,
            catalogue: Catalogue,
            team_a: SpaceId,
        }

        fn world() -> World {
            let (a, b) = (OrgId::random(), OrgId::random());
            let mut catalogue = Catalogue::with_default_services();
            for org in [a, b] {
                catalogue
                    .orgs
                    .insert(org.to_string(), CatalogueOrg { name: "org".into() });
            }
            if let Some(s) = catalogue.services.get_mut("ref_shelter") {
                s.org = Some(b);
            }
            catalogue.institutions.insert(
                "pup".into(),
                CatalogueInstitution {
                    name: "Powiatowy Urząd Pracy".into(),
                    institution_kind: "labour_office".into(),
                    address: String::new(),
                    phone: String::new(),
                    retired: false,
                },
            );
            World {
                a,
                b,
                ola: UserId::random(),
                jan: UserId::random(),
                catalogue,
                team_a: SpaceId::random(),
            }
        }

        impl World {
            fn writer(&self, org: OrgId, user: UserId) -> ReferralWriter<'_> {
                ReferralWriter {
                    org: Some(org),
                    user,
                    space_org: None,
                    consent: ReferralConsent::default(),
                    catalogue: Some(&self.catalogue),
                }
            }
            fn referral(&self, target: ReferralTarget) -> Referral {
                Referral::new(
                    crate::ids::PersonId::random(),
                    "Zenek",
                    self.a,
                    self.team_a,
                    target,
                    "Potrzebuje noclegu",
                    Stamp::by(Timestamp(10), self.ola, ""),
                )
            }
            fn to_b(&self, service: Option<&str>) -> Referral {
                self.referral(ReferralTarget::Org {
                    org: self.b,
                    service: service.map(Into::into),
                })
            }
        }

        #[test]
        fn the_sender_sends_in_its_own_name_to_what_the_catalogue_holds() {
            let w = world();
            let ola = w.writer(w.a, w.ola);
            assert!(referral_refusal(None, &w.to_b(Some("ref_shelter")), &ola).is_none());
            assert!(referral_refusal(None, &w.to_b(None), &ola).is_none());
            assert!(
                referral_refusal(None, &w.to_b(Some("food")), &ola).is_some(),
                "a service B does not offer"
            );
            let stranger = w.referral(ReferralTarget::Org {
                org: OrgId::random(),
                service: None,
            });
            assert!(referral_refusal(None, &stranger, &ola).is_some());
            let as_b = w.writer(w.b, w.jan);
            assert!(
                referral_refusal(None, &w.to_b(None), &as_b).is_some(),
                "sent in A's name by B"
            );
            let mut someone_else = w.to_b(None);
            someone_else.sent.by = Some(w.jan);
            assert!(referral_refusal(None, &someone_else, &ola).is_some());
            let mut pre_accepted = w.to_b(None);
            pre_accepted.accepted = Some(Stamp::by(Timestamp(11), w.ola, ""));
            assert!(referral_refusal(None, &pre_accepted, &ola).is_some());
        }

        #[test]
        fn an_institution_must_be_in_the_catalogue_and_the_referral_with_the_sender() {
            let w = world();
            let mut ola = w.writer(w.a, w.ola);
            let pup = w.referral(ReferralTarget::Institution("pup".into()));
            assert!(
                referral_refusal(None, &pup, &ola).is_some(),
                "space of nobody"
            );
            ola.space_org = Some(w.a);
            assert!(referral_refusal(None, &pup, &ola).is_none());
            let unknown = w.referral(ReferralTarget::Institution("nasa".into()));
            assert!(referral_refusal(None, &unknown, &ola).is_some());
            ola.space_org = Some(w.b);
            assert!(referral_refusal(None, &pup, &ola).is_some());
        }

        #[test]
        fn only_what_the_consent_covers_is_shared() {
            let w = world();
            let mut sharing = w.to_b(None);
            sharing.shared.diagnosis.insert(
                "housing".into(),
                DomainAssessment {
                    level: 1,
                    note: "śpi na dworcu".into(),
                },
            );
            let mut ola = w.writer(w.a, w.ola);
            assert!(
                referral_refusal(None, &sharing, &ola).is_some(),
                "no consent"
            );
            let mut person = Person::new("Zenek", Timestamp(1));
            person.consent = Some(Consent::given(
                Timestamp(1),
                w.ola,
                Some(w.a),
                "services share_diagnosis",
            ));
            ola.consent = ReferralConsent::of(Some(&person));
            assert_eq!(
                ola.consent,
                ReferralConsent {
                    diagnosis: true,
                    programme: false
                }
            );
            assert!(referral_refusal(None, &sharing, &ola).is_none());
            sharing.shared.goals.insert("g".into(), "mieszkanie".into());
            assert!(referral_refusal(None, &sharing, &ola).is_some(), "goals");
            // Withdrawn: nothing any more.
            if let Some(c) = person.consent.as_mut() {
                c.withdrawn_at = Some(Timestamp(2));
            }
            assert_eq!(
                ReferralConsent::of(Some(&person)),
                ReferralConsent::default()
            );
            assert!(
                ReferralConsent::default()
                    .within(&sharing.shared)
                    .is_empty()
            );
        }

        #[test]
        fn the_receiver_answers_and_nobody_rewrites_what_was_sent() {
            let w = world();
            let sent = w.to_b(None);
            let (ola, jan) = (w.writer(w.a, w.ola), w.writer(w.b, w.jan));
            let mut accepted = sent.clone();
            accepted.accepted = Some(Stamp::by(Timestamp(20), w.jan, ""));
            assert!(referral_refusal(Some(&sent), &accepted, &jan).is_none());
            assert!(
                referral_refusal(Some(&sent), &accepted, &ola).is_some(),
                "the sender does not accept its own referral"
            );
            let mut in_another_name = sent.clone();
            in_another_name.accepted = Some(Stamp::by(Timestamp(20), w.ola, ""));
            assert!(referral_refusal(Some(&sent), &in_another_name, &jan).is_some());
            let mut reasoned = sent.clone();
            reasoned.reason = "coś innego".into();
            assert!(referral_refusal(Some(&sent), &reasoned, &ola).is_some());
            let mut taken_back = accepted.clone();
            taken_back.accepted = None;
            assert!(referral_refusal(Some(&accepted), &taken_back, &jan).is_some());
            let mut done = accepted.clone();
            done.done = Some(Stamp::by(Timestamp(30), w.jan, ""));
            assert!(referral_refusal(Some(&accepted), &done, &jan).is_none());
            // To an institution, the sender records the answer.
            let mut own = w.writer(w.a, w.ola);
            own.space_org = Some(w.a);
            let pup = w.referral(ReferralTarget::Institution("pup".into()));
            let mut answered = pup.clone();
            answered.declined = Some(Stamp::by(Timestamp(20), w.ola, "brak ofert"));
            assert!(referral_refusal(Some(&pup), &answered, &own).is_none());
            assert!(referral_refusal(Some(&pup), &answered, &jan).is_some());
        }
    }
}

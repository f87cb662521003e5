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

use serde::{Deserialize, Serialize};

use crate::ids::{OrgId, SpaceId, UserId};
use crate::protocol::SpaceAccess;
use crate::records::{CatalogueSite, Person, RecordKind};

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
        .filter(|s| inside(org, s.space, s.org))
        .filter_map(|s| {
            let write = match role {
                Role::Admin => None,
                Role::Coordinator if org.is_some() => Some(true),
                _ => s.granted,
            }?;
            Some(SpaceAccess {
                space: s.space,
                name: s.name.clone(),
                write,
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
/// whatever its grants (`None`: the grants decide).
pub fn kind_refusal(kind: RecordKind, space: SpaceId) -> Option<&'static str> {
    match kind {
        RecordKind::CaseNotes if space.is_registry() => {
            Some("case notes belong to a member organisation's team space, never to the registry")
        }
        RecordKind::Person if !space.is_registry() => {
            Some("a person belongs to the consortium registry")
        }
        _ => None,
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
}

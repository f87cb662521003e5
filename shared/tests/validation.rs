//! What each record kind accepts and refuses (`Record::validate`).

use odnowa_shared::ids::{PersonId, SiteId, SpaceId, UserId};
use odnowa_shared::records::{Consent, Contact, Participant, Person, Record, Workshop};
use odnowa_shared::time::Timestamp;
use odnowa_shared::validate::ValidationContext;

fn team() -> SpaceId {
    SpaceId::random()
}

fn check<R: Record>(record: &R, ctx: &ValidationContext, expect: Result<(), &str>) {
    let got = record.validate(ctx).map_err(|e| e.to_string());
    assert_eq!(got, expect.map_err(String::from), "{record:?}");
}

#[test]
fn contacts() {
    let ctx = ValidationContext::with_services(["food", "hot_drink"]);
    let base = Contact::new(team(), UserId::random(), Timestamp(0));
    check(
        &base,
        &ctx,
        Err("a contact needs at least one person or an anonymous head count"),
    );
    let mut anonymous = base.clone();
    anonymous.anonymous_count = 3;
    check(&anonymous, &ctx, Ok(()));
    let known = base
        .clone()
        .with_person(PersonId::random())
        .with_service("food");
    check(&known, &ctx, Ok(()));
    let unknown = base
        .clone()
        .with_person(PersonId::random())
        .with_service("massage");
    check(
        &unknown,
        &ctx,
        Err("unknown service code \"massage\": it is not in the catalogue"),
    );
    check(&unknown, &ValidationContext::default(), Ok(()));
    let mut negative = anonymous.clone();
    negative.anonymous_count = -1;
    check(&negative, &ctx, Err("anonymous_count must not be negative"));
    let mut in_registry = known.clone();
    in_registry.space = SpaceId::REGISTRY;
    check(
        &in_registry,
        &ctx,
        Err("a contact record belongs in a team space"),
    );
    let mut bad_key = anonymous;
    bad_key.persons.insert("zbyszek".into(), Default::default());
    check(
        &bad_key,
        &ctx,
        Err("persons holds a key that is not an id: \"zbyszek\""),
    );
}

#[test]
fn workshops() {
    let ctx = ValidationContext::default();
    let date = "2026-11-24".parse().expect("date");
    let mut workshop = Workshop::new(team(), SiteId::random(), date, UserId::random());
    workshop.participants.insert(
        PersonId::random().to_string(),
        Participant {
            hours: 2.5,
            role: "participant".into(),
        },
    );
    check(&workshop, &ctx, Ok(()));
    for (hours, expect) in [
        (-0.5, Err("hours must not be negative")),
        (f64::NAN, Err("hours must not be negative")),
        (25.0, Err("hours is out of range: 25")),
        (0.0, Ok(())),
    ] {
        for p in workshop.participants.values_mut() {
            p.hours = hours;
        }
        check(&workshop, &ctx, expect);
    }
}

#[test]
fn persons() {
    let ctx = ValidationContext::default();
    let mut person = Person::new("Zbyszek", Timestamp(0));
    check(&person, &ctx, Ok(()));
    person.birth_year = Some(1850);
    check(&person, &ctx, Err("birth_year is out of range: 1850"));
    person.birth_year = Some(1970);
    person.alias = "   ".into();
    check(&person, &ctx, Err("alias is required"));
    person.alias = "x".repeat(121);
    check(
        &person,
        &ctx,
        Err("alias is too long: at most 120 characters"),
    );
    person.alias = "Zbyszek".into();
    // A crafted push cannot store an unbounded consent scope.
    person.consent = Some(Consent::given(
        Timestamp(0),
        UserId::random(),
        None,
        &"x".repeat(201),
    ));
    check(
        &person,
        &ctx,
        Err("consent.scope is too long: at most 200 characters"),
    );
}

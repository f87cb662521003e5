//! The "same as last time" chip: which services it offers.
//!
//! With a person selected, it offers the services of that person's latest
//! contact; otherwise (or when that person has none) the services this
//! worker saved last on this device; otherwise those of the latest contact
//! on the device. The chip names every service it ticks, so nothing is
//! ticked without the person seeing it.

use odnowa_shared::api::{ContactView, ServiceView};
use odnowa_shared::ids::PersonId;

use crate::i18n::Lang;

/// Whose earlier contact the chip repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The latest contact with one of the selected persons.
    Person,
    /// This worker's latest contact.
    Worker,
}

/// What the chip offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastTime {
    pub services: Vec<String>,
    pub source: Source,
}

/// The offer for the `selected` persons, from `earlier` contacts (any
/// order) and the services this worker saved last (`worker_last`); `None`
/// when there is nothing to repeat.
pub fn same_as_last_time(
    selected: &[PersonId],
    earlier: &[ContactView],
    worker_last: &[String],
) -> Option<LastTime> {
    let mut newest_first: Vec<&ContactView> =
        earlier.iter().filter(|c| !c.services.is_empty()).collect();
    newest_first.sort_by_key(|c| std::cmp::Reverse(c.at));
    if let Some(contact) = newest_first
        .iter()
        .find(|c| c.persons.iter().any(|p| selected.contains(&p.id)))
    {
        return Some(LastTime {
            services: contact.services.clone(),
            source: Source::Person,
        });
    }
    if !worker_last.is_empty() {
        return Some(LastTime {
            services: worker_last.to_vec(),
            source: Source::Worker,
        });
    }
    newest_first.first().map(|contact| LastTime {
        services: contact.services.clone(),
        source: Source::Worker,
    })
}

/// The name of a service in `lang`, or its code when the catalogue does
/// not know it any more.
pub fn service_name<'a>(lang: Lang, code: &'a str, catalogue: &'a [ServiceView]) -> &'a str {
    catalogue
        .iter()
        .find(|s| s.code == code)
        .map(|s| match lang {
            Lang::Pl => s.name_pl.as_str(),
            Lang::En => s.name_en.as_str(),
        })
        .unwrap_or(code)
}

/// The names of `codes` joined for the chip: "Food + Hot drink".
pub fn service_names(lang: Lang, codes: &[String], catalogue: &[ServiceView]) -> String {
    codes
        .iter()
        .map(|code| service_name(lang, code, catalogue))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Whether exactly `codes` are ticked (the chip then shows as applied).
pub fn is_applied(codes: &[String], ticked: &[String]) -> bool {
    codes.len() == ticked.len() && codes.iter().all(|c| ticked.contains(c))
}

#[cfg(test)]
mod tests {
    use odnowa_shared::api::PersonView;
    use odnowa_shared::ids::DocId;
    use odnowa_shared::time::Timestamp;

    use super::*;

    fn id(n: u64) -> String {
        format!("00000000-0000-0000-0000-{n:012}")
    }

    fn person(n: u64) -> PersonView {
        PersonView {
            id: id(n).parse().expect("test id"),
            alias: format!("p{n}"),
            birth_year: None,
            gender: String::new(),
            confirmed: true,
            consent: None,
            hidden: false,
        }
    }

    fn contact(n: u64, at: i64, persons: &[u64], services: &[&str]) -> ContactView {
        ContactView {
            id: id(1000 + n).parse::<DocId>().expect("test id"),
            at: Timestamp(at),
            persons: persons.iter().map(|&p| person(p)).collect(),
            anonymous_count: 0,
            services: services.iter().map(|s| s.to_string()).collect(),
            place: String::new(),
            duration_min: None,
            note: String::new(),
            follow_up: String::new(),
            follow_up_due: None,
            confirmed: true,
            conflicts: 0,
        }
    }

    fn codes(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn check(selected: &[u64], worker_last: &[&str], expect: Option<(&[&str], Source)>) {
        let earlier = [
            contact(1, 10, &[1], &["food", "drink"]),
            contact(2, 30, &[2], &["clothes"]),
            contact(3, 20, &[1], &["hygiene"]),
            contact(4, 40, &[3], &[]),
        ];
        let selected: Vec<PersonId> = selected.iter().map(|&p| person(p).id).collect();
        let got = same_as_last_time(&selected, &earlier, &codes(worker_last));
        let expect = expect.map(|(services, source)| LastTime {
            services: codes(services),
            source,
        });
        assert_eq!(got, expect);
    }

    #[test]
    fn the_persons_latest_contact_first_then_the_worker() {
        check(&[1], &["info"], Some((&["hygiene"], Source::Person)));
        check(&[2, 1], &[], Some((&["clothes"], Source::Person)));
        // Person 3's only contact has no services: fall back to the worker.
        check(&[3], &["info"], Some((&["info"], Source::Worker)));
        check(&[], &[], Some((&["clothes"], Source::Worker)));
    }

    #[test]
    fn nothing_to_repeat_on_a_fresh_device() {
        assert_eq!(same_as_last_time(&[], &[], &[]), None);
    }

    #[test]
    fn names_for_the_chip() {
        let catalogue = vec![ServiceView {
            code: "food".into(),
            name_pl: "Jedzenie".into(),
            name_en: "Food".into(),
        }];
        let ticked = codes(&["food", "gone"]);
        assert_eq!(
            service_names(Lang::Pl, &ticked, &catalogue),
            "Jedzenie + gone"
        );
        assert_eq!(service_names(Lang::En, &ticked, &catalogue), "Food + gone");
        assert!(is_applied(&codes(&["gone", "food"]), &ticked));
        assert!(!is_applied(&codes(&["food"]), &ticked));
    }
}

//! A read-only view of a document that reads each map once.
//!
//! autosurgeon hydrates a record one field at a time, and each `get` is a
//! seek in Automerge's columns: a perf profile of the server's bulk ingest
//! put a quarter of its CPU there (BENCHMARKS.md, "Bulk ingest"). Through
//! [`ReadOnce`], the first `get` on a map reads all its keys in one pass
//! (`map_range`) and later ones are answered from memory. Everything else
//! goes to the document as it is. Counters are not kept (their value is
//! what `get` sums up), nor anything but maps.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::RangeBounds;
use std::rc::Rc;

use automerge::{self as am, Automerge, AutomergeError, ObjId, ObjType, Prop, ScalarValue, Value};
use autosurgeon::ReadDoc;

/// A map's keys with their winning values; `None` where the value must be
/// asked of the document (a counter).
type MapValues = HashMap<String, Option<(Value<'static>, ObjId)>>;

/// See the module documentation. Build one per hydration: it holds what
/// it read for as long as it lives.
pub struct ReadOnce<'a> {
    doc: &'a Automerge,
    maps: RefCell<HashMap<ObjId, Option<Rc<MapValues>>>>,
}

impl<'a> ReadOnce<'a> {
    pub fn new(doc: &'a Automerge) -> Self {
        ReadOnce {
            doc,
            maps: RefCell::new(HashMap::new()),
        }
    }

    /// The values of map `obj`, read in one pass the first time; `None`
    /// when `obj` is not a map (or not an object of this document).
    fn map(&self, obj: &ObjId) -> Option<Rc<MapValues>> {
        if let Some(known) = self.maps.borrow().get(obj) {
            return known.clone();
        }
        let values = match am::ReadDoc::object_type(self.doc, obj) {
            Ok(ObjType::Map) => {
                let mut values = MapValues::new();
                for item in am::ReadDoc::map_range(self.doc, obj, ..) {
                    let id = item.id();
                    let value = Value::from(item.value);
                    let kept = match &value {
                        Value::Scalar(s) if matches!(s.as_ref(), ScalarValue::Counter(_)) => None,
                        _ => Some((value, id)),
                    };
                    values.insert(item.key.into_owned(), kept);
                }
                Some(Rc::new(values))
            }
            _ => None,
        };
        self.maps.borrow_mut().insert(obj.clone(), values.clone());
        values
    }
}

impl ReadDoc for ReadOnce<'_> {
    type Parents<'b>
        = am::Parents<'b>
    where
        Self: 'b;

    fn get_heads(&self) -> Vec<am::ChangeHash> {
        self.doc.get_heads()
    }

    fn get<P: Into<Prop>>(
        &self,
        obj: &ObjId,
        prop: P,
    ) -> Result<Option<(Value<'_>, ObjId)>, AutomergeError> {
        let prop = prop.into();
        let Prop::Map(key) = &prop else {
            return am::ReadDoc::get(self.doc, obj, prop);
        };
        let Some(map) = self.map(obj) else {
            return am::ReadDoc::get(self.doc, obj, prop);
        };
        match map.get(key.as_str()) {
            None => Ok(None),
            Some(Some((value, id))) => Ok(Some((value.clone(), id.clone()))),
            Some(None) => am::ReadDoc::get(self.doc, obj, prop),
        }
    }

    fn object_type<O: AsRef<ObjId>>(&self, obj: O) -> Option<ObjType> {
        am::ReadDoc::object_type(self.doc, obj).ok()
    }

    fn map_range<'b, O, R>(&'b self, obj: O, range: R) -> am::iter::MapRange<'b>
    where
        R: RangeBounds<String> + 'b,
        O: AsRef<ObjId>,
        R: RangeBounds<String>,
    {
        am::ReadDoc::map_range(self.doc, obj, range)
    }

    fn list_range<O: AsRef<ObjId>, R: RangeBounds<usize>>(
        &self,
        obj: O,
        range: R,
    ) -> am::iter::ListRange<'_> {
        am::ReadDoc::list_range(self.doc, obj, range)
    }

    fn length<O: AsRef<ObjId>>(&self, obj: O) -> usize {
        am::ReadDoc::length(self.doc, obj)
    }

    fn text<O: AsRef<ObjId>>(&self, obj: O) -> Result<String, AutomergeError> {
        am::ReadDoc::text(self.doc, obj)
    }

    fn parents<O: AsRef<ObjId>>(&self, obj: O) -> Result<Self::Parents<'_>, AutomergeError> {
        am::ReadDoc::parents(self.doc, obj)
    }

    fn is_empty(&self) -> bool {
        am::ReadDoc::keys(self.doc, am::ROOT).count() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{self, AnyRecord, Author};
    use crate::ids::{DeviceId, PersonId, SpaceId, UserId};
    use crate::records::{Contact, DaySession, Person};
    use crate::time::{Date, Timestamp};

    fn author() -> Author {
        Author {
            device: DeviceId::random(),
            name: Some("marta · telefon".into()),
        }
    }

    /// Whatever the record, read through the view it is what reading the
    /// document gives, conflicts and counters included.
    #[test]
    fn a_record_reads_the_same_through_the_view() {
        let mut contact = Contact::new(SpaceId::random(), UserId::random(), Timestamp::now())
            .with_service("hot_drink")
            .with_person(PersonId::random());
        contact.note = "pierwsza".into();
        let mut a = document::create(&contact, author(), Timestamp::now()).expect("create");
        let mut b = a.clone();
        // Concurrent notes: a conflict whose winner both reads must agree on.
        contact.note = "druga".into();
        document::write(&mut a, &contact, author(), Timestamp::now(), "edit").expect("edit a");
        contact.note = "trzecia".into();
        contact.anonymous_count = 2;
        document::write(&mut b, &contact, author(), Timestamp::now(), "edit").expect("edit b");
        a.merge(&mut b).expect("merge");
        let mut person = Person::new("Zbyszek", Timestamp::now());
        person.birth_year = Some(1970);
        let person = document::create(&person, author(), Timestamp::now()).expect("person");
        let mut day = DaySession::genesis_value(
            SpaceId::random(),
            crate::ids::SiteId::random(),
            Date::today(),
        );
        let mut session = document::genesis(&day).expect("genesis");
        day.mark_present(PersonId::random(), UserId::random(), Timestamp::now());
        document::write(&mut session, &day, author(), Timestamp::now(), "tick").expect("tick");
        for doc in [&a, &person, &session] {
            let direct = document::header(doc).expect("header");
            let view = ReadOnce::new(doc);
            assert_eq!(document::header(&view).expect("header"), direct);
            let through = AnyRecord::read(&view, &direct).expect("through the view");
            let plain = AnyRecord::read(doc, &direct).expect("directly");
            assert_eq!(format!("{through:?}"), format!("{plain:?}"));
        }
    }
}

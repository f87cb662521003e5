//! Concurrent edits of one field: Automerge keeps every value; this module
//! lists them (the UI shows "2 versions" with who and when) and lets a
//! person pick one.

use automerge::transaction::Transactable;
use automerge::{Automerge, ObjId, ObjType, ReadDoc, ScalarValue, Value, ValueRef};
use serde::{Deserialize, Serialize};

use crate::document::{Author, DocError, actor_device, author_name, device_actor};
use crate::ids::DeviceId;
use crate::time::Timestamp;

/// One of the values a field holds after concurrent edits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldVersion {
    /// The value as text, for display.
    pub value: String,
    /// The change that wrote it.
    pub change: String,
    /// The device that wrote it.
    pub device: Option<DeviceId>,
    /// Who that device's author is, as the document records it.
    #[serde(default)]
    pub author: Option<String>,
    /// When that change was made.
    pub at: Timestamp,
}

/// A field with more than one value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conflict {
    /// Keys from the root to the field, e.g. `["alias"]` or
    /// `["attendance", "<person id>", "check_out"]`.
    pub path: Vec<String>,
    pub versions: Vec<FieldVersion>,
}

fn display(value: &Value<'_>) -> String {
    match value {
        Value::Object(ObjType::Map | ObjType::Table) => "{…}".to_string(),
        Value::Object(_) => "[…]".to_string(),
        Value::Scalar(s) => match s.as_ref() {
            ScalarValue::Str(s) => s.to_string(),
            ScalarValue::Null => String::new(),
            other => other.to_string(),
        },
    }
}

fn version(doc: &Automerge, value: &Value<'_>, id: &automerge::ObjId) -> FieldVersion {
    let hash = doc.hash_for_opid(id);
    let meta = hash.and_then(|h| doc.get_change_meta_by_hash(&h));
    FieldVersion {
        value: display(value),
        change: hash.map(|h| h.to_string()).unwrap_or_default(),
        device: meta.as_ref().and_then(|m| actor_device(&m.actor)),
        author: meta
            .as_ref()
            .and_then(|m| actor_device(&m.actor))
            .and_then(|device| author_name(doc, device)),
        at: Timestamp(meta.map(|m| m.timestamp).unwrap_or_default()),
    }
}

fn walk(doc: &Automerge, obj: &ObjId, path: &mut Vec<String>, out: &mut Vec<Conflict>) {
    // One pass over the map gives each key's shown value and whether it
    // has concurrent ones; only those keys are read again whole (a seek
    // per key made this walk most of the cost of reading a record).
    let entries: Vec<(String, bool, Option<ObjId>)> = doc
        .map_range(obj, ..)
        .map(|item| {
            let child = matches!(item.value, ValueRef::Object(ObjType::Map | ObjType::Table))
                .then(|| item.id());
            (item.key.into_owned(), item.conflict, child)
        })
        .collect();
    for (key, conflict, child) in entries {
        if conflict {
            let all = doc.get_all(obj, key.as_str()).unwrap_or_default();
            if all.len() > 1 && !same_scalar(&all) {
                let mut at = path.clone();
                at.push(key.clone());
                out.push(Conflict {
                    path: at,
                    versions: all.iter().map(|(v, id)| version(doc, v, id)).collect(),
                });
            }
        }
        if let Some(child) = child {
            path.push(key);
            walk(doc, &child, path, out);
            path.pop();
        }
    }
}

/// Whether concurrent values are one plain value written more than once
/// (two devices picked the same version, or typed the same text): nothing
/// for a person to choose between. Two nested records are never "the same".
fn same_scalar(all: &[(Value<'_>, ObjId)]) -> bool {
    let Some((Value::Scalar(first), _)) = all.first() else {
        return false;
    };
    all.iter()
        .all(|(value, _)| matches!(value, Value::Scalar(s) if s == first))
}

/// Every field of `doc` that holds more than one value.
pub fn conflicts(doc: &Automerge) -> Vec<Conflict> {
    let mut out = Vec::new();
    walk(doc, &automerge::ROOT, &mut Vec::new(), &mut out);
    out
}

/// Why a pick could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("no field at {0:?}")]
    NoField(Vec<String>),
    /// The change is in the record but no longer one of the field's
    /// values: the field was settled since the versions were listed.
    #[error("that version is no longer one of the field's values")]
    NoSuchVersion,
    /// No change of the record has that hash.
    #[error("the record has no change {0:?}")]
    UnknownChange(String),
    #[error("only plain values can be picked, not nested records")]
    NotScalar,
    #[error(transparent)]
    Doc(#[from] DocError),
}

/// Keeps the version written by change `change` at `path`: writes that
/// value once more, so it supersedes every value this device holds.
pub fn resolve(
    doc: &mut Automerge,
    path: &[String],
    change: &str,
    author: impl Into<Author>,
    at: Timestamp,
) -> Result<(), ResolveError> {
    let device = author.into().device;
    let (last, parents) = path
        .split_last()
        .ok_or_else(|| ResolveError::NoField(path.to_vec()))?;
    let mut obj = automerge::ROOT;
    for key in parents {
        obj = match doc.get(&obj, key.as_str()).map_err(DocError::from)? {
            Some((Value::Object(_), child)) => child,
            _ => return Err(ResolveError::NoField(path.to_vec())),
        };
    }
    let all = doc.get_all(&obj, last.as_str()).map_err(DocError::from)?;
    let chosen = all
        .into_iter()
        .find(|(_, id)| doc.hash_for_opid(id).map(|h| h.to_string()).as_deref() == Some(change))
        .ok_or_else(|| {
            let known = change
                .parse::<automerge::ChangeHash>()
                .is_ok_and(|hash| doc.get_change_by_hash(&hash).is_some());
            if known {
                ResolveError::NoSuchVersion
            } else {
                ResolveError::UnknownChange(change.chars().take(80).collect())
            }
        })?;
    let scalar = match chosen.0 {
        Value::Scalar(s) => s.into_owned(),
        Value::Object(_) => return Err(ResolveError::NotScalar),
    };
    doc.set_actor(device_actor(device));
    let mut tx = doc.transaction();
    // Deleted, then written anew: a put of the winning value alone would be
    // stored as a delete of the other values, and a concurrent pick of
    // another version on a second device would then win silently. As a
    // new value, two different picks made offline show as two versions
    // again (who picked which), and the same pick twice as one value.
    tx.delete(&obj, last.as_str()).map_err(DocError::from)?;
    tx.put(&obj, last.as_str(), scalar)
        .map_err(DocError::from)?;
    tx.commit_with(
        automerge::transaction::CommitOptions::default()
            .with_time(at.0)
            .with_message(format!("pick version of {}", path.join("."))),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{create, read, write};
    use crate::records::Person;

    #[test]
    fn concurrent_edits_of_one_field_keep_both_and_can_be_resolved() {
        let (a, b) = (DeviceId::random(), DeviceId::random());
        let mut doc_a =
            create(&Person::new("Zbyszek", Timestamp(0)), a, Timestamp(0)).expect("create");
        let mut doc_b = doc_a.fork();
        let mut person: Person = read(&doc_a).expect("read");
        person.alias = "Zbych".into();
        write(&mut doc_a, &person, a, Timestamp(10), "edit").expect("write");
        let mut person: Person = read(&doc_b).expect("read");
        person.alias = "Zbigniew".into();
        write(&mut doc_b, &person, b, Timestamp(20), "edit").expect("write");
        doc_a.merge(&mut doc_b).expect("merge");

        let found = conflicts(&doc_a);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path, vec!["alias".to_string()]);
        let mut values: Vec<_> = found[0].versions.iter().map(|v| v.value.clone()).collect();
        values.sort();
        assert_eq!(values, vec!["Zbigniew", "Zbych"]);
        let from_b = found[0]
            .versions
            .iter()
            .find(|v| v.device == Some(b))
            .expect("b's version");
        assert_eq!(from_b.at, Timestamp(20));

        resolve(&mut doc_a, &found[0].path, &from_b.change, a, Timestamp(30)).expect("resolve");
        assert!(conflicts(&doc_a).is_empty());
        assert_eq!(read::<Person>(&doc_a).expect("read").alias, "Zbigniew");
    }

    /// The walk as it was before it read each map in one pass (every key
    /// read whole, twice): the reference the one-pass walk must equal.
    fn walk_by_key(doc: &Automerge, obj: &ObjId, path: &mut Vec<String>, out: &mut Vec<Conflict>) {
        let keys: Vec<String> = doc.keys(obj).collect();
        for key in keys {
            let all = doc.get_all(obj, key.as_str()).unwrap_or_default();
            path.push(key.clone());
            if all.len() > 1 && !same_scalar(&all) {
                out.push(Conflict {
                    path: path.clone(),
                    versions: all.iter().map(|(v, id)| version(doc, v, id)).collect(),
                });
            }
            if let Some((Value::Object(ObjType::Map | ObjType::Table), child)) =
                doc.get(obj, key.as_str()).ok().flatten()
            {
                walk_by_key(doc, &child, path, out);
            }
            path.pop();
        }
    }

    #[test]
    fn nested_conflicts_are_found_in_one_pass_as_key_by_key() {
        use automerge::ROOT;
        let (da, db) = (DeviceId::random(), DeviceId::random());
        let mut a = Automerge::new().with_actor(device_actor(da));
        let mut tx = a.transaction();
        tx.put(ROOT, "alias", "Ala").expect("put");
        let attendance = tx
            .put_object(ROOT, "attendance", ObjType::Map)
            .expect("map");
        let p1 = tx.put_object(&attendance, "p1", ObjType::Map).expect("map");
        tx.put(&p1, "check_out", "12:00").expect("put");
        tx.put(&p1, "meal", "obiad").expect("put");
        tx.commit();
        let mut b = a.fork().with_actor(device_actor(db));
        for (doc, out, meal, alias) in [
            (&mut a, "13:00", "zupa", "Ola"),
            (&mut b, "14:00", "kanapka", "Ola"),
        ] {
            let mut tx = doc.transaction();
            tx.put(&p1, "check_out", out).expect("put");
            tx.put(&p1, "meal", meal).expect("put");
            // The same text typed on both: nothing to choose between.
            tx.put(ROOT, "alias", alias).expect("put");
            // Both open the same entry: two nested records at one key.
            let p2 = tx.put_object(&attendance, "p2", ObjType::Map).expect("map");
            tx.put(&p2, "check_in", out).expect("put");
            tx.commit();
        }
        a.merge(&mut b).expect("merge");

        let found = conflicts(&a);
        let paths: Vec<Vec<&str>> = found
            .iter()
            .map(|c| c.path.iter().map(String::as_str).collect())
            .collect();
        assert_eq!(
            paths,
            vec![
                vec!["attendance", "p1", "check_out"],
                vec!["attendance", "p1", "meal"],
                vec!["attendance", "p2"],
            ]
        );
        let mut by_key = Vec::new();
        walk_by_key(&a, &ROOT, &mut Vec::new(), &mut by_key);
        assert_eq!(found, by_key);
    }

    fn conflicted_alias() -> (automerge::Automerge, DeviceId) {
        let (doc_a, _, a, _) = conflict_on_two_devices();
        (doc_a, a)
    }

    #[test]
    fn editing_another_field_keeps_both_versions_of_a_conflict() {
        let (mut doc, device) = conflicted_alias();
        let mut person: Person = read(&doc).expect("read");
        person.birth_year = Some(1971);
        write(&mut doc, &person, device, Timestamp(30), "edit").expect("write");

        let found = conflicts(&doc);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].versions.len(), 2);
        assert_eq!(read::<Person>(&doc).expect("read").birth_year, Some(1971));
    }

    #[test]
    fn typing_a_new_value_over_a_conflict_settles_it() {
        let (mut doc, device) = conflicted_alias();
        let mut person: Person = read(&doc).expect("read");
        person.alias = "Zbyszek K.".into();
        write(&mut doc, &person, device, Timestamp(30), "edit").expect("write");
        assert!(conflicts(&doc).is_empty());
        assert_eq!(read::<Person>(&doc).expect("read").alias, "Zbyszek K.");
    }

    /// Two devices with the conflict, as each holds it after a sync.
    fn conflict_on_two_devices() -> (Automerge, Automerge, DeviceId, DeviceId) {
        let (a, b) = (DeviceId::random(), DeviceId::random());
        let mut doc_a =
            create(&Person::new("Zbyszek", Timestamp(0)), a, Timestamp(0)).expect("create");
        let mut doc_b = doc_a.fork();
        for (doc, device, alias) in [(&mut doc_a, a, "Zbych"), (&mut doc_b, b, "Zbigniew")] {
            let mut person: Person = read(doc).expect("read");
            person.alias = alias.into();
            write(doc, &person, device, Timestamp(10), "edit").expect("write");
        }
        doc_a.merge(&mut doc_b).expect("merge");
        doc_b.merge(&mut doc_a).expect("merge");
        (doc_a, doc_b, a, b)
    }

    fn change_of(doc: &Automerge, value: &str) -> String {
        conflicts(doc)[0]
            .versions
            .iter()
            .find(|v| v.value == value)
            .expect("that version")
            .change
            .clone()
    }

    #[test]
    fn the_same_pick_on_two_devices_offline_is_no_conflict() {
        let (mut doc_a, mut doc_b, a, b) = conflict_on_two_devices();
        let path = vec!["alias".to_string()];
        let chosen = change_of(&doc_a, "Zbigniew");
        resolve(&mut doc_a, &path, &chosen, a, Timestamp(30)).expect("a picks");
        resolve(&mut doc_b, &path, &chosen, b, Timestamp(31)).expect("b picks");
        doc_a.merge(&mut doc_b).expect("merge");
        // Automerge holds both picks, but they are one value.
        assert_eq!(
            doc_a
                .get_all(automerge::ROOT, "alias")
                .expect("alias")
                .len(),
            2
        );
        assert!(conflicts(&doc_a).is_empty());
        assert_eq!(read::<Person>(&doc_a).expect("read").alias, "Zbigniew");
    }

    #[test]
    fn different_picks_on_two_devices_offline_are_a_new_conflict() {
        let (mut doc_a, mut doc_b, a, b) = conflict_on_two_devices();
        let path = vec!["alias".to_string()];
        let (zbych, zbigniew) = (change_of(&doc_a, "Zbych"), change_of(&doc_a, "Zbigniew"));
        resolve(&mut doc_a, &path, &zbych, a, Timestamp(30)).expect("a picks");
        resolve(&mut doc_b, &path, &zbigniew, b, Timestamp(31)).expect("b picks");
        doc_a.merge(&mut doc_b).expect("merge");
        let found = conflicts(&doc_a);
        assert_eq!(found.len(), 1);
        let mut picks: Vec<(String, Option<DeviceId>)> = found[0]
            .versions
            .iter()
            .map(|v| (v.value.clone(), v.device))
            .collect();
        picks.sort();
        assert_eq!(
            picks,
            vec![("Zbigniew".into(), Some(b)), ("Zbych".into(), Some(a))]
        );
    }

    #[test]
    fn a_pick_from_before_another_devices_pick_is_refused() {
        let (mut doc_a, mut doc_b, a, b) = conflict_on_two_devices();
        let path = vec!["alias".to_string()];
        // b's screen still shows both versions when a's pick arrives.
        let shown = change_of(&doc_b, "Zbych");
        let chosen = change_of(&doc_a, "Zbigniew");
        resolve(&mut doc_a, &path, &chosen, a, Timestamp(30)).expect("a picks");
        doc_b.merge(&mut doc_a).expect("merge");
        let refused = resolve(&mut doc_b, &path, &shown, b, Timestamp(31));
        assert!(
            matches!(refused, Err(ResolveError::NoSuchVersion)),
            "{refused:?}"
        );
        let unknown = resolve(&mut doc_b, &path, "not-a-change", b, Timestamp(32));
        assert!(
            matches!(unknown, Err(ResolveError::UnknownChange(_))),
            "{unknown:?}"
        );
        assert_eq!(read::<Person>(&doc_b).expect("read").alias, "Zbigniew");
        assert!(conflicts(&doc_b).is_empty());
    }
}

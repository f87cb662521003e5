//! A writer that leaves concurrent values alone.
//!
//! `autosurgeon` writes every scalar field of a record on each reconcile;
//! Automerge skips a put of the value a field already holds, except when the
//! field holds several concurrent values: then the put supersedes all of
//! them, and the values the person never saw vanish. This wrapper drops such
//! a put when it only repeats the currently shown value, so an edit of one
//! field never resolves a conflict in another. A put of a *different* value
//! is a deliberate edit and goes through (it supersedes every version, which
//! is what "I typed the right value" means).

use std::ops::RangeBounds;

use automerge::transaction::{Transactable, Transaction};
use automerge::{self as am, AutomergeError, ObjId, Value};

/// A transaction seen through `autosurgeon::Doc`, keeping conflicts.
pub(crate) struct KeepConflicts<'a, 'b> {
    tx: &'a mut Transaction<'b>,
}

impl<'a, 'b> KeepConflicts<'a, 'b> {
    pub(crate) fn new(tx: &'a mut Transaction<'b>) -> Self {
        Self { tx }
    }

    /// Whether putting `value` at `prop` of `obj` would only repeat the
    /// shown value of a field that holds several values.
    fn repeats_shown_value(&self, obj: &ObjId, prop: &am::Prop, value: &am::ScalarValue) -> bool {
        let values = match am::ReadDoc::get_all(&*self.tx, obj, prop.clone()) {
            Ok(values) => values,
            Err(_) => return false,
        };
        if values.len() < 2 {
            return false;
        }
        matches!(
            am::ReadDoc::get(&*self.tx, obj, prop.clone()),
            Ok(Some((Value::Scalar(shown), _))) if shown.as_ref() == value
        )
    }
}

impl autosurgeon::ReadDoc for KeepConflicts<'_, '_> {
    type Parents<'c>
        = am::Parents<'c>
    where
        Self: 'c;

    fn get_heads(&self) -> Vec<am::ChangeHash> {
        autosurgeon::ReadDoc::get_heads(&*self.tx)
    }

    fn get<P: Into<am::Prop>>(
        &self,
        obj: &ObjId,
        prop: P,
    ) -> Result<Option<(Value<'_>, ObjId)>, AutomergeError> {
        am::ReadDoc::get(&*self.tx, obj, prop)
    }

    fn object_type<O: AsRef<ObjId>>(&self, obj: O) -> Option<am::ObjType> {
        am::ReadDoc::object_type(&*self.tx, obj).ok()
    }

    fn map_range<'c, O, R>(&'c self, obj: O, range: R) -> am::iter::MapRange<'c>
    where
        R: RangeBounds<String> + 'c,
        O: AsRef<ObjId>,
    {
        am::ReadDoc::map_range(&*self.tx, obj, range)
    }

    fn list_range<O: AsRef<ObjId>, R: RangeBounds<usize>>(
        &self,
        obj: O,
        range: R,
    ) -> am::iter::ListRange<'_> {
        am::ReadDoc::list_range(&*self.tx, obj, range)
    }

    fn length<O: AsRef<ObjId>>(&self, obj: O) -> usize {
        am::ReadDoc::length(&*self.tx, obj)
    }

    fn text<O: AsRef<ObjId>>(&self, obj: O) -> Result<String, AutomergeError> {
        am::ReadDoc::text(&*self.tx, obj)
    }

    fn parents<O: AsRef<ObjId>>(&self, obj: O) -> Result<Self::Parents<'_>, AutomergeError> {
        am::ReadDoc::parents(&*self.tx, obj)
    }

    fn is_empty(&self) -> bool {
        autosurgeon::ReadDoc::is_empty(&*self.tx)
    }
}

impl autosurgeon::Doc for KeepConflicts<'_, '_> {
    fn put<O: AsRef<ObjId>, P: Into<am::Prop>, V: Into<am::ScalarValue>>(
        &mut self,
        obj: O,
        prop: P,
        value: V,
    ) -> Result<(), AutomergeError> {
        let (prop, value) = (prop.into(), value.into());
        if self.repeats_shown_value(obj.as_ref(), &prop, &value) {
            return Ok(());
        }
        Transactable::put(self.tx, obj, prop, value)
    }

    fn put_object<O: AsRef<ObjId>, P: Into<am::Prop>>(
        &mut self,
        obj: O,
        prop: P,
        value: am::ObjType,
    ) -> Result<ObjId, AutomergeError> {
        Transactable::put_object(self.tx, obj, prop, value)
    }

    fn insert<O: AsRef<ObjId>, V: Into<am::ScalarValue>>(
        &mut self,
        obj: O,
        index: usize,
        value: V,
    ) -> Result<(), AutomergeError> {
        Transactable::insert(self.tx, obj, index, value)
    }

    fn insert_object<O: AsRef<ObjId>>(
        &mut self,
        obj: O,
        index: usize,
        value: am::ObjType,
    ) -> Result<ObjId, AutomergeError> {
        Transactable::insert_object(self.tx, obj, index, value)
    }

    fn increment<O: AsRef<ObjId>, P: Into<am::Prop>>(
        &mut self,
        obj: O,
        prop: P,
        value: i64,
    ) -> Result<(), AutomergeError> {
        Transactable::increment(self.tx, obj, prop, value)
    }

    fn delete<O: AsRef<ObjId>, P: Into<am::Prop>>(
        &mut self,
        obj: O,
        prop: P,
    ) -> Result<(), AutomergeError> {
        Transactable::delete(self.tx, obj, prop)
    }

    fn splice_text<O: AsRef<ObjId>>(
        &mut self,
        obj: O,
        pos: usize,
        del: isize,
        text: &str,
    ) -> Result<(), AutomergeError> {
        Transactable::splice_text(self.tx, obj, pos, del, text)
    }

    fn update_text<O: AsRef<ObjId>>(&mut self, obj: O, text: &str) -> Result<(), AutomergeError> {
        Transactable::update_text(self.tx, obj.as_ref(), text)
    }

    fn batch_create<O: AsRef<ObjId>, P: Into<am::Prop>>(
        &mut self,
        obj: O,
        prop: P,
        value: am::hydrate::Value,
        insert: bool,
    ) -> Result<(), AutomergeError> {
        autosurgeon::Doc::batch_create(self.tx, obj, prop, value, insert)
    }

    fn init_root_from_hydrate(&mut self, value: &am::hydrate::Map) -> Result<(), AutomergeError> {
        Transactable::init_root_from_hydrate(self.tx, value)
    }
}

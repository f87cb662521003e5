//! Projections on the server: every accepted change rewrites its record's
//! relational rows (`0002_projections.sql`) in the same transaction that
//! stores it (`store::Db::append_all`), so the office pages and reports are SQL
//! over current state. The rows come from the pure
//! `odnowa_shared::projection::project`; [`rebuild`] writes them all again
//! from the stored documents and gives the same rows.

use automerge::Automerge;

use odnowa_shared::ids::DocId;
use odnowa_shared::projection::{Projection, project};
use odnowa_shared::records::RecordKind;

use crate::store::{Db, StoreError};

/// Documents read and written per transaction of a rebuild.
const REBUILD_BATCH: u32 = 200;

/// The rows of `doc`; a document that cannot be read as its kind projects
/// nothing (it is logged, and its changes are still stored).
pub fn project_or_log(kind: RecordKind, id: DocId, doc: &Automerge) -> Projection {
    match project(kind, doc) {
        Ok(projection) => projection,
        Err(e) => {
            tracing::warn!(doc = %id, %kind, error = %e, "record not projected");
            Projection::Nothing
        }
    }
}

/// What a rebuild did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rebuilt {
    pub documents: u64,
    pub projected: u64,
}

/// Empties the projection tables and writes them again from every stored
/// document, in batches. Reports read partial figures while it runs: run
/// it when the office is not reporting (after a restore, or after a
/// projection's definition changed).
pub async fn rebuild(db: &Db) -> Result<Rebuilt, StoreError> {
    db.clear_projections().await?;
    let mut done = Rebuilt::default();
    let mut after = None;
    loop {
        let ids = db.doc_ids(after, REBUILD_BATCH).await?;
        let Some(&(last, _)) = ids.last() else {
            break;
        };
        let mut batch = Vec::with_capacity(ids.len());
        for (id, kind) in ids {
            done.documents += 1;
            let Some(stored) = db.load_doc(id).await? else {
                continue;
            };
            let doc = stored.document()?;
            let projection = project_or_log(kind, id, &doc);
            if projection != Projection::Nothing {
                done.projected += 1;
                batch.push((id, projection));
            }
        }
        db.write_projections(&batch).await?;
        after = Some(last);
    }
    tracing::info!(
        documents = done.documents,
        projected = done.projected,
        "projections rebuilt"
    );
    Ok(done)
}

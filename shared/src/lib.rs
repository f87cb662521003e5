//! Odnowa's shared core: the domain model, validation, the wire protocol
//! and the sans-I/O sync logic.
//!
//! Architecture invariant: this crate does no I/O (no files, sockets or
//! clocks except [`time::Timestamp::now`]) and builds for
//! `wasm32-unknown-unknown`. Only this crate touches raw Automerge paths.
//!
//! A walkthrough: a worker records a contact on a phone, the server
//! ingests it, another device pulls it.
//!
//! ```
//! use odnowa_shared::document::{self, create, read};
//! use odnowa_shared::ids::{DeviceId, PersonId, SpaceId, UserId};
//! use odnowa_shared::records::Contact;
//! use odnowa_shared::sync::{ingest::ingest, replica::ReplicaDoc};
//! use odnowa_shared::protocol::DocUpdate;
//! use odnowa_shared::time::Timestamp;
//! use odnowa_shared::validate::ValidationContext;
//!
//! let team = SpaceId::random();
//! let phone = DeviceId::random();
//! let contact = Contact::new(team, UserId::random(), Timestamp(0))
//!     .with_person(PersonId::random())
//!     .with_service("hot_drink");
//! let doc = create(&contact, phone, Timestamp(0)).unwrap();
//! let replica = ReplicaDoc::local(document::header(&doc).unwrap(), 0, doc);
//!
//! // The phone pushes what the server has not confirmed; the server ingests it.
//! let push = replica.push().unwrap();
//! let ctx = ValidationContext::with_services(["hot_drink"]);
//! let outcome = ingest(None, &push, &ctx);
//! assert!(outcome.refused.is_empty());
//!
//! // Another device receives the changes and reads the same record.
//! let update = DocUpdate {
//!     doc: push.doc, space: push.space, kind: push.kind, generation: 0,
//!     snapshot: None, changes: push.changes.clone(),
//! };
//! let office = ReplicaDoc::from_update(&update).unwrap();
//! assert_eq!(read::<Contact>(&office.doc).unwrap(), contact);
//! ```

pub mod access;
pub mod api;
pub mod conflicts;
pub mod document;
pub mod ids;
mod keep_conflicts;
pub mod office;
pub mod projection;
pub mod protocol;
pub mod read_once;
pub mod records;
pub mod report;
pub mod search;
pub mod sync;
pub mod time;
pub mod validate;

pub use automerge;

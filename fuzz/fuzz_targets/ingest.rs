//! A push of arbitrary change bytes against a valid stored document: never
//! a panic; a refused push leaves the document unchanged and stores
//! nothing; an accepted one validates and loads again. See
//! `odnowa_fuzz::check_ingest` for the input format.
#![no_main]

// Ingestion catches a panic of Automerge and refuses the push; libFuzzer's
// hook would abort on it all the same, so the default hook comes back (a
// panic that escapes the target still aborts: libfuzzer-sys catches it).
libfuzzer_sys::fuzz_target!(
    init: {
        let _ = std::panic::take_hook();
    },
    |data: &[u8]| odnowa_fuzz::check_ingest(data)
);

//! A push of well-formed Automerge changes made by a program of edits (put,
//! delete, nest, increment, splice; any actor) on a valid stored document,
//! so the fuzzer reaches validation and hydration. The same checks as
//! `ingest`; see `odnowa_fuzz::check_edits`.
#![no_main]

// Ingestion catches a panic of Automerge and refuses the push; libFuzzer's
// hook would abort on it all the same, so the default hook comes back (a
// panic that escapes the target still aborts: libfuzzer-sys catches it).
libfuzzer_sys::fuzz_target!(
    init: {
        let _ = std::panic::take_hook();
    },
    |data: &[u8]| odnowa_fuzz::check_edits(data)
);

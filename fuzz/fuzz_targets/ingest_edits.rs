//! A push of well-formed Automerge changes made by a program of edits (put,
//! delete, nest, increment, splice; any actor) on a valid stored document,
//! so the fuzzer reaches validation and hydration. The same checks as
//! `ingest`; see `odnowa_fuzz::check_edits`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| odnowa_fuzz::check_edits(data));

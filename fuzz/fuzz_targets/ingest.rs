//! A push of arbitrary change bytes against a valid stored document: never
//! a panic; a refused push leaves the document unchanged and stores
//! nothing; an accepted one validates and loads again. See
//! `odnowa_fuzz::check_ingest` for the input format.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| odnowa_fuzz::check_ingest(data));

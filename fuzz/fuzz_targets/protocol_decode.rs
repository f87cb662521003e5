//! Any bytes as a sync frame, from a device and from the server: decoding
//! never panics and never allocates past libFuzzer's limits; what decodes
//! round-trips. See `odnowa_fuzz::check_protocol_decode`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| odnowa_fuzz::check_protocol_decode(data));

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| studio_fuzz::mp4_index(data));

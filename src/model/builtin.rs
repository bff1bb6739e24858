//! The built-in priors of self-contained exact files: a fixed text the context-mixing
//! coder learns from before every packet, so a short file does not start from
//! nothing. It is the project's own text (its documentation as of format version 3,
//! a made-up manual page and made-up changelog entries), frozen: changing one byte
//! changes format version 3's payloads (the golden
//! file `tests/golden/exact-embedded.sz` would show it).

/// The built-in priming text (43.5 KB).
pub const BUILTIN_PRIME: &[u8] = include_bytes!("builtin_prime.txt");

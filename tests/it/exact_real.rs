//! Whole self-contained files at the exact level, headers included, against zstd -19
//! (computed here through the `zstd` crate) on made-up text shaped like the
//! real-world rows of docs/BENCHMARKS.md; the expansion bound on random bytes; and
//! old format versions read or refused by name.

use proptest::prelude::*;
use semzip::codec::{EncodeOptions, Level, decode};
use semzip::model::Model;
use semzip::pipeline::{EmbedOptions, encode};

use crate::common::{encode_sz, lcg};

/// Encodes `data` self-contained at the exact level, checks the round trip, and
/// returns the whole file's length.
fn sz_len(data: &[u8], packet_bytes: Option<usize>) -> usize {
    let mut opts = EncodeOptions::default();
    if let Some(p) = packet_bytes {
        opts.packet_bytes = p;
    }
    let sz = encode_sz(data, &opts);
    let mut back = Vec::new();
    decode(&sz[..], "in.sz", &mut back, "out", None).unwrap();
    assert!(back == data, "round trip of {} bytes", data.len());
    sz.len()
}

fn zstd19(data: &[u8]) -> usize {
    zstd::bulk::compress(data, 19).unwrap().len()
}

/// Made-up words with a skewed (Zipf-like) choice.
fn pick<'a>(next: &mut impl FnMut() -> u64, words: &[&'a str]) -> &'a str {
    let r = (next() % 1000) as f64 / 1000.0;
    words[((r * r * r) * words.len() as f64) as usize]
}

const WORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "a",
    "in",
    "is",
    "for",
    "that",
    "with",
    "new",
    "fix",
    "build",
    "when",
    "file",
    "files",
    "option",
    "version",
    "output",
    "input",
    "error",
    "update",
    "support",
    "package",
    "release",
    "upstream",
    "patch",
    "remove",
    "add",
    "default",
    "value",
    "user",
    "system",
    "library",
    "manual",
    "page",
    "command",
    "directory",
    "memory",
    "crash",
    "warning",
    "message",
    "string",
    "format",
    "test",
];

/// Debian-changelog-like text: entries, bullets, a signature line with a date.
pub(crate) fn changelog(bytes: usize, seed: u64) -> String {
    let mut next = lcg(seed);
    let names = ["Ann Smith", "Bo Lee", "Cy Young", "Di Park", "Ed Moss"];
    let pkgs = ["libfoo", "barutils", "quxd", "zed-tools", "gnome-thing"];
    let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let mut out = String::new();
    while out.len() < bytes {
        let pkg = pkgs[(next() % 5) as usize];
        out.push_str(&format!(
            "{pkg} ({}.{}.{}-{}) unstable; urgency=medium\n\n",
            next() % 5,
            next() % 20,
            next() % 9,
            1 + next() % 3
        ));
        for _ in 0..1 + next() % 5 {
            let mut line = String::from("  *");
            for _ in 0..4 + next() % 9 {
                line.push(' ');
                line.push_str(pick(&mut next, WORDS));
            }
            if next().is_multiple_of(4) {
                line.push_str(&format!(" (Closes: #{})", 100_000 + next() % 900_000));
            }
            out.push_str(&line);
            out.push_str(".\n");
        }
        let n = (next() % 5) as usize;
        out.push_str(&format!(
            "\n -- {} <{}@example.org>  {}, {:02} Mar 20{:02} {:02}:{:02}:{:02} +0000\n\n",
            names[n],
            names[n].split(' ').next().unwrap().to_lowercase(),
            days[(next() % 7) as usize],
            1 + next() % 28,
            10 + next() % 14,
            next() % 24,
            next() % 60,
            next() % 60
        ));
    }
    out
}

/// Roff man-page-like text: requests, font escapes, option lists.
pub(crate) fn roff(bytes: usize, seed: u64) -> String {
    let mut next = lcg(seed);
    let mut out = String::new();
    while out.len() < bytes {
        let name = format!("cmd{}", next() % 50);
        out.push_str(&format!(
            ".TH {} 1 \"March 20{:02}\" \"{name} 1.{}\" \"User Commands\"\n.SH NAME\n{name} \\- {} {} {}\n.SH SYNOPSIS\n.B {name}\n[\\fIOPTION\\fR]... [\\fIFILE\\fR]...\n.SH DESCRIPTION\n",
            name.to_uppercase(),
            10 + next() % 14,
            next() % 9,
            pick(&mut next, WORDS),
            pick(&mut next, WORDS),
            pick(&mut next, WORDS)
        ));
        for _ in 0..2 + next() % 6 {
            let c = (b'a' + (next() % 26) as u8) as char;
            let long = pick(&mut next, WORDS);
            out.push_str(&format!(".TP\n\\fB\\-{c}\\fR, \\fB\\-\\-{long}\\fR\n"));
            for _ in 0..3 + next() % 8 {
                out.push_str(pick(&mut next, WORDS));
                out.push(' ');
            }
            out.push_str("\\fIFILE\\fR.\n");
        }
        out.push_str(".SH \"SEE ALSO\"\n.BR cat (1),\n.BR sort (1)\n");
    }
    out
}

#[test]
fn changelog_and_roff_files_are_at_most_0_9_of_zstd_19() {
    for (what, text) in [
        ("changelog", changelog(200_000, 3)),
        ("roff", roff(200_000, 4)),
    ] {
        let ours = sz_len(text.as_bytes(), None);
        let theirs = zstd19(text.as_bytes());
        assert!(
            ours as f64 <= 0.9 * theirs as f64,
            "{what}: .sz {ours} bytes, zstd -19 {theirs}"
        );
    }
}

#[test]
fn one_kilobyte_files_are_smaller_than_zstd_19_headers_included() {
    // Self-contained: the header carries no model, the built-in priors do the rest.
    for seed in 0..4 {
        for (what, text) in [
            ("changelog", changelog(1024, seed)),
            ("roff", roff(1024, seed)),
        ] {
            let data = &text.as_bytes()[..1024];
            let (ours, theirs) = (sz_len(data, None), zstd19(data));
            assert!(
                ours as f64 <= 0.9 * theirs as f64,
                "{what} {seed}: .sz {ours} bytes, zstd -19 {theirs}"
            );
        }
    }
}

#[test]
fn long_repeats_across_default_packet_sizes_are_found() {
    // 400 KB of incompressible bytes, twice: the second copy lies beyond the old
    // 256 KiB packet but inside one default packet, so it costs almost nothing.
    let mut next = lcg(11);
    let block: Vec<u8> = (0..400_000).map(|_| next() as u8).collect();
    let data = block.repeat(2);
    let ours = sz_len(&data, None);
    assert!(
        ours < block.len() + block.len() / 20,
        "{ours} bytes for twice {} bytes",
        block.len()
    );
    // Small packets still decode (the repeat then spans packet boundaries).
    sz_len(&data[..300_000], Some(70_000));
}

/// The fixed cost of a self-contained exact file: header, one packet's framing, the
/// index and the trailer (docs/FORMAT.md, "Expansion bound").
const OVERHEAD: usize = 160;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn random_bytes_expand_by_at_most_a_thousandth_plus_the_header(
        len in 0usize..3000,
        big in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let len = if big { len * 40 } else { len };
        let mut next = lcg(seed);
        let data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        let out = sz_len(&data, None);
        prop_assert!(out <= len + len / 1000 + OVERHEAD, "{} bytes for {}", out, len);
    }
}

#[test]
fn format_version_2_files_are_still_read() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let read = |p: &str| std::fs::read(dir.join(p)).unwrap();
    let model = Model::from_bytes(&read("v2/synth.szm")).unwrap();
    let input = read("input.txt");
    for level in Level::ALL {
        for kind in ["shared", "embedded"] {
            let name = format!("{level}-{kind}");
            let sz = read(&format!("v2/{name}.sz"));
            assert_eq!(u16::from_le_bytes([sz[4], sz[5]]), 2, "{name}");
            let m = (kind == "shared").then_some(&model);
            let mut out = Vec::new();
            decode(&sz[..], &name, &mut out, "out", m).unwrap();
            let want = if level.is_lossy() {
                read(&format!("v2/{name}.out"))
            } else {
                input.clone()
            };
            assert!(out == want, "{name}: decodes differently");
        }
    }
}

#[test]
fn unknown_versions_and_the_built_in_flag_in_version_2_are_refused_by_name() {
    let sz = {
        let mut v = Vec::new();
        encode(
            &b"a line\n"[..],
            "in",
            &mut v,
            "out",
            None,
            &EncodeOptions::default(),
            &EmbedOptions::default(),
        )
        .unwrap();
        v
    };
    assert_eq!(
        u16::from_le_bytes([sz[4], sz[5]]),
        semzip::codec::container::VERSION
    );
    let mut newer = sz.clone();
    newer[4] = 9;
    let e = decode(&newer[..], "x.sz", &mut Vec::new(), "out", None).unwrap_err();
    assert!(e.to_string().contains("version 9"), "{e}");
    // The same header read as version 2: bit 4 (the built-in model) is reserved there.
    let mut older = sz;
    older[4] = 2;
    let e = decode(&older[..], "x.sz", &mut Vec::new(), "out", None).unwrap_err();
    assert!(e.to_string().contains("reserved"), "{e}");
}

//! Every `semzip ...` command in the README's code blocks runs, in a scratch folder,
//! on a synthetic corpus where it needs one, and says what the README says it does.
//!
//! [`EXAMPLES`] lists each command as the README writes it; a test fails when the
//! README shows a command that is not listed (or the list names one the README no
//! longer shows), so a new example cannot go untested.

use crate::common::{semzip, synthetic_corpus, synthetic_text};
use std::collections::BTreeSet;
use std::path::Path;

/// One README example and how the test runs and checks it.
struct Example {
    /// The command as the README writes it (continuations joined, white space folded).
    command: &'static str,
    /// Whether the run gets `--json` appended, so the check can read its numbers.
    json: bool,
    /// Flags whose values are made smaller here so that the suite stays quick.
    smaller: &'static [(&'static str, &'static str)],
    /// Checks what the run printed and wrote (in the scratch folder).
    check: fn(&Ran, &Path),
}

/// What one run printed.
struct Ran {
    stdout: String,
    stderr: String,
}

impl Ran {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("JSON output ({e}): {}", self.stdout))
    }
}

/// Name of the synthetic corpus file that stands for `$(bash corpora/fetch.sh)`.
const FORTUNES: &str = "synthetic-fortunes";

const EXAMPLES: &[Example] = &[
    Example {
        command: "semzip threshold --skill-degrees 'poly:0.5x^2+0.28x^3+0.22x^8'",
        json: true,
        smaller: &[],
        check: |ran, _| {
            // The README quotes the published G* = 0.938, three digits, truncated.
            let j = ran.json();
            let g = j["load_threshold"].as_f64().expect("load_threshold");
            assert!((0.938..0.939).contains(&g), "G* = {g}");
            let r = j["ratio_threshold"].as_f64().expect("ratio_threshold");
            assert!((r * g - 1.0).abs() < 1e-9, "R* = 1/G*");
        },
    },
    Example {
        command: "semzip threshold --skill-degrees fixed:3 --text-degrees fixed:6 --over unknown-fraction",
        json: true,
        smaller: &[],
        check: |ran, _| {
            // The (3,6) ensemble's erasure threshold, 0.4294 as the README says.
            let d = ran.json()["unknown_fraction_threshold"]
                .as_f64()
                .expect("δ*");
            assert!((d - 0.4294).abs() < 0.00005, "δ* = {d}");
        },
    },
    Example {
        command: "semzip emergence --skills 100000 --ratios 0.9:1.3:0.02 --skill-degrees 'poly:0.5x^2+0.28x^3+0.22x^8' --trials 5 --plot plots",
        json: true,
        smaller: &[],
        check: |ran, dir| {
            assert!(dir.join("plots/emergence.svg").is_file(), "no plot written");
            // Below R* = 1/0.938 most skills stay unlearned, above it none; the
            // simulation sits beside DE away from the threshold.
            let j = ran.json();
            let points = j["points"].as_array().expect("points");
            assert_eq!(points.len(), 21);
            let (first, last) = (&points[0], &points[20]);
            assert!(first["de_unlearned"].as_f64().unwrap() > 0.5);
            assert_eq!(last["de_unlearned"].as_f64(), Some(0.0));
            for p in [first, last] {
                let gap =
                    p["de_unlearned"].as_f64().unwrap() - p["sim_unlearned"].as_f64().unwrap();
                assert!(gap.abs() < 0.02, "DE against simulation: {p}");
            }
        },
    },
    Example {
        command: "semzip emergence --classes examples/classes.toml --ratios 0.5:4:0.5 --skills 100000 --trials 3",
        json: true,
        smaller: &[],
        check: |ran, _| {
            let j = ran.json();
            let points = j["points"].as_array().expect("points");
            assert_eq!(points.len(), 8);
            for p in points {
                assert_eq!(p["de_unlearned"].as_array().map(Vec::len), Some(2), "{p}");
                let gap = p["de_total"].as_f64().unwrap() - p["sim_total"].as_f64().unwrap();
                assert!(gap.abs() < 0.05, "DE against simulation: {p}");
            }
        },
    },
    Example {
        command: "semzip emergence --finite-length --skill-degrees fixed:3 --ratios 1.16:1.30:0.02 --trials 30",
        json: true,
        smaller: &[],
        check: |ran, _| {
            // The README's R* = 1.2218, the law fitted on N = 10^3 and 10^4 and
            // predicting N = 10^5.
            let j = ran.json();
            let r = j["threshold"].as_f64().expect("threshold");
            assert!((r - 1.2218).abs() < 0.00005, "R* = {r}");
            assert_eq!(j["fitted_on"], serde_json::json!([1000, 10000]));
            let points = j["points"].as_array().expect("points");
            assert!(
                points
                    .iter()
                    .any(|p| p["skills"] == 100_000 && p["fitted"] == false)
            );
        },
    },
    Example {
        command: "semzip scaling --skills 100000 --text-degrees fixed:2 --popularity zipf:2 --unknown-fraction 0.5 --ratios 1,2,4,8,16 --trials 2",
        json: true,
        smaller: &[],
        check: |ran, _| {
            // The README's -(1 - 1/s) = -0.5 for s = 2 (s is read back from the
            // skills' mean degrees, so to its precision); the error falls as R grows.
            let j = ran.json();
            let p = j["predicted_exponent"]
                .as_f64()
                .expect("predicted_exponent");
            assert!((p + 0.5).abs() < 0.005, "{p}");
            let fitted = j["fitted_exponent"].as_f64().expect("fitted_exponent");
            assert!(fitted < 0.0, "{fitted}");
        },
    },
    Example {
        command: "semzip train $(bash corpora/fetch.sh) --texts fortunes -o fortunes.szm",
        json: false,
        smaller: &[],
        check: |_, dir| {
            let m = semzip::model::Model::load(dir.join("fortunes.szm")).expect("the model");
            assert!(!m.codebook.is_empty(), "nothing learned");
            assert_eq!(m.training.segmentation, "fortunes");
        },
    },
    Example {
        command: "semzip encode -m fortunes.szm notes.txt -o notes.sz",
        json: false,
        smaller: &[],
        check: |_, dir| {
            let sz = std::fs::metadata(dir.join("notes.sz"))
                .expect("notes.sz")
                .len();
            let txt = std::fs::metadata(dir.join("notes.txt")).unwrap().len();
            assert!(sz < txt, "{sz} bytes out of {txt}");
        },
    },
    Example {
        command: "semzip -d -m fortunes.szm notes.sz -o notes.txt.out",
        json: false,
        smaller: &[],
        check: |_, dir| {
            let back = std::fs::read(dir.join("notes.txt.out")).expect("notes.txt.out");
            assert!(back == std::fs::read(dir.join("notes.txt")).unwrap());
        },
    },
    Example {
        command: "semzip encode --level set --texts paragraphs book.txt -o book.set.sz",
        json: false,
        smaller: &[],
        check: |_, dir| {
            let sz = std::fs::metadata(dir.join("book.set.sz"))
                .expect("book.set.sz")
                .len();
            let txt = std::fs::metadata(dir.join("book.txt")).unwrap().len();
            assert!(sz < txt, "{sz} bytes out of {txt}");
        },
    },
    Example {
        command: "semzip bench book.txt --texts paragraphs",
        json: false,
        smaller: &[],
        check: |ran, _| {
            assert!(ran.stdout.contains("zstd"), "{}", ran.stdout);
        },
    },
    Example {
        command: "semzip channel alice29.txt --level layered --protect base=lt:1.5,order=lt:0.5,exact=none --protect lt:match --protect joint=lt:match --channel erasure:0 --sweep 0:0.5:0.05 --trials 20",
        json: true,
        smaller: &[("--sweep", "0:0.5:0.5"), ("--trials", "2")],
        check: |ran, _| unequal_beats_equal(ran),
    },
    Example {
        command: "semzip channel alice29.txt --level layered --protect base=lt:1.5,order=lt:0.5,exact=none --protect lt:match --channel burst:0,10 --sweep 0:0.5:0.1 --trials 20",
        json: true,
        smaller: &[("--sweep", "0:0.5:0.5"), ("--trials", "2")],
        check: |ran, _| unequal_beats_equal(ran),
    },
    Example {
        command: "semzip channel -m fortunes.szm $(bash corpora/fetch.sh) --level layered --protect base=lt:1.5,order=lt:0.5,exact=none --protect lt:match --channel erasure:0 --sweep 0:0.5:0.1 --trials 20",
        json: true,
        smaller: &[("--sweep", "0:0.5:0.5"), ("--trials", "2")],
        check: |ran, _| unequal_beats_equal(ran),
    },
];

/// The README's unequal-protection runs: the two protections send the same bits,
/// lose nothing without loss, and at P = 0.5 unequal keeps more meaning.
fn unequal_beats_equal(ran: &Ran) {
    let j = ran.json();
    let points = j.as_array().expect("points");
    let at = |param: f64, unequal: bool| {
        points
            .iter()
            .find(|p| {
                p["param"].as_f64() == Some(param)
                    && p["protect"].as_str().unwrap().starts_with("base=") == unequal
            })
            .unwrap_or_else(|| panic!("no point at {param}: {points:?}"))
    };
    let f = |p: &serde_json::Value, k: &str| p[k].as_f64().unwrap();
    let (u0, e0) = (at(0.0, true), at(0.0, false));
    assert!((f(u0, "bits_sent") / f(e0, "bits_sent") - 1.0).abs() < 0.01);
    assert_eq!(f(u0, "bytes_recovered"), f(e0, "bytes_recovered"));
    assert!((f(u0, "weighted_recall") - 1.0).abs() < 1e-9);
    let (u, e) = (at(0.5, true), at(0.5, false));
    assert!(
        f(u, "weighted_recall") > f(e, "weighted_recall") + 0.1,
        "unequal {u} equal {e}"
    );
}

/// The `semzip ...` commands in the README's fenced code blocks: comments and
/// blank lines skipped, `\` continuations joined, white space folded.
fn readme_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let mut commands = Vec::new();
    let mut in_block = false;
    let mut pending = String::new();
    for line in readme.lines() {
        let t = line.trim();
        if t.starts_with("```") {
            in_block = !in_block;
            pending.clear();
            continue;
        }
        if !in_block || (pending.is_empty() && (t.is_empty() || t.starts_with('#'))) {
            continue;
        }
        let t = t.strip_prefix("$ ").unwrap_or(t);
        if let Some(head) = t.strip_suffix('\\') {
            pending.push_str(head);
            pending.push(' ');
            continue;
        }
        pending.push_str(t);
        let command = pending.split_whitespace().collect::<Vec<_>>().join(" ");
        pending.clear();
        if command.starts_with("semzip ") || command == "semzip" {
            commands.push(command);
        }
    }
    commands
}

/// Splits a command into words as a shell would for these examples (single and
/// double quotes; `$(...)` kept as one word).
fn words(command: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote = None;
    let mut depth = 0;
    let mut started = false;
    for c in command.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') if depth == 0 => {
                quote = Some(c);
                started = true;
            }
            (None, c) if c.is_whitespace() && depth == 0 => {
                if started {
                    out.push(std::mem::take(&mut cur));
                    started = false;
                }
            }
            (None, c) => {
                if c == '(' {
                    depth += 1;
                } else if c == ')' {
                    depth -= 1;
                }
                cur.push(c);
                started = true;
            }
        }
    }
    if started {
        out.push(cur);
    }
    out
}

/// The arguments the test runs for `example`: its words after `semzip`, smaller
/// where it says so, `$(bash corpora/fetch.sh)` replaced by a synthetic corpus and
/// `examples/...` read from the source tree.
fn arguments(example: &Example) -> Vec<String> {
    let mut args: Vec<String> = words(example.command).into_iter().skip(1).collect();
    for (flag, value) in example.smaller {
        let i = args
            .iter()
            .position(|a| a == flag)
            .unwrap_or_else(|| panic!("{}: no {flag} to make smaller", example.command));
        args[i + 1] = value.to_string();
    }
    for a in &mut args {
        if a == "$(bash corpora/fetch.sh)" {
            *a = FORTUNES.into();
        } else if a.starts_with("examples/") {
            *a = format!("{}/{a}", env!("CARGO_MANIFEST_DIR"));
        } else {
            assert!(
                !a.starts_with("$("),
                "{}: unknown substitution {a}",
                example.command
            );
        }
    }
    args
}

/// The inputs the examples name, made up in `dir`: a fortune-style corpus and a
/// note drawn from the same synthetic language, a book of paragraphs and lines
/// standing for alice29.txt.
fn make_inputs(dir: &Path) {
    let corpus = synthetic_corpus(3000, 800, 1);
    std::fs::write(dir.join(FORTUNES), corpus.lines.join("\n%\n") + "\n").unwrap();
    std::fs::write(dir.join("notes.txt"), synthetic_text(60, 800, 2)).unwrap();
    let book = synthetic_corpus(1500, 600, 3);
    let paragraphs: Vec<String> = book.lines.chunks(5).map(|p| p.join("\n")).collect();
    std::fs::write(dir.join("book.txt"), paragraphs.join("\n\n") + "\n").unwrap();
    std::fs::write(dir.join("alice29.txt"), synthetic_text(1500, 400, 4)).unwrap();
}

#[test]
fn every_readme_example_is_listed_here() {
    let readme: BTreeSet<String> = readme_commands().into_iter().collect();
    let listed: BTreeSet<String> = EXAMPLES.iter().map(|e| e.command.to_string()).collect();
    let untested: Vec<_> = readme.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&readme).collect();
    assert!(
        untested.is_empty() && stale.is_empty(),
        "README examples missing from tests/it/readme.rs EXAMPLES: {untested:#?}\n\
         EXAMPLES the README no longer shows: {stale:#?}"
    );
}

#[test]
fn every_readme_example_runs() {
    let dir = tempfile::tempdir().unwrap();
    make_inputs(dir.path());
    // In README order: decoding uses what encoding wrote, encoding the trained model.
    for example in EXAMPLES {
        let args = arguments(example);
        let out = semzip()
            .args(&args)
            .args(example.json.then_some("--json"))
            .current_dir(dir.path())
            .output()
            .expect("semzip runs");
        let ran = Ran {
            stdout: String::from_utf8_lossy(&out.stdout).into(),
            stderr: String::from_utf8_lossy(&out.stderr).into(),
        };
        assert!(
            out.status.success(),
            "{}: exit {:?}: {}",
            example.command,
            out.status.code(),
            ran.stderr
        );
        (example.check)(&ran, dir.path());
    }
}

#[test]
fn the_command_parser_reads_quotes_continuations_and_substitutions() {
    assert_eq!(
        words("semzip a 'b c' \"d\" $(bash x.sh) e"),
        ["semzip", "a", "b c", "d", "$(bash x.sh)", "e"]
    );
    assert_eq!(words("  semzip   "), ["semzip"]);
}

//! Odd inputs met at the command line (issue 8, items 12 and 13): old Mac line
//! endings, files without line breaks, text counts that agree between levels, and
//! a terminal on stdin.

use crate::common::{lcg, semzip};
use std::path::Path;
use std::process::{Command, Output};

fn run(args: &[&str], dir: &Path) -> Output {
    semzip().args(args).current_dir(dir).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The JSON object printed on stderr by `encode --json` (to stdout unless `-o`).
fn encode_json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["encode", "--json"];
    if !args.contains(&"-o") {
        all.push("-c");
    }
    all.extend_from_slice(args);
    let o = run(&all, dir);
    assert!(o.status.success(), "{all:?}: {}", stderr(&o));
    serde_json::from_str(stderr(&o).trim()).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)))
}

/// The report of `train --json` (written to a throwaway model).
fn train_json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["train", "-f", "-o", "m.szm", "--json", "--allow-empty"];
    all.extend_from_slice(args);
    let o = run(&all, dir);
    assert!(o.status.success(), "{all:?}: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn count(v: &serde_json::Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("no {key} in {v}"))
}

/// Made-up words: syllables drawn from a reproducible stream.
fn words(n: usize, seed: u64) -> Vec<String> {
    const SYL: [&str; 12] = [
        "ka", "lo", "mi", "ne", "ru", "ta", "so", "vi", "pe", "do", "gu", "zi",
    ];
    let mut next = lcg(seed);
    (0..n)
        .map(|_| {
            let len = 2 + next() % 3;
            (0..len).map(|_| SYL[(next() % 12) as usize]).collect()
        })
        .collect()
}

/// A synthetic corpus written by the binary itself (one text a line).
fn synth(dir: &Path, name: &str, count: &str) {
    let o = run(
        &[
            "corpus", "synth", "--skills", "80", "--count", count, "-o", name,
        ],
        dir,
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

// Item 12: a lone `\r` ends a line, as `\n` and `\r\n` do.
#[test]
fn cr_only_line_endings_are_line_breaks() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    synth(d, "lf.txt", "300");
    let lf = std::fs::read(d.join("lf.txt")).unwrap();
    let cr: Vec<u8> = lf
        .iter()
        .map(|&b| if b == b'\n' { b'\r' } else { b })
        .collect();
    std::fs::write(d.join("cr.txt"), &cr).unwrap();
    let lines = lf.iter().filter(|&&b| b == b'\n').count() as u64;
    for level in ["sequence", "set"] {
        let a = encode_json(d, &["--level", level, "lf.txt"]);
        let b = encode_json(d, &["--level", level, "cr.txt"]);
        assert_eq!(count(&a, "texts"), lines, "{level}: {a}");
        assert_eq!(count(&b, "texts"), lines, "{level}: CR-only file {b}");
    }
    let a = train_json(d, &["lf.txt"]);
    let b = train_json(d, &["cr.txt"]);
    for key in ["texts", "heldout_texts", "skills", "learned"] {
        assert_eq!(count(&a, key), count(&b, key), "{key}");
    }
    assert!(count(&b, "learned") > 0, "{b}");
}

// Item 12: a file without a line break is cut into many texts, not held out whole.
#[test]
fn one_long_line_is_split_into_texts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut line = words(200_000, 7).join(" ");
    line.truncate(1 << 20);
    let line = line.trim_end().to_string();
    assert!(line.len() > 1_000_000);
    std::fs::write(d.join("one.txt"), &line).unwrap();
    // No more than 16 KiB a text: at least 1 MB / 16 KiB texts.
    let least = line.len() as u64 / (16 << 10);
    let t = train_json(d, &["one.txt"]);
    let texts = count(&t, "texts") + count(&t, "heldout_texts");
    assert!(texts >= least, "{texts} texts from one 1 MB line: {t}");
    assert!(count(&t, "texts") > 0, "{t}");
    for level in ["sequence", "set"] {
        let e = encode_json(d, &["--level", level, "one.txt"]);
        assert!(count(&e, "texts") >= least, "{level}: {e}");
    }
    // Without --allow-empty, a failure names what the corpus holds, never "no texts".
    let o = run(&["train", "one.txt", "-o", "m2.szm"], d);
    if !o.status.success() {
        let err = stderr(&o);
        assert!(!err.contains("no texts"), "{err}");
        assert!(err.contains(" texts"), "{err}");
    }

    // A few long lines: each is split, and no words are lost at the cuts.
    let long: Vec<String> = (0..3).map(|i| words(20_000, 11 + i).join(" ")).collect();
    std::fs::write(d.join("few.txt"), long.join("\n") + "\n").unwrap();
    let e = encode_json(d, &["--level", "sequence", "few.txt", "-o", "few.sz"]);
    let per_line: u64 = long.iter().map(|l| l.len() as u64 / (16 << 10)).sum();
    assert!(count(&e, "texts") >= per_line.max(4), "{e}");
    let o = run(&["-d", "-c", "few.sz"], d);
    assert!(o.status.success(), "{}", stderr(&o));
    let back = String::from_utf8_lossy(&o.stdout);
    let n_in: usize = long.iter().map(|l| l.split_whitespace().count()).sum();
    assert_eq!(
        back.split_whitespace().count(),
        n_in,
        "every word comes back"
    );
}

// Item 12: the levels' text counts agree, and the summary says what it counts.
#[test]
fn text_counts_agree_between_levels() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    synth(d, "c.txt", "200");
    // Blank lines between groups of texts: lines and non-blank lines differ.
    let text = std::fs::read_to_string(d.join("c.txt")).unwrap();
    let mut with_blanks = String::new();
    for (i, l) in text.lines().enumerate() {
        with_blanks.push_str(l);
        with_blanks.push('\n');
        if i % 10 == 9 {
            with_blanks.push('\n');
        }
    }
    std::fs::write(d.join("b.txt"), &with_blanks).unwrap();
    let newlines = with_blanks.matches('\n').count() as u64;
    let non_blank = with_blanks.lines().filter(|l| !l.trim().is_empty()).count() as u64;
    let paragraphs = with_blanks
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .count() as u64;
    assert!(newlines > non_blank && non_blank > paragraphs);

    let exact = encode_json(d, &["b.txt"]);
    assert_eq!(
        count(&exact, "texts"),
        newlines,
        "exact counts lines: {exact}"
    );
    for (texts, want) in [("lines", non_blank), ("paragraphs", paragraphs)] {
        let seq = encode_json(d, &["--level", "sequence", "--texts", texts, "b.txt"]);
        let set = encode_json(d, &["--level", "set", "--texts", texts, "b.txt"]);
        assert_eq!(count(&seq, "texts"), want, "sequence, {texts}: {seq}");
        assert_eq!(count(&set, "texts"), want, "set, {texts}: {set}");
    }

    // The summaries name the unit, so a reader sees why exact differs.
    let o = run(&["encode", "-c", "b.txt"], d);
    assert!(
        stderr(&o).contains(&format!("{newlines} lines")),
        "{}",
        stderr(&o)
    );
    let o = run(&["encode", "-c", "--level", "set", "b.txt"], d);
    assert!(
        stderr(&o).contains(&format!("{non_blank} texts (non-blank lines)")),
        "{}",
        stderr(&o)
    );
}

// Item 13: waiting on a terminal is not silent. `script` (util-linux) gives the
// command a pseudo-terminal; Ctrl-D (byte 4) then ends the input.
#[cfg(unix)]
#[test]
fn terminal_stdin_gets_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let exe = semzip().get_program().to_owned();
    let cmd = format!("{} encode -o t.sz", exe.to_string_lossy());
    let feed = "sleep 1; printf 'hello terminal\\n'; sleep 0.5; printf '\\004'";
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "({feed}) | timeout 20 script -qec \"$0\" /dev/null 2>&1"
        ))
        .arg(&cmd)
        .current_dir(d)
        .output();
    let o = match o {
        Ok(o) => o,
        Err(e) => {
            println!("skipped: cannot run sh: {e}");
            return;
        }
    };
    let all = String::from_utf8_lossy(&o.stdout).into_owned() + &stderr(&o);
    if o.status.code() == Some(127) || all.contains("not found") || all.contains("openpty") {
        println!("skipped: no pseudo-terminal (util-linux script): {all}");
        return;
    }
    assert!(o.status.success(), "{all}");
    assert!(
        all.contains("reading from the terminal; end with Ctrl-D"),
        "{all}"
    );
    let back = run(&["-d", "-c", "t.sz"], d);
    assert_eq!(String::from_utf8_lossy(&back.stdout), "hello terminal\n");
    // Not on a terminal: no hint.
    let o = semzip()
        .args(["encode", "-o", "p.sz"])
        .current_dir(d)
        .stdin(std::process::Stdio::piped())
        .output()
        .unwrap();
    assert!(!stderr(&o).contains("terminal"), "{}", stderr(&o));
}

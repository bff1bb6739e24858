//! The layering the README claims, checked on the sources: the library knows
//! nothing of the command line.

use std::path::{Path, PathBuf};

fn library_sources() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                // The command line is the binary's, not the library's.
                if p.file_name().is_some_and(|n| n != "cli") {
                    walk(&p, out);
                }
            } else if p.extension().is_some_and(|e| e == "rs") && !p.ends_with("src/main.rs") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
    assert!(out.len() > 20, "found only {} library files", out.len());
    out
}

/// The code of a line, without a trailing `//` comment or a doc comment.
fn code(line: &str) -> &str {
    let t = line.trim_start();
    if t.starts_with("//") {
        return "";
    }
    line
}

/// Flag-like words inside the string literals of some source, with their line
/// numbers (1-based); comments are skipped, strings may span lines.
fn flags_in_strings(src: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let (mut in_str, mut in_comment) = (false, false);
    let mut lit = String::new();
    let (mut line, mut start) = (1, 1);
    let chars: Vec<char> = src.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            in_comment = false;
        }
        if in_comment {
        } else if in_str {
            if c == '\\' {
                lit.push(' ');
                i += 1;
            } else if c == '"' {
                found.extend(flag_words(&lit).into_iter().map(|f| (start, f)));
                lit.clear();
                in_str = false;
            } else {
                lit.push(c);
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'/') {
            in_comment = true;
        } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            i += 2; // a char literal such as '"'
        } else if c == '"' {
            in_str = true;
            start = line;
        }
        i += 1;
    }
    found
}

fn flag_words(s: &str) -> Vec<String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    for i in 0..b.len() {
        let starts = i == 0 || !b[i - 1].is_ascii_alphanumeric() && b[i - 1] != b'-';
        if !starts || b[i] != b'-' {
            continue;
        }
        // --long-flag
        if b.get(i + 1) == Some(&b'-') && b.get(i + 2).is_some_and(|c| c.is_ascii_lowercase()) {
            let end = (i + 2..b.len())
                .find(|&j| !(b[j].is_ascii_alphanumeric() || b[j] == b'-'))
                .unwrap_or(b.len());
            out.push(s[i..end].to_string());
        }
        // -x FILE / -f to: a short flag followed by a placeholder or advice
        if b.get(i + 1).is_some_and(|c| c.is_ascii_alphabetic())
            && b.get(i + 2) == Some(&b' ')
            && (s[i + 3..].starts_with(|c: char| c.is_ascii_uppercase())
                || s[i + 3..].starts_with("to "))
        {
            out.push(s[i..i + 2].to_string());
        }
    }
    out
}

#[test]
fn library_strings_name_no_command_line_flags() {
    let mut bad = Vec::new();
    for path in library_sources() {
        let text = std::fs::read_to_string(&path).unwrap();
        // Unit tests may drive a binary; only the library's own strings count.
        let text = text.split("#[cfg(test)]").next().unwrap_or("");
        for (n, flag) in flags_in_strings(text) {
            bad.push(format!("{}:{n}: {flag}", path.display()));
        }
    }
    assert!(
        bad.is_empty(),
        "library strings name CLI flags (use Error::parameter or say it without the flag):\n{}",
        bad.join("\n")
    );
}

#[test]
fn library_does_not_use_the_command_line_crates() {
    let mut bad = Vec::new();
    for path in library_sources() {
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            let c = code(line);
            for needle in [
                "crate::cli",
                "clap::",
                "indicatif",
                "clap_complete",
                "clap_mangen",
            ] {
                if c.contains(needle) {
                    bad.push(format!("{}:{}: {needle}", path.display(), n + 1));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "the library uses the CLI:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_checker_finds_flags() {
    let flags =
        |s: &str| -> Vec<String> { flags_in_strings(s).into_iter().map(|(_, f)| f).collect() };
    assert_eq!(flags(r#"x("try --salvage now")"#), ["--salvage"]);
    assert_eq!(flags(r#"x("pass it with -m MODEL")"#), ["-m"]);
    assert_eq!(flags(r#"x("exists: use -f to overwrite")"#), ["-f"]);
    assert!(flags(r#"x("a 1-byte payload, x-y, ---- rule")"#).is_empty());
    assert!(flags(r#"// "--trials" in a comment"#).is_empty());
    assert!(flags("let q = '\"'; /* */ x(\"--a\");").len() == 1);
    let two_lines = "f(\"nothing learned; \\\n    pass --allow-empty\")";
    assert_eq!(
        flags_in_strings(two_lines),
        [(1, "--allow-empty".to_string())]
    );
}

//! `semzip bench` as a user watches it (issue 8): rows printed as they are
//! measured, a progress bar on a terminal only, a row for every peer (one that
//! cannot run says why), and a legend under the table.

use crate::common::semzip;
use std::path::Path;
use std::process::{Command, Output};

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A small text file of made-up lines.
fn small_text(d: &Path, name: &str) {
    let mut s = String::new();
    for i in 0..120 {
        s.push_str(&format!(
            "the river{} carries stone{} past hill{}\n",
            i % 9,
            i % 7,
            i % 5
        ));
    }
    std::fs::write(d.join(name), s).unwrap();
}

// Rows are printed as they are measured: the first file's rows are out before a
// later file fails.
#[test]
fn bench_rows_stream_before_a_later_failure() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_text(d, "a.txt");
    let o = semzip()
        .args(["bench", "a.txt", "missing.txt", "--runs", "1"])
        .current_dir(d)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("missing.txt"), "{}", stderr(&o));
    let out = stdout(&o);
    for codec in ["semzip-exact", "semzip-set-drop", "zstd-19"] {
        assert!(
            out.lines()
                .any(|l| l.starts_with("a.txt") && l.contains(codec)),
            "{codec} row of a.txt not printed before the failure:\n{out}"
        );
    }
}

// A peer tool that is not installed gets a row saying so, never silence.
#[test]
fn missing_peer_tools_have_rows_that_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_text(d, "a.txt");
    let empty = tempfile::tempdir().unwrap();
    let o = semzip()
        .args(["bench", "a.txt", "--runs", "1"])
        .env("PATH", empty.path())
        .current_dir(d)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for tool in ["xz", "bzip2", "7z"] {
        let line = out
            .lines()
            .find(|l| l.contains(&format!("({tool} not installed)")))
            .unwrap_or_else(|| panic!("no row for {tool}:\n{out}"));
        // No figure for what was not measured.
        assert!(!line.contains("yes") && line.contains(" -"), "{line}");
    }
    // The legend under the table explains the headers.
    for word in ["understood =", "seq_sim =", "escapes ="] {
        assert!(out.contains(word), "{word} not explained:\n{out}");
    }
    let o = semzip()
        .args(["bench", "a.txt", "--runs", "1", "--json"])
        .env("PATH", empty.path())
        .current_dir(d)
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let codecs: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["codec"].as_str().unwrap())
        .collect();
    assert!(codecs.iter().any(|c| c.starts_with("xz-9 (")), "{codecs:?}");
}

// On a terminal the bench draws a progress bar counting rows; in a pipe it does not.
#[cfg(unix)]
#[test]
fn bench_progress_bar_on_a_terminal_only() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_text(d, "a.txt");
    let exe = semzip().get_program().to_string_lossy().into_owned();
    let o = Command::new("sh")
        .arg("-c")
        .arg("timeout 120 script -qec \"$0 bench a.txt --runs 1\" /dev/null </dev/null")
        .arg(&exe)
        .current_dir(d)
        .output();
    let Ok(o) = o else {
        println!("skipped: cannot run sh");
        return;
    };
    let all = stdout(&o) + &stderr(&o);
    if o.status.code() == Some(127) || all.contains("not found") || all.contains("openpty") {
        println!("skipped: no pseudo-terminal (util-linux script): {all}");
        return;
    }
    assert!(o.status.success(), "{all}");
    // Ten rows for one file without a dictionary; the bar counts them.
    assert!(all.contains("bench ["), "no bar on a terminal:\n{all}");
    assert!(all.contains("/10"), "{all}");
    let piped = semzip()
        .args(["bench", "a.txt", "--runs", "1"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(piped.status.success());
    assert!(!stderr(&piped).contains('['), "{}", stderr(&piped));
}

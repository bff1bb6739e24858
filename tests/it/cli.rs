//! The command line as a user meets it (issue 8): data safety, signals, closed and
//! full standard streams, gzip habits, `-` everywhere, exit codes.

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    crate::common::semzip()
}

fn run(args: &[&str], dir: &Path) -> Output {
    bin().args(args).current_dir(dir).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A small synthetic corpus in `dir`, made by the binary itself.
fn corpus(dir: &Path, name: &str) {
    let o = crate::common::current_semzip()
        .args([
            "corpus", "synth", "--skills", "60", "--count", "400", "-o", name,
        ])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

fn temps_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp") || n.starts_with(".semzip-"))
        .collect()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

// Item 1: `-f` never replaces a device node by a regular file.
#[cfg(unix)]
#[test]
fn force_writes_devices_in_place() {
    use std::os::unix::fs::FileTypeExt;
    if !is_root() {
        println!("skipped: mknod needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    corpus(d, "c.txt");
    for node in ["n1", "n2", "n3"] {
        let ok = Command::new("mknod")
            .args([node, "c", "1", "3"])
            .current_dir(d)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            println!("skipped: mknod failed");
            return;
        }
    }
    let o = run(&["train", "c.txt", "-f", "-o", "n1"], d);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(
        &[
            "corpus", "synth", "--skills", "10", "--count", "5", "-f", "-o", "n2", "--truth", "n3",
        ],
        d,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    for node in ["n1", "n2", "n3"] {
        let t = std::fs::symlink_metadata(d.join(node)).unwrap().file_type();
        assert!(t.is_char_device(), "{node} was replaced");
    }
    assert!(temps_in(d).is_empty());
}

// Item 2: SIGTERM and SIGINT during encode remove the temporary file.
#[cfg(unix)]
#[test]
fn signals_remove_the_temporary_file() {
    use std::io::Write;
    for sig in ["TERM", "INT", "HUP"] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mut child = bin()
            .args(["encode", "-", "-o", "out.sz"])
            .current_dir(d)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Keep stdin open so the encoder waits with its temporary file.
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"some text to encode\n").unwrap();
        let mut waited = 0;
        while temps_in(d).is_empty() && waited < 200 {
            std::thread::sleep(std::time::Duration::from_millis(25));
            waited += 1;
        }
        assert!(!temps_in(d).is_empty(), "no temporary file appeared");
        let killed = Command::new("kill")
            .args([&format!("-{sig}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = child.wait().unwrap();
        drop(stdin);
        assert!(!status.success(), "{sig}: {status:?}");
        assert!(temps_in(d).is_empty(), "{sig}: left {:?}", temps_in(d));
        assert!(!d.join("out.sz").exists());
    }
}

fn sh(script: &str, dir: &Path) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(bin().get_program())
        .current_dir(dir)
        .output()
        .unwrap()
}

// Item 3: a closed stdout or stdin is an error, not silent success or empty input.
#[cfg(target_os = "linux")]
#[test]
fn closed_stdout_and_stdin_fail() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("in.txt"), "a few words here\nand there\n").unwrap();
    let o = sh(r#"exec "$0" encode in.txt -o - >&-"#, d);
    assert!(!o.status.success(), "closed stdout accepted");
    assert!(stderr(&o).contains("stdout is closed"), "{}", stderr(&o));
    let o = sh(r#"exec "$0" encode -o out.sz <&-"#, d);
    assert!(!o.status.success(), "closed stdin accepted");
    assert!(stderr(&o).contains("stdin is closed"), "{}", stderr(&o));
    assert!(!d.join("out.sz").exists());
    // /dev/null redirections stay legitimate.
    let o = sh(r#"exec "$0" encode in.txt -o - > /dev/null"#, d);
    assert!(o.status.success(), "{}", stderr(&o));
}

// Item 4: a full stdout is a write error (exit 1, one line), not a bug report.
#[test]
fn full_stdout_is_a_write_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        println!("skipped: no /dev/full");
        return;
    };
    for args in [
        &[
            "threshold",
            "--skill-degrees",
            "fixed:3",
            "--text-degrees",
            "fixed:6",
        ][..],
        &["completions", "bash"][..],
        &["--help"][..],
    ] {
        let o = bin()
            .args(args)
            .current_dir(d)
            .stdout(Stdio::from(full.try_clone().unwrap()))
            .output()
            .unwrap();
        let e = stderr(&o);
        if args[0] == "--help" {
            // clap prints help itself; it must not claim a bug either.
            assert!(!e.contains("internal error"), "{e}");
            continue;
        }
        assert_eq!(o.status.code(), Some(1), "{args:?}: {e}");
        assert_eq!(e.trim_end().lines().count(), 1, "{args:?}: {e}");
        assert!(e.contains("No space left"), "{args:?}: {e}");
        assert!(!e.contains("internal error"), "{args:?}: {e}");
    }
}

// Item 9: `-` means stdin or stdout everywhere.
#[test]
fn dash_means_stdin_or_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = run(
        &[
            "corpus", "synth", "--skills", "60", "--count", "300", "-o", "-",
        ],
        d,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!d.join("-").exists(), "wrote a file named -");
    let text = o.stdout;
    assert_eq!(text.iter().filter(|&&b| b == b'\n').count(), 300);
    let stats = |args: &[&str]| {
        let mut c = bin()
            .args(args)
            .current_dir(d)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        c.stdin.take().unwrap().write_all(&text).unwrap();
        c.wait_with_output().unwrap()
    };
    let o = stats(&["corpus", "stats", "-", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["segment"]["texts"], 300);
    let o = stats(&["train", "-", "-o", "m.szm", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(d.join("m.szm").is_file());
    // The model to stdout: the report moves to stderr.
    let o = stats(&["train", "-", "-o", "-"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout.len() > 100);
    assert!(stderr(&o).contains("fingerprint"));
}

// Item 10: output folders are checked before the work; one --plot rule.
#[test]
fn plot_folder_is_checked_first() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("in.txt"), "some words\n").unwrap();
    std::fs::write(d.join("afile"), "x").unwrap();
    let started = std::time::Instant::now();
    let o = run(&["bench", "in.txt", "--plot", "afile"], d);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("is a file, not a folder"),
        "{}",
        stderr(&o)
    );
    // Refused before any measurement: nothing was written.
    assert_eq!(std::fs::read(d.join("afile")).unwrap(), b"x");
    let _ = started;
    let o = run(
        &[
            "scaling",
            "--skills",
            "200",
            "--text-degrees",
            "fixed:2",
            "--ratios",
            "2,4",
            "--trials",
            "1",
            "--plot",
            "new/plots",
        ],
        d,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(d.join("new/plots/scaling.svg").is_file());
}

// gzip/zstd habits: `semzip FILE...`, `-d FILE.sz`, `-c`, inputs kept.
#[test]
fn gzip_habits() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("a.txt"), "the cat sat on the mat\n").unwrap();
    std::fs::write(d.join("b.txt"), "a dog ran in the park\n").unwrap();
    let o = run(&["a.txt", "b.txt", "-q"], d);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(d.join("a.txt.sz").is_file() && d.join("b.txt.sz").is_file());
    assert!(d.join("a.txt").is_file(), "the input is kept");
    // Without -f the existing outputs stay, and the exit code says usage.
    let o = run(&["a.txt"], d);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("already exists: use -f"),
        "{}",
        stderr(&o)
    );
    std::fs::rename(d.join("a.txt"), d.join("a.orig")).unwrap();
    let o = run(&["-d", "a.txt.sz", "-q"], d);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(d.join("a.txt")).unwrap(),
        std::fs::read(d.join("a.orig")).unwrap()
    );
    let o = run(&["-c", "b.txt", "-q"], d);
    assert!(o.status.success());
    let sz = o.stdout;
    assert_eq!(sz, std::fs::read(d.join("b.txt.sz")).unwrap());
    let o = run(&["-d", "a.orig"], d);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("does not end in .sz"), "{}", stderr(&o));
    let o = run(&["a.txt", "b.txt", "-o", "x.sz"], d);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn completions_man_and_help_tables() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = run(&["completions", shell], d);
        assert!(o.status.success(), "{shell}");
        let s = String::from_utf8_lossy(&o.stdout);
        assert!(s.contains("semzip") && s.contains("encode"), "{shell}");
    }
    let o = run(&["man"], d);
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.contains(".TH semzip") && s.contains("decode"), "{s}");
    let o = run(&["--help"], d);
    let s = String::from_utf8_lossy(&o.stdout);
    for needle in ["Exit codes", "-d", "  3  ", "corpus"] {
        assert!(s.contains(needle), "--help lacks {needle}: {s}");
    }
    let o = run(&["corpus", "--help"], d);
    assert!(String::from_utf8_lossy(&o.stdout).contains("stats"));
    // Every command's help has an example.
    let o = run(&["--help"], d);
    let top = String::from_utf8_lossy(&o.stdout).into_owned();
    let commands: Vec<&str> = top
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert!(commands.len() >= 12, "{commands:?}");
    let missing: Vec<&str> = commands
        .iter()
        .copied()
        .filter(|c| {
            let o = run(&[c, "--help"], d);
            !String::from_utf8_lossy(&o.stdout).contains("Example")
        })
        .collect();
    assert!(missing.is_empty(), "--help without an example: {missing:?}");
}

// Item 6: huge capacities are sized by what the data can use, not allocated.
#[test]
fn huge_capacities_neither_abort_nor_allocate() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    corpus(d, "c.txt");
    let o = run(
        &["train", "c.txt", "-o", "m.szm", "--capacity", "4294967295"],
        d,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(
        &[
            "encode",
            "c.txt",
            "--level",
            "set",
            "--learner",
            "capacity:4294967295",
            "-q",
        ],
        d,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(d.join("c.txt.sz").is_file());
    // Theory commands hold a capacity as a count: any size runs, and more capacity
    // never lowers the load threshold.
    let load = |c: &str| {
        let o = run(
            &[
                "threshold",
                "--skill-degrees",
                "fixed:3",
                "--capacity",
                c,
                "--json",
            ],
            d,
        );
        assert!(o.status.success(), "{c}: {}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["load_threshold"].as_f64().expect("a load threshold")
    };
    let (top, lower) = (load("4294967295"), load("16777216"));
    assert!(top.is_finite() && top > lower, "{top} vs {lower}");
}

// Item 8: flags that the chosen mode would ignore are refused.
#[test]
fn inapplicable_flags_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    corpus(d, "c.txt");
    let o = run(&["train", "c.txt", "-o", "m.szm"], d);
    assert!(o.status.success(), "{}", stderr(&o));
    for args in [
        &["encode", "c.txt", "-o", "-", "--unlearned", "drop"][..],
        &["encode", "c.txt", "-o", "-", "--texts", "paragraphs"][..],
        // The exact level trains nothing: it starts from built-in priors.
        &["encode", "c.txt", "-o", "-", "--train-bytes", "100"][..],
        &["encode", "c.txt", "-o", "-", "--learner", "capacity:2"][..],
        // The payload coder is the exact level's (a layered file's exact layer
        // always uses context mixing).
        &[
            "encode", "c.txt", "-o", "-", "--level", "set", "--coder", "bwt",
        ][..],
        &[
            "encode", "c.txt", "-o", "-", "--level", "layered", "--coder", "cm",
        ][..],
        &[
            "encode",
            "c.txt",
            "-o",
            "-",
            "-m",
            "m.szm",
            "--learner",
            "capacity:2",
        ][..],
        &[
            "encode",
            "c.txt",
            "-o",
            "-",
            "-m",
            "m.szm",
            "--train-bytes",
            "100",
        ][..],
    ] {
        let o = run(args, d);
        assert_eq!(o.status.code(), Some(2), "{args:?} accepted");
        assert!(o.stdout.is_empty(), "{args:?} wrote data");
        // Refused for the flag it ignores, not for something else.
        let flag = args[args.len() - 2];
        assert!(stderr(&o).contains(flag), "{args:?}: {}", stderr(&o));
    }
    let o = run(
        &[
            "encode",
            "c.txt",
            "-o",
            "-",
            "--level",
            "set",
            "--unlearned",
            "drop",
        ],
        d,
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

// Item 12: odd inputs get a note, not silence or nonsense.
#[test]
fn odd_inputs_get_notes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut bin = vec![0u8; 2000];
    bin.extend_from_slice(b"tail");
    std::fs::write(d.join("bin.dat"), &bin).unwrap();
    let o = run(&["encode", "bin.dat", "-o", "bin.sz"], d);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("binary"), "{}", stderr(&o));
    let o = run(&["-d", "-c", "bin.sz"], d);
    assert_eq!(o.stdout, bin, "binary data round-trips");
    std::fs::write(d.join("t.txt"), "short text\n").unwrap();
    let o = run(&["encode", "t.txt", "-c", "--packet-bytes", "1"], d);
    assert!(o.status.success());
    assert!(stderr(&o).contains("--packet-bytes 1"), "{}", stderr(&o));
    std::fs::write(d.join("empty.txt"), "").unwrap();
    let o = run(&["encode", "empty.txt"], d);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("0.000 bpc"), "{}", stderr(&o));
}

/// Issue 11: a shared model's segmentation that would make a whole file one text
/// (paragraphs, on a file with no blank line) falls back to lines, and says so.
#[test]
fn shared_model_whose_segmentation_does_not_fit_falls_back_to_lines() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = run(
        &[
            "corpus", "synth", "--skills", "60", "--count", "1500", "-o", "c.txt",
        ],
        d,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let lines = std::fs::read_to_string(d.join("c.txt")).unwrap();
    assert!(lines.len() > 20_000, "{}", lines.len());
    let paragraphs = lines.lines().collect::<Vec<_>>().join("\n\n");
    std::fs::write(d.join("p.txt"), paragraphs).unwrap();
    let o = run(
        &["train", "p.txt", "--texts", "paragraphs", "-o", "m.szm"],
        d,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(
        &[
            "encode", "-m", "m.szm", "--level", "set", "c.txt", "-o", "c.sz",
        ],
        d,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("cutting into lines"), "{}", stderr(&o));
    let o = run(&["decode", "-m", "m.szm", "c.sz", "-o", "c.out"], d);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = std::fs::read_to_string(d.join("c.out")).unwrap();
    assert_eq!(out.lines().count(), lines.lines().count());
    // With the segmentation asked for explicitly, no fallback and no warning.
    let o = run(
        &[
            "encode",
            "-m",
            "m.szm",
            "--level",
            "set",
            "--texts",
            "paragraphs",
            "c.txt",
            "-o",
            "c2.sz",
        ],
        d,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("cutting into lines"), "{}", stderr(&o));
}

/// Issue 8 item 8: `decode -m MODEL` on a self-contained file says the model went
/// unused, and still decodes the file exactly.
#[test]
fn decode_with_a_model_on_a_self_contained_file_warns() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    corpus(d, "c.txt");
    let o = run(&["train", "c.txt", "-o", "m.szm"], d);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["encode", "c.txt", "-o", "c.sz"], d);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["decode", "-m", "m.szm", "c.sz", "-o", "c.out"], d);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("was not used"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(d.join("c.out")).unwrap(),
        std::fs::read(d.join("c.txt")).unwrap()
    );
    // Without -m: no such warning.
    let o = run(&["decode", "c.sz", "-o", "c2.out"], d);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("was not used"), "{}", stderr(&o));
}

//! Sizes a machine cannot hold are refused before anything is allocated (one line,
//! exit 2, saying how much memory they would need), and a huge capacity in the
//! theory commands is a number, not a table.

use crate::common::run;

const HUGE: &str = "4294967293";

fn refused(args: &[&str]) {
    let (code, out, err) = run(args);
    assert_eq!(code, 2, "{args:?}: {err}");
    assert!(out.is_empty(), "{args:?} printed {out}");
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    assert!(
        err.contains("--skills") && err.contains("GiB of memory") && err.contains("available"),
        "{args:?}: {err}"
    );
}

#[test]
fn huge_sizes_are_refused_with_the_memory_they_would_need() {
    let sweep = ["--ratios", "1:1:1"];
    let fixed = ["--skills", HUGE, "--skill-degrees", "fixed:3"];
    let zipf = [
        "--skills",
        HUGE,
        "--text-degrees",
        "fixed:3",
        "--popularity",
        "zipf:2",
    ];
    refused(&[&["emergence"][..], &fixed, &sweep].concat());
    refused(&[&["emergence"][..], &zipf, &sweep].concat());
    refused(&[&["scaling"][..], &zipf, &["--ratios", "1,2"]].concat());
    refused(&[&["percolation", "--simulate"][..], &fixed, &sweep].concat());
    refused(&[&["threshold"][..], &zipf].concat());
}

#[test]
fn a_huge_learner_capacity_is_a_number_not_a_table() {
    // capacity:4294967295 used to allocate 32 GiB for its table and abort.
    let huge = ["--learner", "capacity:4294967295"];
    let (code, out, err) = run(&[&["threshold", "--skill-degrees", "fixed:3"][..], &huge].concat());
    assert_eq!(code, 0, "{err}");
    let r_star = |out: &str| -> f64 {
        let line = out
            .lines()
            .find(|l| l.contains("ratio threshold R*"))
            .unwrap();
        line.split_whitespace().last().unwrap().parse().unwrap()
    };
    let (_, paper, _) = run(&["threshold", "--skill-degrees", "fixed:3"]);
    // A larger capacity teaches more: R* falls below the paper learner's.
    assert!(r_star(&out) > 0.0 && r_star(&out) < r_star(&paper), "{out}");
    // Texts of degree 3 (text-driven) hold at most 3 novel skills: capacity 3 and
    // 4294967295 give the same curve, simulation included.
    let emergence = [
        "emergence",
        "--skills",
        "2000",
        "--text-degrees",
        "fixed:3",
        "--popularity",
        "uniform",
        "--unknown-fraction",
        "0.9",
        "--ratios",
        "0.5:1.5:0.5",
    ];
    let (code, big, err) = run(&[&emergence[..], &huge].concat());
    assert_eq!(code, 0, "{err}");
    let (_, three, _) = run(&[&emergence[..], &["--learner", "capacity:3"]].concat());
    assert_eq!(big.replace("capacity:4294967295", "capacity:3"), three);
}

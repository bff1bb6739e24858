//! The README's threshold examples run as written and print the numbers it quotes.

/// The `semzip threshold ...` lines of the README's examples, split into arguments.
fn readme_threshold_commands() -> Vec<Vec<String>> {
    let readme = include_str!("../../README.md");
    readme
        .lines()
        .filter(|l| l.starts_with("semzip threshold"))
        .map(|l| {
            l.split_whitespace()
                .skip(1)
                .map(|a| a.trim_matches('\'').to_string())
                .collect()
        })
        .collect()
}

fn run_json(args: &[String]) -> serde_json::Value {
    let out = crate::common::semzip()
        .args(args)
        .arg("--json")
        .output()
        .expect("semzip runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

#[test]
fn readme_thresholds_match_the_published_values() {
    let commands = readme_threshold_commands();
    assert_eq!(commands.len(), 2, "the README shows two threshold examples");
    let irsa = run_json(&commands[0]);
    let g = irsa["load_threshold"].as_f64().expect("load_threshold");
    assert!((g - 0.938).abs() < 0.002, "G* = {g}");
    let r = irsa["ratio_threshold"].as_f64().expect("ratio_threshold");
    assert!((r * g - 1.0).abs() < 1e-9, "R* = 1/G*");
    let ldpc = run_json(&commands[1]);
    let d = ldpc["unknown_fraction_threshold"].as_f64().expect("δ*");
    assert!((d - 0.4294).abs() < 0.0005, "δ* = {d}");
}

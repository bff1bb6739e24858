//! Integration tests for rate against meaning: negations kept as skills, the dial
//! (`--keep`, `--bpc`) and its bad values, and the `bench --curve` sweep.

use semzip::codec::Level;
use semzip::fidelity::curve::{CurveOptions, curve_data, monotone_share};
use semzip::text::extract::Extractor;
use semzip::text::segment::Segmentation;
use std::path::Path;
use std::process::Command;

use crate::common::synthetic_text;

fn semzip() -> Command {
    crate::common::semzip()
}

/// Texts whose meaning turns on a negation.
const NEGATED: &str = "States should not allow patents on software.\n\
    The court never ruled on it, nor did the board.\n\
    They can't and won't agree without a vote.\n\
    No member objected; nobody doesn't care.\n";

fn decode_words(sz: &Path) -> Vec<Vec<String>> {
    let out = semzip()
        .args(["decode", "-o", "-"])
        .arg(sz)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split(' ').map(str::to_string).collect())
        .collect()
}

#[test]
fn negations_survive_the_set_and_sequence_levels() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("neg.txt");
    std::fs::write(&input, NEGATED).unwrap();
    for level in ["set", "sequence"] {
        let sz = dir.path().join(format!("neg.{level}.sz"));
        let st = semzip()
            .args(["encode", "-q", "--level", level, "-o"])
            .arg(&sz)
            .arg(&input)
            .status()
            .unwrap();
        assert!(st.success());
        let texts = decode_words(&sz);
        assert_eq!(texts.len(), 4, "{level}");
        let has = |t: usize, w: &str| texts[t].iter().any(|x| x == w);
        assert!(has(0, "not") && has(0, "allow"), "{level}: {:?}", texts[0]);
        assert!(has(1, "never") && has(1, "nor"), "{level}: {:?}", texts[1]);
        for w in ["can't", "won't", "without"] {
            assert!(has(2, w), "{level}: {w} lost: {:?}", texts[2]);
        }
        for w in ["no", "nobody", "doesn't"] {
            assert!(has(3, w), "{level}: {w} lost: {:?}", texts[3]);
        }
        if level == "sequence" {
            // Order kept: the negation stays before the verb it negates.
            assert_eq!(texts[0][..3], ["states", "not", "allow"]);
        }
    }
}

#[test]
fn bad_dial_values_get_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, NEGATED).unwrap();
    let out_file = dir.path().join("out.sz");
    let cases: [&[&str]; 8] = [
        &["--level", "set", "--keep", "0"],
        &["--level", "set", "--keep", "1.5"],
        &["--level", "set", "--keep", "-0.2"],
        &["--level", "set", "--keep", "NaN"],
        &["--level", "set", "--bpc", "-1"],
        &["--level", "set", "--bpc", "0"],
        &["--level", "sequence", "--bpc", "inf"],
        &["--level", "exact", "--keep", "0.5"],
    ];
    for args in cases {
        let out = semzip()
            .arg("encode")
            .args(args)
            .arg("-o")
            .arg(&out_file)
            .arg(&input)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("semzip: "), "{args:?}: {err}");
        assert!(!out_file.exists(), "{args:?} left an output");
    }
}

#[test]
fn the_dial_is_monotone_on_a_synthetic_corpus() {
    let data = synthetic_text(1500, 600, 7);
    let keeps = vec![1.0, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1];
    let opts = CurveOptions {
        keeps: keeps.clone(),
        texts: Segmentation::Lines,
        independent: Extractor::words(false).unwrap(),
        levels: vec![Level::Set, Level::Sequence],
        peers: false,
    };
    let pts = curve_data(data.as_bytes(), "synth", None, None, &opts).unwrap();
    for codec in ["semzip-set", "semzip-sequence"] {
        let sweep: Vec<_> = pts.iter().filter(|p| p.codec == codec).collect();
        assert_eq!(sweep.len(), keeps.len());
        // Sorted by keep, descending: fewer skills never cost more bits nor score more.
        for w in sweep.windows(2) {
            assert!(w[0].keep > w[1].keep);
            assert!(w[1].bytes_out <= w[0].bytes_out, "{codec}: {w:?}");
            assert!(w[1].weighted_recall <= w[0].weighted_recall, "{codec}");
            assert!(w[1].skill_f1 <= w[0].skill_f1, "{codec}");
        }
        assert_eq!(monotone_share(&pts, "synth", codec), 1.0);
        // Keep 1 loses nothing; the most informative go last, so the weighted
        // recall stays above the plain recall (F1 = 2R / (1 + R) with precision 1).
        assert_eq!(sweep[0].weighted_recall, 1.0);
        for p in &sweep[1..] {
            let recall = p.skill_f1 / (2.0 - p.skill_f1);
            assert!(p.weighted_recall > recall, "{codec} keep {}", p.keep);
        }
    }
    // The set level is cheaper than the sequence level at every keep.
    for k in keeps {
        let at = |c: &str| {
            pts.iter()
                .find(|p| p.codec == c && p.keep == k)
                .unwrap()
                .bytes_out
        };
        assert!(at("semzip-set") < at("semzip-sequence"), "keep {k}");
    }
}

#[test]
fn a_target_rate_is_met_by_the_largest_fraction() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("synth.txt");
    let data = synthetic_text(1500, 600, 7);
    std::fs::write(&input, &data).unwrap();
    let full = dir.path().join("full.sz");
    let st = semzip()
        .args(["encode", "-q", "--level", "set", "-o"])
        .arg(&full)
        .arg(&input)
        .status()
        .unwrap();
    assert!(st.success());
    let full_bpc = std::fs::metadata(&full).unwrap().len() as f64 * 8.0 / data.len() as f64;
    let target = full_bpc / 2.0;
    let out = dir.path().join("half.sz");
    let o = semzip()
        .args(["encode", "--json", "--level", "set", "--bpc"])
        .arg(target.to_string())
        .arg("-o")
        .arg(&out)
        .arg(&input)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let bpc = std::fs::metadata(&out).unwrap().len() as f64 * 8.0 / data.len() as f64;
    assert!(bpc <= target, "{bpc} > {target}");
    // Not far below either: the search stops within 1/1024 of the fraction.
    assert!(bpc > 0.8 * target, "{bpc} far below {target}");
    // Unreachable: one line, exit 2, no file.
    let none = dir.path().join("none.sz");
    let o = semzip()
        .args(["encode", "--level", "set", "--bpc", "0.0001", "-o"])
        .arg(&none)
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(!none.exists());
}

#[test]
fn curve_json_rows_carry_the_measures() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("synth.txt");
    std::fs::write(&input, synthetic_text(1500, 600, 7)).unwrap();
    let o = semzip()
        .args(["bench", "--curve", "--json", "--keeps", "1,0.5,0.2"])
        .arg(&input)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    for key in [
        "file",
        "codec",
        "keep",
        "bpc",
        "skill_f1",
        "weighted_recall",
        "texts_understood",
        "independent_f1",
    ] {
        assert!(rows.iter().all(|r| r.get(key).is_some()), "{key}");
    }
    let get = |codec: &str, keep: f64| {
        rows.iter()
            .find(|r| r["codec"] == codec && r["keep"].as_f64() == Some(keep))
            .unwrap_or_else(|| panic!("{codec} {keep}"))
    };
    // Full sets are perfect by the codec's extractor, but the independent `words`
    // extractor sees the glue words the set level drops.
    assert_eq!(get("semzip-set", 1.0)["skill_f1"].as_f64(), Some(1.0));
    assert!(get("semzip-set", 1.0)["independent_f1"].as_f64().unwrap() < 1.0);
    // Peers: lossless at keep 1 (zstd of every word), and costlier than semzip.
    assert_eq!(get("truncate", 1.0)["weighted_recall"].as_f64(), Some(1.0));
    assert!(
        get("truncate", 0.5)["bpc"].as_f64().unwrap()
            > get("semzip-set", 0.5)["bpc"].as_f64().unwrap()
    );
    assert!(rows.iter().any(|r| r["codec"] == "nostop"));
    assert!(rows.iter().any(|r| r["codec"] == "topk"));
}

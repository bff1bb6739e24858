//! Integration tests for `semzip channel`: recall under erasures, the one-frame
//! baseline, IRSA against density evolution, determinism across threads and bad input.

use semzip::channel::experiment::{self, Codec, Input, Options, Packing};
use semzip::channel::{Channel, Protect, irsa};
use semzip::ensemble::DegreeSpec;
use std::path::PathBuf;
use std::process::Command;

use crate::common::{lcg, synthetic_text};

fn tmp_file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn semzip() -> Command {
    crate::common::semzip()
}

fn json_points(out: &std::process::Output) -> Vec<serde_json::Value> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn recall_is_one_minus_p_within_three_standard_errors() {
    let dir = tempfile::tempdir().unwrap();
    let f = tmp_file(&dir, "t.txt", synthetic_text(1500, 300, 1).as_bytes());
    for p in [0.1, 0.3] {
        let out = semzip()
            .arg("channel")
            .arg(&f)
            .args([
                "--channel",
                &format!("erasure:{p}"),
                "--trials",
                "20",
                "--json",
            ])
            .output()
            .unwrap();
        let points = json_points(&out);
        let keys = [
            "channel",
            "param",
            "codec",
            "level",
            "protect",
            "bits_sent",
            "packets_sent",
            "packets_lost",
            "skill_recall",
            "weighted_recall",
            "texts_understood",
            "bytes_recovered",
            "meaning_per_kbit",
            "predicted_packets_lost",
        ];
        for pt in &points {
            for k in keys {
                assert!(pt.get(k).is_some(), "missing {k}");
            }
            if pt["codec"] == "zstd-frame" {
                continue;
            }
            let r = pt["skill_recall"].as_f64().unwrap();
            let se = pt["skill_recall_se"].as_f64().unwrap();
            assert!(se > 0.0);
            assert!(
                (r - (1.0 - p)).abs() <= 3.0 * se,
                "{}: recall {r} se {se} at P = {p}",
                pt["codec"]
            );
        }
    }
}

fn setup(text: &str, packing: Packing) -> (experiment::Setup, Options) {
    let opts = Options {
        packing,
        trials: 4,
        ..Options::default()
    };
    let inputs = [Input {
        name: "synthetic".into(),
        bytes: text.as_bytes().to_vec(),
    }];
    (experiment::prepare(&inputs, None, &opts).unwrap(), opts)
}

#[test]
fn zstd_one_frame_recovers_nothing_after_the_first_lost_packet() {
    let text = synthetic_text(3000, 400, 2);
    let (setup, _) = setup(&text, Packing::Texts(1));
    let s = setup
        .sender(Codec::ZstdFrame, Protect::None, None, 1)
        .unwrap();
    let n = s.packets();
    assert!(n > setup.packets() / 2 && n <= setup.packets());
    let all = s.score_received(&vec![true; n]).unwrap();
    assert_eq!(all.understood as usize, setup.texts());
    assert_eq!(all.bytes as usize, text.len() - setup.texts());
    let mut next = lcg(3);
    for _ in 0..8 {
        let j = (next() % n as u64) as usize;
        let mut one_lost = vec![true; n];
        one_lost[j] = false;
        let mut tail_lost = one_lost.clone();
        for x in tail_lost.iter_mut().skip(j) {
            *x = false;
        }
        let a = s.score_received(&one_lost).unwrap();
        let b = s.score_received(&tail_lost).unwrap();
        assert_eq!(a, b, "packet {j} lost");
        assert!(a.recalled < all.recalled);
    }
}

#[test]
fn per_packet_codecs_lose_only_the_lost_texts() {
    let text = synthetic_text(400, 100, 4);
    let (setup, _) = setup(&text, Packing::Texts(3));
    let n = setup.packets();
    for codec in [
        Codec::Semzip(semzip::codec::Level::Set),
        Codec::Semzip(semzip::codec::Level::Exact),
        Codec::ZstdPacket,
    ] {
        let s = setup.sender(codec, Protect::None, None, 1).unwrap();
        let all = s.score_received(&vec![true; n]).unwrap();
        assert_eq!(all.understood as usize, setup.texts(), "{codec:?}");
        let mut mask = vec![true; n];
        mask[0] = false;
        let one = s.score_received(&mask).unwrap();
        assert_eq!(one.understood as usize, setup.texts() - 3, "{codec:?}");
    }
}

#[test]
fn irsa_loss_is_within_two_points_of_de_away_from_the_threshold() {
    for spec in ["poly:0.5x^2+0.28x^3+0.22x^8", "fixed:3"] {
        let d: DegreeSpec = spec.parse().unwrap();
        let g = irsa::threshold_load(&d).unwrap();
        for load in [0.6 * g, 0.9 * g, 1.1 * g, 1.3 * g] {
            let sim: f64 = (0..4)
                .map(|s| irsa::simulate_loss(10_000, load, &d, s).unwrap())
                .sum::<f64>()
                / 4.0;
            let de = irsa::predicted_loss(load, &d);
            assert!(
                (sim - de).abs() < 0.02,
                "{spec} at G = {load}: simulated {sim}, DE {de}"
            );
        }
        // The knee sits at the threshold.
        assert!(irsa::simulate_loss(10_000, 0.95 * g, &d, 9).unwrap() < 0.02);
        assert!(irsa::simulate_loss(10_000, 1.05 * g, &d, 9).unwrap() > 0.3);
    }
}

#[test]
fn same_seed_same_numbers_with_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let f = tmp_file(&dir, "t.txt", synthetic_text(800, 200, 5).as_bytes());
    let run = |threads: &str, channel: &str, extra: &[&str], seed: &str| {
        let out = semzip()
            .env("RAYON_NUM_THREADS", threads)
            .arg("channel")
            .arg(&f)
            .args([
                "--channel",
                channel,
                "--trials",
                "6",
                "--seed",
                seed,
                "--json",
            ])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    for (channel, extra) in [
        ("erasure:0.2", &["--protect", "lt:0.3"][..]),
        ("awgn:4", &[][..]),
        ("irsa:0.9,fixed:3", &["--packet-texts", "2"][..]),
    ] {
        let a = run("1", channel, extra, "42");
        let b = run("2", channel, extra, "42");
        assert_eq!(a, b, "{channel}");
        let c = run("2", channel, extra, "43");
        assert_ne!(a, c, "{channel}: another seed should draw another channel");
    }
}

#[test]
fn bit_errors_are_caught_by_checksums() {
    let dir = tempfile::tempdir().unwrap();
    let f = tmp_file(&dir, "t.txt", synthetic_text(600, 150, 6).as_bytes());
    let out = semzip()
        .arg("channel")
        .arg(&f)
        .args([
            "--channel",
            "bsc:0.002",
            "--trials",
            "3",
            "--json",
            "--level",
            "set",
        ])
        .output()
        .unwrap();
    for pt in json_points(&out) {
        let lost = pt["packets_lost"].as_f64().unwrap();
        let detected = pt["damaged_detected"].as_f64().unwrap();
        assert!(lost > 0.0);
        assert!((lost - detected).abs() < 1e-9, "{pt}");
        let r = pt["skill_recall"].as_f64().unwrap();
        assert!(r < 1.0);
        if pt["codec"] != "zstd-frame" {
            assert!(r > 0.0);
        }
    }
}

#[test]
fn malformed_specs_get_one_line_quoting_the_spec_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let f = tmp_file(&dir, "t.txt", b"a b c\nd e f\n");
    for (flag, spec) in [
        ("--channel", "erasure:1.5"),
        ("--channel", "erasure:-0.1"),
        ("--channel", "burst:0.1,0.5"),
        ("--channel", "irsa:0,fixed:3"),
        ("--channel", "irsa:-2,fixed:3"),
        ("--channel", "awgn:loud"),
        ("--channel", "fading:0.3"),
        ("--protect", "lt:x"),
        ("--protect", "raptor:0.2"),
        ("--sweep", "1:0:0.1"),
    ] {
        let mut cmd = semzip();
        cmd.arg("channel").arg(&f);
        if flag != "--channel" {
            cmd.args(["--channel", "erasure:0.1"]);
        }
        let out = cmd.args([flag, spec]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{spec}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{spec}: {err}");
        assert!(err.contains(&format!("'{spec}'")), "{spec}: {err}");
    }
}

#[test]
fn a_file_that_does_not_match_the_model_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = tmp_file(&dir, "c.txt", synthetic_text(3000, 200, 7).as_bytes());
    let model = dir.path().join("m.szm");
    let out = semzip()
        .arg("train")
        .arg(&corpus)
        .arg("-o")
        .arg(&model)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let other: String = (0..300).map(|i| format!("zz{i} qq{i} yy{i}\n")).collect();
    let f = tmp_file(&dir, "other.txt", other.as_bytes());
    let out = semzip()
        .args(["channel", "-m"])
        .arg(&model)
        .arg(&f)
        .args(["--channel", "erasure:0.1", "--trials", "2"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("does not match the model"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    // Binary input: not text.
    let bin: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8 | 0x80)
        .collect();
    let b = tmp_file(&dir, "b.bin", &bin);
    let out = semzip()
        .arg("channel")
        .arg(&b)
        .args(["--channel", "erasure:0.1", "--trials", "2"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("not text"), "{err}");
}

#[test]
fn garbage_input_and_odd_flags_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut next = lcg(11);
    for case in 0..6 {
        let len = (next() % 3000) as usize;
        let data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        let f = tmp_file(&dir, &format!("g{case}"), &data);
        for channel in ["erasure:0.5", "bsc:0.01", "irsa:2,fixed:2", "burst:0.3,3"] {
            let out = semzip()
                .arg("channel")
                .arg(&f)
                .args(["--channel", channel, "--trials", "2", "--protect", "lt:0.5"])
                .output()
                .unwrap();
            let code = out.status.code();
            assert!(
                code == Some(0) || code == Some(1) || code == Some(2),
                "{channel}: {code:?}"
            );
            assert!(!String::from_utf8_lossy(&out.stderr).contains("internal error"));
        }
    }
}

#[test]
fn lt_protection_on_erasures_tracks_de_in_packet_mode() {
    let out = semzip()
        .args([
            "channel",
            "--packets",
            "10000",
            "--channel",
            "erasure:0.1",
            "--protect",
            "lt:0.6",
            "--trials",
            "4",
            "--json",
        ])
        .output()
        .unwrap();
    let pts = json_points(&out);
    let loss = pts[0]["loss"].as_f64().unwrap();
    let pred = pts[0]["predicted_loss"].as_f64().unwrap();
    assert!(loss <= 0.01, "loss {loss}");
    assert!((loss - pred).abs() < 0.01, "loss {loss} predicted {pred}");
}

#[test]
fn irsa_channel_loss_in_the_experiment_sits_beside_de() {
    let text = synthetic_text(4000, 300, 12);
    let (setup, mut opts) = setup(&text, Packing::Texts(1));
    opts.channel = "irsa:1.0,fixed:3".parse::<Channel>().unwrap();
    opts.levels = vec![semzip::codec::Level::Set];
    opts.zstd = false;
    let rep = experiment::run(&setup, &opts, &semzip::progress::Silent).unwrap();
    let p = &rep.points[0];
    let pred = p.predicted_packets_lost.unwrap();
    assert!(
        (p.packets_lost - pred).abs() / setup.packets() as f64 <= 0.02,
        "lost {} predicted {pred}",
        p.packets_lost
    );
}

#[test]
fn encode_puts_n_texts_in_each_packet() {
    let dir = tempfile::tempdir().unwrap();
    let f = tmp_file(&dir, "t.txt", synthetic_text(100, 50, 13).as_bytes());
    for n in [1usize, 7] {
        let sz = dir.path().join(format!("t{n}.sz"));
        let out = semzip()
            .arg("encode")
            .arg(&f)
            .args(["--level", "set", "--packet-texts", &n.to_string(), "-o"])
            .arg(&sz)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let info = semzip()
            .arg("inspect")
            .arg(&sz)
            .arg("--json")
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
        assert_eq!(
            v["packets"].as_u64().unwrap(),
            100u64.div_ceil(n as u64),
            "{v}"
        );
        let dec = dir.path().join(format!("t{n}.out"));
        let back = semzip()
            .arg("decode")
            .arg(&sz)
            .arg("-o")
            .arg(&dec)
            .output()
            .unwrap();
        assert!(back.status.success());
        assert_eq!(std::fs::read_to_string(&dec).unwrap().lines().count(), 100);
    }
    let out = semzip()
        .arg("encode")
        .arg(&f)
        .args(["--level", "set", "--packet-texts", "0", "-o"])
        .arg(dir.path().join("z.sz"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

//! Format version 6 changed how a layered file's layers are coded: layered files
//! of version 5 are refused by name, while every other version 5 file still decodes
//! as it did (tests/golden/v5 keeps them).

use semzip::codec::{Level, decode};
use semzip::model::Model;

use crate::common::run;

fn golden_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

#[test]
fn format_version_5_files_other_than_layered_are_still_read() {
    let dir = golden_dir();
    let read = |p: &str| std::fs::read(dir.join(p)).unwrap();
    let model = Model::from_bytes(&read("v5/synth.szm")).unwrap();
    let input = read("input.txt");
    let mut names: Vec<(String, bool)> = Vec::new();
    for level in Level::ALL {
        for kind in ["shared", "embedded"] {
            names.push((format!("{level}-{kind}"), level.is_lossy()));
        }
    }
    names.push(("exact-bwt".to_string(), false));
    names.push(("exact-ppm".to_string(), false));
    for (name, lossy) in names {
        let sz = read(&format!("v5/{name}.sz"));
        assert_eq!(u16::from_le_bytes([sz[4], sz[5]]), 5, "{name}");
        let m = name.contains("shared").then_some(&model);
        let mut out = Vec::new();
        decode(&sz[..], &name, &mut out, "out", m).unwrap();
        let want = if lossy {
            read(&format!("v5/{name}.out"))
        } else {
            input.clone()
        };
        assert!(out == want, "{name}: decodes differently");
    }
}

/// One line naming the version, exit code 1, and no output file left behind.
#[test]
fn version_5_layered_files_are_refused_naming_the_version() {
    let dir = golden_dir().join("v5");
    let model = Model::from_bytes(&std::fs::read(dir.join("synth.szm")).unwrap()).unwrap();
    for name in ["layered-embedded.sz", "layered-shared.sz"] {
        let p = dir.join(name);
        let sz = std::fs::read(&p).unwrap();
        assert_eq!(u16::from_le_bytes([sz[4], sz[5]]), 5, "{name}");
        let mut out = Vec::new();
        let e = decode(&sz[..], name, &mut out, "out", Some(&model))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("version 5") && e.contains("no longer read"),
            "{e}"
        );
        let tmp = tempfile::tempdir().unwrap();
        let o = tmp.path().join("out.txt");
        let (code, _, err) = run(&["decode", p.to_str().unwrap(), "-o", o.to_str().unwrap()]);
        assert_eq!(code, 1, "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("version 5"), "{err}");
        assert!(!o.exists(), "{name}: an output file was left");
    }
}

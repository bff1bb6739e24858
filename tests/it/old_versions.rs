//! Formats 5 and 6 changed how a layered file's layers are coded: layered files of
//! versions 4 and 5 are refused by name, while every other file of those versions
//! still decodes as it did (tests/golden/v4 and v5 keep them).

use semzip::codec::{Level, decode};
use semzip::model::Model;

use crate::common::run;

/// The old versions whose goldens are kept, each in `tests/golden/v{N}`.
const VERSIONS: [u16; 2] = [4, 5];

fn golden_dir(version: u16) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/v{version}"))
}

fn version_of(sz: &[u8]) -> u16 {
    u16::from_le_bytes([sz[4], sz[5]])
}

#[test]
fn old_files_other_than_layered_are_still_read() {
    let input = std::fs::read(golden_dir(4).join("../input.txt")).unwrap();
    for v in VERSIONS {
        let dir = golden_dir(v);
        let read = |p: &str| std::fs::read(dir.join(p)).unwrap();
        let model = Model::from_bytes(&read("synth.szm")).unwrap();
        let mut names: Vec<(String, bool)> = Vec::new();
        for level in Level::ALL {
            for kind in ["shared", "embedded"] {
                names.push((format!("{level}-{kind}"), level.is_lossy()));
            }
        }
        // Format 5 added the PPM coder; the block-sorting one is older.
        for coder in ["bwt", "ppm"] {
            if dir.join(format!("exact-{coder}.sz")).exists() {
                names.push((format!("exact-{coder}"), false));
            }
        }
        assert!(names.len() >= 7, "v{v}: goldens missing");
        for (name, lossy) in names {
            let sz = read(&format!("{name}.sz"));
            assert_eq!(version_of(&sz), v, "v{v}/{name}");
            let m = name.contains("shared").then_some(&model);
            let mut out = Vec::new();
            decode(&sz[..], &name, &mut out, "out", m).unwrap();
            let want = if lossy {
                read(&format!("{name}.out"))
            } else {
                input.clone()
            };
            assert!(out == want, "v{v}/{name}: decodes differently");
        }
    }
}

/// One line naming the version, exit code 1, and no output file left behind.
#[test]
fn old_layered_files_are_refused_naming_the_version() {
    for v in VERSIONS {
        let dir = golden_dir(v);
        let model = Model::from_bytes(&std::fs::read(dir.join("synth.szm")).unwrap()).unwrap();
        for name in ["layered-embedded.sz", "layered-shared.sz"] {
            let p = dir.join(name);
            let sz = std::fs::read(&p).unwrap();
            assert_eq!(version_of(&sz), v, "v{v}/{name}");
            let mut out = Vec::new();
            let e = decode(&sz[..], name, &mut out, "out", Some(&model))
                .unwrap_err()
                .to_string();
            let named = format!("version {v}");
            assert!(e.contains(&named) && e.contains("no longer read"), "{e}");
            let tmp = tempfile::tempdir().unwrap();
            let o = tmp.path().join("out.txt");
            let (code, _, err) = run(&["decode", p.to_str().unwrap(), "-o", o.to_str().unwrap()]);
            assert_eq!(code, 1, "{err}");
            assert_eq!(err.trim().lines().count(), 1, "{err}");
            assert!(err.contains(&named), "{err}");
            assert!(!o.exists(), "v{v}/{name}: an output file was left");
        }
    }
}

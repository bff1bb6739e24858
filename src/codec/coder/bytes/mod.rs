//! The exact level's byte coders, one per payload mode: context mixing (`cmx`,
//! mode 3, the default; `cmx_v2`, the frozen reader of mode 2), PPM (`ppm`, mode
//! 5) and block sorting (`bwt`, modes 4 and 6). The word model (mode 1) is
//! `super::exact`; which coder writes a payload is decided in `super`.

// The pieces these coders share with the rest of `coder` (range coders,
// probability helpers), so that each reaches them as `super::...`.
use super::{bitrc, cm, models, prefetch, rc, read_varint, write_varint};

pub(super) mod bwt;
pub(super) mod cmx;
pub(super) mod cmx_v2;
pub(super) mod ppm;

//! The integration tests, one binary (one link, one run): a module per area.

mod common;

mod channel;
mod channel_layered;
mod cli;
mod cli_bench;
mod cli_inputs;
mod codec;
mod coder;
mod container;
mod exact_bwt;
mod exact_cm;
mod exact_ppm;
mod exact_real;
mod fidelity;
mod format;
mod golden;
mod layered;
mod layered_v4;
mod layered_v5;
mod layers;
mod packet_size;
mod peel;
mod range_coder_spec;
mod readme;
mod text;
mod theory_classes;
mod theory_de;
mod theory_finite;
mod theory_limits;
mod theory_scaling;
mod theory_sim;
mod theory_zipf;
mod train;

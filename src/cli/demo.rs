//! `semzip demo`: the pipeline on built-in data.

use crate::ensemble::{DegreeSpec, Ensemble};
use crate::peel::{Learner, peel};

/// Flags of `semzip demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Seed for every random choice.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Runs the demo.
pub fn run(args: Args) -> anyhow::Result<()> {
    let spec: DegreeSpec = "poly:0.5x^2+0.28x^3+0.22x^8".parse()?;
    println!("Emergence on the skill-driven ensemble {spec}, N = 100000, capacity 1");
    println!("{:>8} {:>12} {:>8}", "ratio", "unlearned", "rounds");
    let learner = Learner::capacity(1)?;
    for r in [0.9, 1.0, 1.05, 1.1, 1.2, 1.5] {
        let e = Ensemble::SkillDriven {
            skills: 100_000,
            ratio: r,
            skill_degrees: spec.clone(),
        };
        let g = e.sample(args.seed)?;
        let out = peel(&g, &learner, None);
        println!(
            "{:>8.3} {:>12.5} {:>8}",
            r,
            out.unlearned_fraction(),
            out.trajectory.len() - 1
        );
    }
    Ok(())
}

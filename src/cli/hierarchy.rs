//! `semzip hierarchy`: how much domain data a foundation model saves (theory.md
//! section 6), by density evolution with two skill classes.

use super::threshold::ModelArgs;
use crate::Error;
use crate::ensemble::DegreeSpec;
use crate::theory::hierarchy::{DOMAIN_TARGET, Hierarchy, HierarchyReport};

/// Flags of `semzip hierarchy`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Degrees of general skills in the foundation corpus.
    #[arg(long, value_name = "SPEC", default_value = "fixed:3")]
    general_degrees: String,
    /// Degrees of general skills in the domain corpus (default: --general-degrees).
    #[arg(long, value_name = "SPEC")]
    domain_general_degrees: Option<String>,
    /// Degrees of domain skills in the domain corpus.
    #[arg(long, value_name = "SPEC", default_value = "fixed:3")]
    domain_degrees: String,
    /// General skills per domain skill (N_g / N_d).
    #[arg(
        long,
        value_name = "A",
        default_value_t = 1.0,
        allow_negative_numbers = true
    )]
    general_per_domain: f64,
    /// Foundation texts per general skill: one R, a list a,b,c or FROM:TO:STEP.
    #[arg(
        long = "foundation-ratios",
        alias = "foundation-ratio",
        value_name = "SWEEP",
        default_value = "2",
        allow_hyphen_values = true
    )]
    foundation_ratio: String,
    /// Learner capacity c (default 1).
    #[arg(
        long,
        value_name = "CAPACITY",
        conflicts_with = "learner",
        allow_negative_numbers = true
    )]
    capacity: Option<i64>,
    /// Poisson learner table, probs:p1,p2,... (or capacity:C).
    #[arg(long, value_name = "SPEC")]
    learner: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Runs `semzip hierarchy`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let learner = ModelArgs {
        skill_degrees: None,
        text_degrees: None,
        popularity: None,
        skills: None,
        capacity: args.capacity,
        learner: args.learner.clone(),
        unknown_fraction: 1.0,
    }
    .learner()?;
    let general: DegreeSpec = args.general_degrees.parse()?;
    let domain_general: DegreeSpec = match &args.domain_general_degrees {
        Some(s) => s.parse()?,
        None => general.clone(),
    };
    let domain: DegreeSpec = args.domain_degrees.parse()?;
    let ratios = crate::theory::sweep::parse_ratios(&args.foundation_ratio, "foundation_ratios")?;
    if !(args.general_per_domain.is_finite() && args.general_per_domain >= 0.0) {
        return Err(Error::invalid(format!(
            "--general-per-domain {}: must be a number >= 0",
            args.general_per_domain
        ))
        .into());
    }
    let reports: Vec<HierarchyReport> = ratios
        .iter()
        .map(|&rf| {
            Hierarchy {
                general_degrees: general.clone(),
                domain_general_degrees: domain_general.clone(),
                domain_degrees: domain.clone(),
                general_per_domain: args.general_per_domain,
                foundation_ratio: rf,
                learner: learner.clone(),
            }
            .report()
        })
        .collect::<crate::Result<_>>()?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
        return Ok(());
    }
    let first = &reports[0];
    println!(
        "Foundation: general skills {general}; domain corpus: general skills {domain_general}, \
         domain skills {domain}, {} general per domain skill; {learner}",
        args.general_per_domain
    );
    match first.foundation_threshold {
        Some(r) => println!("foundation threshold R*_f = {r:.5}"),
        None => println!("the foundation corpus has no threshold (ε never reaches 0)"),
    }
    let needed = if first.criterion == "threshold" {
        "domain R* (learning completes)".to_string()
    } else {
        format!(
            "domain R for domain ε <= Λ_d(0) + {DOMAIN_TARGET} (no threshold: some skills have degree 0 or 1)"
        )
    };
    println!("{needed}; R = domain texts per domain skill");
    println!(
        "{:>12} {:>16} {:>16} {:>16} {:>8}",
        "foundation R", "foundation ε", "R from scratch", "R fine-tuned", "saving"
    );
    let f = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x:.5}"));
    for r in &reports {
        println!(
            "{:>12.4} {:>16.6} {:>16} {:>16} {:>8}",
            r.setting.foundation_ratio,
            r.foundation_unlearned,
            f(r.domain_ratio_without),
            f(r.domain_ratio_with),
            r.saving
                .map_or("-".to_string(), |s| format!("{:.1}%", 100.0 * s)),
        );
    }
    Ok(())
}

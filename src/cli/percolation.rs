//! `semzip percolation`: the skill association graph (skills linked when a training
//! text needs both), its predicted giant component and branching condition, and,
//! with --simulate, the giant component measured on sampled graphs.

use super::threshold::{Family, ModelArgs};
use crate::Error;
use crate::ensemble::{DegreeSpec, Ensemble};
use crate::theory::percolation::{
    correlated_giant, correlated_percolation_point, simulate_association,
};
use crate::theory::{percolation_point, predicted_giant};
use serde::Serialize;

/// Flags of `semzip percolation`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    model: ModelArgs,
    /// Ratios R: one R, a list a,b,c or FROM:TO:STEP (configurations: the ratio is
    /// implied).
    #[arg(
        long = "ratios",
        alias = "ratio",
        value_name = "SWEEP",
        default_value = "1",
        allow_hyphen_values = true
    )]
    ratio: String,
    /// Also sample graphs (needs --skills) and measure the association graph.
    #[arg(long)]
    simulate: bool,
    /// Seed of the sampled graphs.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct Point {
    ratio: f64,
    de_unlearned: f64,
    condition_value: f64,
    percolates: bool,
    /// Independent-site approximation.
    predicted_giant: f64,
    /// Exact on tree-like graphs (capacity 1).
    correlated_giant: Option<f64>,
    spectral_radius: Option<f64>,
    sim_unlearned: Option<f64>,
    measured_giant: Option<f64>,
    components: Option<usize>,
}

#[derive(Debug, Serialize)]
struct Output {
    skill_degrees: Option<String>,
    text_degrees: Option<String>,
    popularity: Option<String>,
    skills: Option<usize>,
    learner: String,
    unknown_fraction: f64,
    seed: Option<u64>,
    points: Vec<Point>,
    percolation_point: Option<f64>,
    correlated_percolation_point: Option<f64>,
}

/// Parses `R`, `a,b,c` or `FROM:TO:STEP` into the list of ratios.
pub fn parse_ratios(spec: &str) -> crate::Result<Vec<f64>> {
    crate::theory::sweep::parse_ratios(spec, "ratios")
}

/// The ensemble the model flags describe, with `n` skills at ratio `r`.
pub fn ensemble(model: &ModelArgs, family: Family, n: usize, r: f64) -> crate::Result<Ensemble> {
    let spec = |s: &Option<String>| -> crate::Result<DegreeSpec> {
        s.as_deref()
            .ok_or_else(|| Error::invalid("missing degree spec"))?
            .parse()
    };
    Ok(match family {
        Family::SkillDriven => Ensemble::SkillDriven {
            skills: n,
            ratio: r,
            skill_degrees: spec(&model.skill_degrees)?,
        },
        Family::TextDriven => Ensemble::TextDriven {
            skills: n,
            ratio: r,
            text_degrees: spec(&model.text_degrees)?,
            popularity: model.popularity.as_deref().unwrap_or("uniform").parse()?,
        },
        Family::Configuration => Ensemble::Configuration {
            skills: n,
            skill_degrees: spec(&model.skill_degrees)?,
            text_degrees: spec(&model.text_degrees)?,
        },
    })
}

/// Runs `semzip percolation`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let ratios = parse_ratios(&args.ratio)?;
    let (base, family) = args.model.params(ratios[0])?;
    let skills = args.model.skills()?;
    if args.simulate && skills.is_none() {
        return Err(Error::invalid("--simulate needs --skills N").into());
    }
    let ratios = if family == Family::Configuration {
        vec![base.effective_ratio()]
    } else {
        ratios
    };
    let learner = base.learner.clone().with_seed(args.seed);
    let mut points = Vec::new();
    for (i, &r) in ratios.iter().enumerate() {
        let p = base.with_ratio(r);
        let pred = predicted_giant(&p);
        let cor = correlated_giant(&p);
        let mut point = Point {
            correlated_giant: cor.map(|c| c.giant_fraction),
            spectral_radius: cor.map(|c| c.spectral_radius),
            ratio: p.effective_ratio(),
            de_unlearned: pred.unlearned,
            condition_value: pred.condition_value,
            percolates: pred.percolates,
            predicted_giant: pred.giant_fraction,
            sim_unlearned: None,
            measured_giant: None,
            components: None,
        };
        if let (true, Some(n)) = (args.simulate, skills) {
            let seed = crate::seed::derive(args.seed, crate::seed::role::POINT, i as u64);
            let e = ensemble(&args.model, family, n, r)?;
            let sample = simulate_association(&e, &learner, p.unknown_fraction, seed)?;
            let stats = sample.stats;
            point.sim_unlearned = Some(sample.unlearned);
            point.measured_giant = Some(stats.giant_fraction);
            point.components = Some(stats.components);
        }
        points.push(point);
    }
    let (point, cor_point) = if ratios.len() > 1 {
        let (a, b) = (ratios[0], ratios[ratios.len() - 1]);
        (
            percolation_point(&base, a, b),
            correlated_percolation_point(&base, a, b),
        )
    } else {
        (None, None)
    };
    let out = Output {
        skill_degrees: args.model.skill_degrees.clone(),
        text_degrees: args.model.text_degrees.clone(),
        popularity: args.model.popularity.clone(),
        skills,
        learner: base.learner.to_string(),
        unknown_fraction: base.unknown_fraction,
        seed: args.simulate.then_some(args.seed),
        points,
        percolation_point: point,
        correlated_percolation_point: cor_point,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "Skill association graph: {}, {}",
        args.model.describe(),
        out.learner
    );
    print!(
        "{:>10} {:>12} {:>10} {:>12} {:>8} {:>10}",
        "ratio", "unlearned", "condition", "indep. giant", "radius", "giant"
    );
    if args.simulate {
        print!(
            " {:>14} {:>14} {:>11}",
            "sim unlearned", "measured giant", "components"
        );
    }
    println!();
    for p in &out.points {
        let opt =
            |v: Option<f64>, prec: usize| v.map_or("-".to_string(), |v| format!("{v:.prec$}"));
        print!(
            "{:>10.4} {:>12.6} {:>10.4} {:>12.6} {:>8} {:>10}",
            p.ratio,
            p.de_unlearned,
            p.condition_value,
            p.predicted_giant,
            opt(p.spectral_radius, 4),
            opt(p.correlated_giant, 6)
        );
        if let (Some(u), Some(g), Some(c)) = (p.sim_unlearned, p.measured_giant, p.components) {
            print!(" {u:>14.6} {g:>14.6} {c:>11}");
        }
        println!();
    }
    if ratios.len() > 1 {
        match out.percolation_point {
            Some(r) => {
                println!("independent-site approximation: condition crosses 1 at R = {r:.5}")
            }
            None => println!("independent-site approximation: no crossing in this range"),
        }
        match out.correlated_percolation_point {
            Some(r) => {
                println!("percolation point (exact recursion, radius crosses 1): R = {r:.5}")
            }
            None if base.learner.capacity_of() == Some(1) => {
                println!("percolation point: the radius does not cross 1 in this range")
            }
            None => println!("exact recursion: capacity 1 only (independent sites above)"),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_specs() {
        assert_eq!(parse_ratios("1.5").unwrap(), vec![1.5]);
        assert_eq!(parse_ratios("1:2:0.5").unwrap(), vec![1.0, 1.5, 2.0]);
        for bad in ["0", "-1", "2:1:0.1", "1:2:0", "a", "1:2"] {
            assert!(parse_ratios(bad).is_err(), "{bad}");
        }
    }
}

//! `semzip scaling`: test error against the ratio R, DE beside simulation on fresh
//! texts, with the fitted and predicted scaling laws.

use super::emergence::{SimArgs, plot_path, short_description};
use crate::report::{Plot, Series, Table, table::number, to_json_pretty};
use crate::theory::emergence::{ScalingCurve, ScalingPoint, de_test_error_line, scaling_curve};
use crate::theory::simulate::SimSetup;
use serde::Serialize;
use std::path::PathBuf;

/// Flags of `semzip scaling`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Ratios R: a list a,b,c (e.g. 1,2,4,8,16 for a log-log fit) or FROM:TO:STEP.
    #[arg(
        long = "ratios",
        alias = "ratio",
        value_name = "SWEEP",
        allow_hyphen_values = true,
        required = true
    )]
    ratios: String,
    #[command(flatten)]
    sim: SimArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Write scaling.svg (log-log axes) into this directory.
    #[arg(long, value_name = "DIR")]
    plot: Option<PathBuf>,
}

#[derive(Serialize)]
struct Output<'a> {
    ensemble: String,
    #[serde(flatten)]
    curve: &'a ScalingCurve,
}

/// Runs `semzip scaling`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let setup = args.sim.setup()?;
    let ratios = crate::theory::sweep::parse_ratios(&args.ratios, "ratios")?;
    if let Some(dir) = &args.plot {
        super::check_plot_dir(dir)?;
    }
    let bar = super::progress::bar((ratios.len() * setup.trials) as u64, "scaling");
    let curve = scaling_curve(&setup, &ratios, None, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let description = args.sim.describe(&setup);
    if let Some(dir) = &args.plot {
        let path = plot_path(dir, "scaling.svg")?;
        scaling_plot(&setup, &curve).save(&path)?;
        eprintln!("wrote {}", path.display());
    }
    if args.json {
        let out = Output {
            ensemble: description,
            curve: &curve,
        };
        println!("{}", to_json_pretty(&out)?);
        return Ok(());
    }
    println!("Scaling of the test error: {description}");
    let mut t = Table::new([
        "ratio",
        "DE skill err",
        "sim skill err",
        "± std",
        "DE text err",
        "sim text err",
        "± std",
    ]);
    for p in &curve.points {
        t.row([
            number(p.ratio),
            number(p.de_skill_error),
            number(p.sim_skill_error),
            number(p.sim_skill_error_std),
            number(p.de_text_error),
            number(p.sim_text_error),
            number(p.sim_text_error_std),
        ]);
    }
    print!("{t}");
    let opt = |v: Option<f64>| v.map_or("-".to_string(), number);
    match curve.law {
        "power" => println!(
            "skill error ~ R^a: asymptotic a = {} (N → ∞), DE over these ratios a = {}, \
             simulation a = {} (R² {})",
            opt(curve.predicted_exponent),
            opt(curve.de_fitted_exponent),
            opt(curve.fitted_exponent),
            opt(curve.fitted_r2)
        ),
        "floor" => println!(
            "skill error levels off at a floor of {} (skills in no text are never learned); \
             excess ~ exp(-b R): DE b = {}, simulation b = {}",
            opt(curve.floor),
            opt(curve.predicted_rate),
            opt(curve.fitted_rate)
        ),
        _ => println!(
            "skill error ~ exp(-b R): DE over these ratios b = {}{}, simulation b = {}",
            opt(curve.predicted_rate),
            curve.asymptotic_rate.map_or(String::new(), |a| format!(
                " (closed form at the largest R: {})",
                number(a)
            )),
            opt(curve.fitted_rate)
        ),
    }
    if curve.zero_points > 0 {
        println!(
            "{} of {} simulated points have zero skill error (below the simulation's \
             resolution) and are left out of the fit",
            curve.zero_points,
            curve.points.len()
        );
    }
    Ok(())
}

/// Log-log plot: DE skill and text errors as fine lines, simulated ones as points.
fn scaling_plot(setup: &SimSetup, curve: &ScalingCurve) -> Plot {
    let (lo, hi) = curve
        .points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.ratio), b.max(p.ratio))
        });
    let de = de_test_error_line(setup, lo, hi);
    let pick = |f: &dyn Fn(&ScalingPoint) -> (f64, f64)| curve.points.iter().map(f).collect();
    let errs = |f: &dyn Fn(&ScalingPoint) -> f64| curve.points.iter().map(f).collect();
    Plot::new(format!("Test error: {}", short_description(setup)))
        .x_label("R (texts per skill)")
        .y_label("test error")
        .log_x(true)
        .log_y(true)
        .series(Series::line(
            "DE skill error",
            de.iter().map(|&(r, s, _)| (r, s)).collect(),
        ))
        .series(
            Series::points("sim skill error", pick(&|p| (p.ratio, p.sim_skill_error)))
                .with_y_errors(errs(&|p| p.sim_skill_error_std)),
        )
        .series(Series::line(
            "DE text error",
            de.iter().map(|&(r, _, t)| (r, t)).collect(),
        ))
        .series(
            Series::points("sim text error", pick(&|p| (p.ratio, p.sim_text_error)))
                .with_y_errors(errs(&|p| p.sim_text_error_std)),
        )
}

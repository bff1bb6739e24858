//! `semzip emergence`: the unlearned fraction ε(R) from density evolution beside
//! Monte Carlo peeling, over a sweep of ratios.

use crate::ensemble::{DegreeSpec, Ensemble, Popularity};
use crate::report::{Plot, Series, Table, table::number, to_json_pretty};
use crate::theory::emergence::{EmergenceCurve, de_unlearned_line, emergence_curve};
use crate::theory::simulate::SimSetup;
use crate::{Error, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The ensemble and simulation flags shared by `emergence` and `scaling`.
#[derive(Debug, Clone, clap::Args)]
pub struct SimArgs {
    #[command(flatten)]
    pub model: super::args::ModelArgs,
    /// Monte Carlo trials per ratio.
    #[arg(long, default_value_t = 5, allow_negative_numbers = true)]
    pub trials: i64,
    /// Base seed (trial seeds derive from it).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Skills N of a simulation when `--skills` is not given.
const DEFAULT_SKILLS: i64 = 100_000;

impl SimArgs {
    /// The number of skills asked for (not yet checked).
    pub fn skills(&self) -> i64 {
        self.model.skills.unwrap_or(DEFAULT_SKILLS)
    }

    /// The simulation setup these flags describe (ratio 1 until a sweep sets it).
    pub fn setup(&self) -> Result<SimSetup> {
        let m = &self.model;
        if self.skills() <= 0 {
            return Err(Error::invalid(format!(
                "--skills must be a positive number of skills, got {}",
                self.skills()
            )));
        }
        let skills = usize::try_from(self.skills())
            .map_err(|_| Error::invalid("--skills is too large for this machine"))?;
        if self.trials <= 0 {
            return Err(Error::invalid(format!(
                "--trials must be at least 1, got {}",
                self.trials
            )));
        }
        let ensemble = match (&m.skill_degrees, &m.text_degrees) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid(
                    "give --skill-degrees (skill-driven) or --text-degrees (text-driven), not both: \
                     with both the ratio is fixed by edge counting (use `semzip threshold`)",
                ));
            }
            (None, None) => {
                return Err(Error::invalid(
                    "give --skill-degrees SPEC (skill-driven) or --text-degrees SPEC (text-driven)",
                ));
            }
            (Some(spec), None) => {
                if m.popularity.is_some() {
                    return Err(Error::invalid(
                        "--popularity applies to text-driven ensembles: use it with --text-degrees",
                    ));
                }
                Ensemble::SkillDriven {
                    skills,
                    ratio: 1.0,
                    skill_degrees: parse_spec(spec, "--skill-degrees")?,
                }
            }
            (None, Some(spec)) => Ensemble::TextDriven {
                skills,
                ratio: 1.0,
                text_degrees: parse_spec(spec, "--text-degrees")?,
                popularity: match &m.popularity {
                    Some(p) => p
                        .parse::<Popularity>()
                        .map_err(|e| Error::invalid(format!("--popularity: {e}")))?,
                    None => Popularity::Uniform,
                },
            },
        };
        let learner = m.learner()?;
        let setup = SimSetup {
            ensemble,
            learner,
            unknown_fraction: m.unknown_fraction,
            trials: self.trials as usize,
            seed: self.seed,
        };
        crate::theory::simulate::check_unknown_fraction(setup.unknown_fraction)?;
        if setup.trials > crate::theory::simulate::MAX_TRIALS {
            setup.validate()?;
        }
        Ok(setup)
    }

    /// A short description of the ensemble for headers.
    pub fn describe(&self, setup: &SimSetup) -> String {
        let kind = match &setup.ensemble {
            Ensemble::SkillDriven { skill_degrees, .. } => format!("skill-driven {skill_degrees}"),
            Ensemble::TextDriven {
                text_degrees,
                popularity,
                ..
            } => format!("text-driven {text_degrees}, {popularity}"),
            Ensemble::Configuration { .. } => "configuration".to_string(),
        };
        format!(
            "{kind}, N = {}, learner {}, unknown fraction {}, {} trial(s), seed {}",
            setup.ensemble.skills(),
            setup.learner,
            setup.unknown_fraction,
            setup.trials,
            setup.seed
        )
    }
}

fn parse_spec(spec: &str, flag: &str) -> Result<DegreeSpec> {
    spec.parse::<DegreeSpec>()
        .map_err(|e| Error::invalid(format!("{flag}: {e}")))
}

/// Creates the plot directory when missing and returns the SVG path inside it.
pub fn plot_path(dir: &Path, file: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    Ok(dir.join(file))
}

/// Flags of `semzip emergence`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Ratios R (texts per skill): FROM:TO:STEP (e.g. 0.8:1.6:0.05), a list a,b,c, or
    /// one R.
    #[arg(
        long = "ratios",
        alias = "ratio",
        value_name = "SWEEP",
        allow_hyphen_values = true
    )]
    ratio: String,
    #[command(flatten)]
    sim: SimArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Write emergence.svg into this directory.
    #[arg(long, value_name = "DIR")]
    plot: Option<PathBuf>,
    /// A multi-class model (JSON, or TOML when the name ends in .toml): per-class DE
    /// beside simulation; the sweep's R is the total texts per skill.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["skill_degrees", "text_degrees", "popularity", "capacity", "learner", "unknown_fraction"])]
    classes: Option<PathBuf>,
    /// Finite length: mean and spread of ε at each size of --sizes near R*, from the
    /// waterfall scaling law (fitted on all sizes but the largest) beside simulation.
    #[arg(long, conflicts_with = "classes")]
    finite_length: bool,
    /// Sizes N for --finite-length.
    #[arg(
        long,
        value_name = "LIST",
        default_value = "1000,10000,100000",
        requires = "finite_length"
    )]
    sizes: String,
}

/// `emergence --finite-length`.
fn run_finite(args: &Args) -> anyhow::Result<()> {
    use crate::theory::finite::finite_length;
    let setup = args.sim.setup()?;
    let ratios = crate::theory::sweep::parse_ratios(&args.ratio, "ratios")?;
    let sizes = args
        .sizes
        .split(',')
        .map(|s| match s.trim().parse::<usize>() {
            Ok(n) if (1..=crate::ensemble::MAX_NODES).contains(&n) => Ok(n),
            _ => Err(Error::invalid(format!(
                "--sizes '{}': '{s}' is not a number of skills",
                args.sizes
            ))),
        })
        .collect::<Result<Vec<_>>>()?;
    let bar = super::progress::bar(
        (ratios.len() * sizes.len() * setup.trials) as u64,
        "finite length",
    );
    let f = finite_length(&setup, &sizes, &ratios, &|| bar.inc(1))?;
    bar.finish_and_clear();
    if let Some(dir) = &args.plot {
        let file = plot_path(dir, "finite-length.svg")?;
        let mut plot = Plot::new(format!("Finite length: {}", short_description(&setup)))
            .x_label("R (texts per skill)")
            .y_label("unlearned fraction");
        let mut seen: Vec<usize> = f.points.iter().map(|p| p.skills).collect();
        seen.dedup();
        for n in seen {
            let pts: Vec<_> = f.points.iter().filter(|p| p.skills == n).collect();
            plot = plot
                .series(Series::line(
                    format!("predicted N = {n}"),
                    pts.iter().map(|p| (p.ratio, p.predicted_mean)).collect(),
                ))
                .series(
                    Series::points(
                        format!("sim N = {n}"),
                        pts.iter().map(|p| (p.ratio, p.sim_mean)).collect(),
                    )
                    .with_y_errors(pts.iter().map(|p| p.sim_std).collect()),
                );
        }
        plot.save(&file)?;
        eprintln!("wrote {}", file.display());
    }
    if args.json {
        println!("{}", to_json_pretty(&f)?);
        return Ok(());
    }
    println!("Finite length: {}", args.sim.describe(&setup));
    println!(
        "DE threshold R* = {}, jump ε = {}; waterfall fit on N = {:?}: α = {}, β = {} \
         (threshold at N about R* + β N^(-2/3))",
        number(f.threshold),
        number(f.jump),
        f.fitted_on,
        number(f.alpha),
        number(f.beta)
    );
    let mut t = Table::new([
        "N",
        "ratio",
        "DE ε",
        "P stall",
        "sim stall",
        "mean ε",
        "sim mean",
        "std ε",
        "sim std",
    ]);
    for p in &f.points {
        t.row([
            format!("{}{}", p.skills, if p.fitted { "" } else { "*" }),
            number(p.ratio),
            number(p.de_unlearned),
            number(p.predicted_stall),
            number(p.sim_stall),
            number(p.predicted_mean),
            number(p.sim_mean),
            number(p.predicted_std),
            number(p.sim_std),
        ]);
    }
    print!("{t}");
    println!("* predicted out of sample (not used by the fit)");
    Ok(())
}

#[derive(Serialize)]
struct ClassOutput<'a> {
    classes: &'a crate::theory::class_file::ClassSpec,
    skills: usize,
    trials: usize,
    seed: u64,
    points: &'a [crate::theory::class_file::ClassPoint],
    landmarks: &'a [crate::theory::class_file::ClassLandmark],
}

/// Target ε for the per-class landmarks.
const CLASS_TARGET: f64 = 1e-3;

/// `emergence --classes FILE`.
fn run_classes(path: &Path, args: &Args) -> anyhow::Result<()> {
    use crate::theory::class_file::{ClassSpec, class_curve, class_landmarks};
    let spec = ClassSpec::read(path)?;
    if args.sim.skills() <= 0 || args.sim.skills() > u32::MAX as i64 {
        return Err(Error::invalid(format!(
            "--skills {}: must be between 1 and {}",
            args.sim.skills(),
            u32::MAX
        ))
        .into());
    }
    let limit = crate::theory::simulate::MAX_TRIALS as i64;
    if args.sim.trials <= 0 || args.sim.trials > limit {
        return Err(Error::invalid(format!(
            "--trials {}: must be between 1 and {limit}",
            args.sim.trials
        ))
        .into());
    }
    let (skills, trials) = (args.sim.skills() as usize, args.sim.trials as usize);
    let ratios = crate::theory::sweep::parse_ratios(&args.ratio, "ratios")?;
    let bar = super::progress::bar((ratios.len() * trials) as u64, "emergence");
    let points = class_curve(&spec, &ratios, skills, trials, args.sim.seed, &|| {
        bar.inc(1)
    })?;
    bar.finish_and_clear();
    let (lo, hi) = ratios
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(a, b), &r| (a.min(r), b.max(r)));
    let landmarks = class_landmarks(&spec, lo, hi, CLASS_TARGET)?;
    if let Some(dir) = &args.plot {
        let file = plot_path(dir, "emergence.svg")?;
        let mut plot = Plot::new(format!(
            "Emergence per skill class: {}, N = {skills}, {}",
            path.file_name()
                .map_or("classes".into(), |f| f.to_string_lossy()),
            spec.model.learner
        ))
        .x_label("R (texts per skill)")
        .y_label("unlearned fraction");
        let fine = crate::theory::emergence::fine_ratios(lo, hi, 200, false);
        let de: Vec<Vec<f64>> = fine
            .iter()
            .map(|&r| spec.de(r).map(|d| d.unlearned))
            .collect::<Result<_>>()?;
        for (i, name) in spec.skill_names.iter().enumerate() {
            plot = plot
                .series(Series::line(
                    format!("DE {name}"),
                    fine.iter().zip(&de).map(|(&r, e)| (r, e[i])).collect(),
                ))
                .series(
                    Series::points(
                        format!("sim {name}"),
                        points
                            .iter()
                            .map(|p| (p.ratio, p.sim_unlearned[i]))
                            .collect(),
                    )
                    .with_y_errors(points.iter().map(|p| p.sim_std[i]).collect()),
                );
        }
        plot.save(&file)?;
        eprintln!("wrote {}", file.display());
    }
    if args.json {
        let out = ClassOutput {
            classes: &spec,
            skills,
            trials,
            seed: args.sim.seed,
            points: &points,
            landmarks: &landmarks,
        };
        println!("{}", to_json_pretty(&out)?);
        return Ok(());
    }
    println!(
        "Emergence per skill class: {} (learner {}), N = {skills}, {trials} trial(s), seed {}",
        path.display(),
        spec.model.learner,
        args.sim.seed
    );
    let mut head = vec!["ratio".to_string()];
    for name in &spec.skill_names {
        head.push(format!("DE ε {name}"));
        head.push(format!("sim ε {name}"));
        head.push("± std".into());
    }
    head.push("DE ε all".into());
    head.push("sim ε all".into());
    let mut t = Table::new(head);
    for p in &points {
        let mut row = vec![number(p.ratio)];
        for i in 0..spec.skill_names.len() {
            row.push(number(p.de_unlearned[i]));
            row.push(number(p.sim_unlearned[i]));
            row.push(number(p.sim_std[i]));
        }
        row.push(number(p.de_total));
        row.push(number(p.sim_total));
        t.row(row);
    }
    print!("{t}");
    for l in &landmarks {
        let opt = |v: Option<f64>| v.map_or("-".to_string(), number);
        println!(
            "class {}: emergence point R = {} (dε/dR = {}), R for ε <= {} = {}",
            l.class,
            opt(l.emergence_point),
            opt(l.emergence_slope),
            l.target,
            opt(l.ratio_for_target)
        );
    }
    Ok(())
}

#[derive(Serialize)]
struct Output<'a> {
    ensemble: String,
    #[serde(flatten)]
    curve: &'a EmergenceCurve,
}

/// Runs `semzip emergence`.
pub fn run(args: Args) -> anyhow::Result<()> {
    if let Some(path) = &args.classes {
        return run_classes(path, &args);
    }
    if args.finite_length {
        return run_finite(&args);
    }
    let setup = args.sim.setup()?;
    let ratios = crate::theory::sweep::parse_ratios(&args.ratio, "ratios")?;
    if let Some(dir) = &args.plot {
        super::check_plot_dir(dir)?;
    }
    let bar = super::progress::bar((ratios.len() * setup.trials) as u64, "emergence");
    let curve = emergence_curve(&setup, &ratios, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let description = args.sim.describe(&setup);
    if let Some(dir) = &args.plot {
        let path = plot_path(dir, "emergence.svg")?;
        emergence_plot(&setup, &curve).save(&path)?;
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
    println!("Emergence: {description}");
    let mut t = Table::new(["ratio", "DE unlearned", "sim unlearned", "sim std"]);
    for p in &curve.points {
        t.row([
            number(p.ratio),
            number(p.de_unlearned),
            number(p.sim_unlearned),
            number(p.sim_std),
        ]);
    }
    print!("{t}");
    let th = &curve.threshold;
    match (th.ratio_threshold, th.emergence_point) {
        (Some(r), _) => println!(
            "DE threshold: R* = {} (load G* = {})",
            number(r),
            number(th.load_threshold.unwrap_or(f64::NAN))
        ),
        (None, Some(r)) => println!(
            "No threshold (some skills are never learned, so ε never reaches 0); \
             emergence point R = {} (slope {})",
            number(r),
            number(th.emergence_slope.unwrap_or(f64::NAN))
        ),
        (None, None) => println!("No threshold"),
    }
    Ok(())
}

/// DE as a fine line, simulated means as points with ±1 std error bars.
fn emergence_plot(setup: &SimSetup, curve: &EmergenceCurve) -> Plot {
    let (lo, hi) = curve
        .points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.ratio), b.max(p.ratio))
        });
    let de = de_unlearned_line(setup, lo, hi);
    let sim: Vec<(f64, f64)> = curve
        .points
        .iter()
        .map(|p| (p.ratio, p.sim_unlearned))
        .collect();
    let err: Vec<f64> = curve.points.iter().map(|p| p.sim_std).collect();
    Plot::new(format!("Emergence: {}", short_description(setup)))
        .x_label("R (texts per skill)")
        .y_label("unlearned fraction")
        .series(Series::line("density evolution", de))
        .series(Series::points("simulation (mean ± std)", sim).with_y_errors(err))
}

/// Ensemble, N and learner in a few words, for plot titles.
pub fn short_description(setup: &SimSetup) -> String {
    let kind = match &setup.ensemble {
        Ensemble::SkillDriven { skill_degrees, .. } => format!("skill-driven {skill_degrees}"),
        Ensemble::TextDriven {
            text_degrees,
            popularity,
            ..
        } => format!("text-driven {text_degrees}, {popularity}"),
        Ensemble::Configuration { .. } => "configuration".to_string(),
    };
    let mut s = format!("{kind}, N = {}, {}", setup.ensemble.skills(), setup.learner);
    if setup.unknown_fraction < 1.0 {
        s.push_str(&format!(", δ = {}", setup.unknown_fraction));
    }
    s
}

//! `semzip threshold`: the ratio threshold R* (load G* = 1/R*) or the largest unknown
//! fraction δ*, from density evolution.

use crate::Error;
use crate::ensemble::{DegreeSpec, Popularity};
use crate::peel::Learner;
use crate::theory::{
    DeParams, EmergencePoint, NoThreshold, describe_reasons, emergence_point, no_threshold_reason,
    ratio_for_target, ratio_threshold, unknown_fraction_threshold,
};
use serde::Serialize;

/// Target ε for `ratio_for_target` when there is no threshold.
const TARGET: f64 = 1e-3;

pub use super::args::ModelArgs;

/// The ensemble family the flags describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Skill degrees given, Poisson texts.
    SkillDriven,
    /// Text degrees and popularity.
    TextDriven,
    /// Both degree tables (ratio implied).
    Configuration,
}

impl ModelArgs {
    /// The learner the flags ask for.
    pub fn learner(&self) -> crate::Result<Learner> {
        match (&self.capacity, &self.learner) {
            (Some(c), _) => {
                let c = u32::try_from(*c).map_err(|_| {
                    Error::invalid(format!("--capacity {c}: expected a whole number >= 1"))
                })?;
                super::args::theory_capacity(c)
                    .map_err(|e| Error::invalid(format!("--capacity: {e}")))
            }
            (None, Some(spec)) => spec.parse(),
            (None, None) => Learner::capacity(1),
        }
    }

    /// The number of skills, checked.
    pub fn skills(&self) -> crate::Result<Option<usize>> {
        match self.skills {
            None => Ok(None),
            Some(n) if n >= 1 => Ok(Some(n as usize)),
            Some(n) => Err(Error::invalid(format!(
                "--skills {n}: the number of skills must be at least 1"
            ))),
        }
    }

    /// Parses the flags into density-evolution parameters at `ratio` (ignored for
    /// configurations), with the family they describe.
    pub fn params(&self, ratio: f64) -> crate::Result<(DeParams, Family)> {
        if !(0.0..=1.0).contains(&self.unknown_fraction) {
            return Err(Error::invalid(format!(
                "--unknown-fraction {}: must be in [0, 1]",
                self.unknown_fraction
            )));
        }
        let learner = self.learner()?;
        let skills = self.skills()?;
        let text: Option<DegreeSpec> = self.text_degrees.as_deref().map(str::parse).transpose()?;
        let (p, family) = match (&self.skill_degrees, &self.popularity) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid(
                    "--popularity is for text-driven ensembles: drop --skill-degrees or --popularity",
                ));
            }
            (Some(s), None) => {
                let s: DegreeSpec = s.parse()?;
                match text {
                    Some(t) => (
                        DeParams::configuration(&s, &t, learner),
                        Family::Configuration,
                    ),
                    None => (
                        DeParams::skill_driven(&s, ratio, learner),
                        Family::SkillDriven,
                    ),
                }
            }
            (None, Some(pop)) => {
                let pop: Popularity = pop.parse()?;
                let t = text.ok_or_else(|| {
                    Error::invalid("--popularity needs --text-degrees (the text degree law)")
                })?;
                let n = match (pop, skills) {
                    (_, Some(n)) => n,
                    (Popularity::Uniform, None) => 1,
                    (Popularity::Zipf(_), None) => {
                        return Err(Error::invalid(
                            "zipf popularity needs --skills N (the weights depend on N)",
                        ));
                    }
                };
                if matches!(pop, Popularity::Zipf(_)) {
                    crate::ensemble::memory::check_zipf(n)?;
                }
                (
                    DeParams::text_driven(&t, pop, n, ratio, learner),
                    Family::TextDriven,
                )
            }
            (None, None) => {
                return Err(Error::invalid(
                    "give --skill-degrees SPEC (skill-driven or, with --text-degrees, configuration) \
                     or --text-degrees SPEC --popularity uniform|zipf:S (text-driven)",
                ));
            }
        };
        Ok((p.with_unknown_fraction(self.unknown_fraction), family))
    }

    /// A one-line description of the model.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = &self.skill_degrees {
            parts.push(format!("skill degrees {s}"));
        }
        match &self.text_degrees {
            Some(t) => parts.push(format!("text degrees {t}")),
            None => parts.push("Poisson texts".into()),
        }
        if let Some(p) = &self.popularity {
            parts.push(format!("popularity {p}"));
        }
        parts.join(", ")
    }
}

/// Checks a ratio flag.
pub fn check_ratio(r: f64, flag: &str) -> crate::Result<f64> {
    if r.is_finite() && r > 0.0 {
        Ok(r)
    } else {
        Err(Error::invalid(format!(
            "{flag} {r}: the ratio (texts per skill) must be positive"
        )))
    }
}

/// What to search over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Over {
    /// The ratio R (texts per skill) at δ = --unknown-fraction.
    Ratio,
    /// The unknown fraction δ at R = --ratio.
    UnknownFraction,
}

/// Flags of `semzip threshold`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    model: ModelArgs,
    /// Search over the ratio (default unless the ratio is implied) or the unknown fraction.
    #[arg(long, value_enum)]
    over: Option<Over>,
    /// The ratio for --over unknown-fraction (implied for configurations).
    #[arg(long, value_name = "R", allow_negative_numbers = true)]
    ratio: Option<f64>,
    /// Bisection tolerance: relative on R, absolute on δ (below 1e-13 it is clamped
    /// to 1e-13, the resolution of the search, with a note).
    #[arg(long, default_value_t = 1e-6, allow_negative_numbers = true)]
    tol: f64,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// A multi-class model (JSON, or TOML when the name ends in .toml): per-class
    /// emergence points and ratios for a target ε instead of one threshold.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["skill_degrees", "text_degrees", "popularity", "over"])]
    classes: Option<std::path::PathBuf>,
}

#[derive(Debug, Serialize)]
struct ClassOutput<'a> {
    classes: &'a crate::theory::class_file::ClassSpec,
    target_unlearned: f64,
    landmarks: Vec<crate::theory::class_file::ClassLandmark>,
}

/// `threshold --classes FILE`: per-class landmarks.
fn run_classes(path: &std::path::Path, json: bool) -> anyhow::Result<()> {
    use crate::theory::class_file::{ClassSpec, class_landmarks};
    let spec = ClassSpec::read(path)?;
    let first = class_landmarks(&spec, 0.05, 20.0, TARGET)?;
    let reach = first
        .iter()
        .filter_map(|l| l.ratio_for_target)
        .fold(20.0f64, |a, r| a.max(2.0 * r));
    let landmarks = if reach > 20.0 {
        class_landmarks(&spec, 0.05, reach, TARGET)?
    } else {
        first
    };
    if json {
        let out = ClassOutput {
            classes: &spec,
            target_unlearned: TARGET,
            landmarks,
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "Density evolution, {} skill classes and {} text classes from {} (learner {})",
        spec.skill_names.len(),
        spec.text_names.len(),
        path.display(),
        spec.model.learner
    );
    let mut t = crate::report::Table::new([
        "skill class".to_string(),
        "share".into(),
        "unknown δ".into(),
        "emergence R".into(),
        "dε/dR".into(),
        format!("R for ε <= {TARGET}"),
    ]);
    let num = |v: Option<f64>| v.map_or("-".to_string(), crate::report::table::number);
    for (i, l) in landmarks.iter().enumerate() {
        t.row([
            l.class.clone(),
            crate::report::table::number(spec.model.skill_shares[i]),
            crate::report::table::number(spec.model.unknown[i]),
            num(l.emergence_point),
            num(l.emergence_slope),
            num(l.ratio_for_target),
        ]);
    }
    print!("{t}");
    println!(
        "No class has a threshold R* (ε = 0): Poisson skill degrees leave a share of \
         every class in no text; the emergence point is where a class's ε falls fastest."
    );
    Ok(())
}

#[derive(Debug, Serialize)]
struct Output {
    skill_degrees: Option<String>,
    text_degrees: Option<String>,
    popularity: Option<String>,
    skills: Option<usize>,
    learner: String,
    unknown_fraction: f64,
    over: Over,
    ratio: Option<f64>,
    ratio_implied: bool,
    tolerance: f64,
    tolerance_note: Option<String>,
    load_threshold: Option<f64>,
    ratio_threshold: Option<f64>,
    unknown_fraction_threshold: Option<f64>,
    reason: Option<String>,
    causes: Vec<NoThreshold>,
    emergence_point: Option<EmergencePoint>,
    target_unlearned: Option<f64>,
    ratio_for_target: Option<f64>,
}

/// Runs `semzip threshold`.
pub fn run(args: Args) -> anyhow::Result<()> {
    if !(args.tol.is_finite() && args.tol > 0.0 && args.tol < 1.0) {
        return Err(Error::invalid(format!("--tol {}: must be in (0, 1)", args.tol)).into());
    }
    let (tol, clamped) = crate::theory::threshold::effective_tolerance(args.tol);
    if let Some(path) = &args.classes {
        return run_classes(path, args.json);
    }
    let given_ratio = args.ratio.map(|r| check_ratio(r, "--ratio")).transpose()?;
    let (p, family) = args.model.params(given_ratio.unwrap_or(1.0))?;
    let implied = family == Family::Configuration;
    let over = match args.over {
        Some(Over::Ratio) if implied => {
            return Err(Error::invalid(format!(
                "--over ratio: with both --skill-degrees and --text-degrees the ratio is implied \
                 (R = Λ'(1)/Γ'(1) = {:.6}); use --over unknown-fraction",
                p.effective_ratio()
            ))
            .into());
        }
        Some(o) => o,
        None if implied => Over::UnknownFraction,
        None => Over::Ratio,
    };
    let mut out = Output {
        skill_degrees: args.model.skill_degrees.clone(),
        text_degrees: args.model.text_degrees.clone(),
        popularity: args.model.popularity.clone(),
        skills: args.model.skills()?,
        learner: p.learner.to_string(),
        unknown_fraction: p.unknown_fraction,
        over,
        ratio: None,
        ratio_implied: implied,
        tolerance: tol,
        tolerance_note: clamped.then(|| {
            format!(
                "--tol {:e} is below the resolution of the search: clamped to {tol:e}",
                args.tol
            )
        }),
        load_threshold: None,
        ratio_threshold: None,
        unknown_fraction_threshold: None,
        reason: None,
        causes: Vec::new(),
        emergence_point: None,
        target_unlearned: None,
        ratio_for_target: None,
    };
    match over {
        Over::Ratio => {
            match ratio_threshold(&p, tol) {
                Some(t) => {
                    out.load_threshold = Some(t.load);
                    out.ratio_threshold = Some(t.ratio);
                }
                None => {
                    let causes = no_threshold_reason(&p);
                    out.reason = Some(describe_reasons(&causes));
                    let learns = !causes.iter().any(|c| {
                        matches!(
                            c,
                            NoThreshold::LearnerNeverTeaches | NoThreshold::NothingStarts { .. }
                        )
                    });
                    out.causes = causes;
                    if learns {
                        let rft = ratio_for_target(&p, TARGET);
                        let to = rft.map_or(20.0, |r| (2.0 * r).max(20.0));
                        out.emergence_point = emergence_point(&p, 0.05, to);
                        out.target_unlearned = Some(TARGET);
                        out.ratio_for_target = rft;
                    }
                }
            }
            out.ratio = given_ratio;
        }
        Over::UnknownFraction => {
            let r = if implied {
                p.effective_ratio()
            } else {
                given_ratio.ok_or_else(|| {
                    Error::invalid(
                        "--over unknown-fraction needs --ratio R (the ratio is only implied \
                         when both --skill-degrees and --text-degrees are given)",
                    )
                })?
            };
            let d = unknown_fraction_threshold(&p.with_ratio(r), tol);
            out.ratio = Some(r);
            out.unknown_fraction_threshold = Some(d);
            if d == 0.0 {
                let mut causes = no_threshold_reason(&p.with_ratio(r));
                causes.retain(|c| !matches!(c, NoThreshold::RatioImplied { .. }));
                if causes.is_empty() {
                    causes.push(NoThreshold::NotWithinSearch { max_ratio: r });
                }
                out.reason = Some(describe_reasons(&causes));
                out.causes = causes;
            }
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_table(&args.model, &out);
    }
    Ok(())
}

/// A value with `digits` significant digits (scientific outside [1e-3, 1e9)).
fn fmt_sig(x: f64, digits: usize) -> String {
    let digits = digits.clamp(1, 17);
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let mag = x.abs().log10().floor() as i64;
    if (-3..9).contains(&mag) {
        let decimals = (digits as i64 - 1 - mag).max(0) as usize;
        format!("{x:.decimals$}")
    } else {
        format!("{x:.*e}", digits - 1)
    }
}

fn fmt_opt(v: Option<f64>, tol: f64) -> String {
    // One digit beyond the tolerance.
    let digits = (-tol.log10()).ceil().max(1.0) as usize + 1;
    v.map_or("-".into(), |x| fmt_sig(x, digits.max(6)))
}

fn print_table(model: &ModelArgs, o: &Output) {
    println!("Density-evolution threshold: {}", model.describe());
    println!("  {:<30} {}", "learner", o.learner);
    println!("  {:<30} {}", "unknown fraction δ", o.unknown_fraction);
    if let Some(r) = o.ratio {
        let note = if o.ratio_implied { " (implied)" } else { "" };
        println!("  {:<30} {r:.6}{note}", "ratio R");
    }
    match o.over {
        Over::Ratio => {
            println!(
                "  {:<30} {}",
                "ratio threshold R*",
                fmt_opt(o.ratio_threshold, o.tolerance)
            );
            println!(
                "  {:<30} {}",
                "load threshold G* = 1/R*",
                fmt_opt(o.load_threshold, o.tolerance)
            );
        }
        Over::UnknownFraction => {
            println!(
                "  {:<30} {}",
                "unknown-fraction threshold δ*",
                fmt_opt(o.unknown_fraction_threshold, o.tolerance)
            );
        }
    }
    if let Some(note) = &o.tolerance_note {
        println!("  note: {note}");
    }
    if let Some(reason) = &o.reason {
        println!("  no threshold: {reason}");
    }
    if let Some(e) = &o.emergence_point {
        println!(
            "  {:<30} R = {:.4} (dε/dR = {:.4})",
            "emergence point", e.ratio, e.slope
        );
    }
    if let Some(t) = o.target_unlearned {
        println!(
            "  {:<30} {}",
            format!("ratio for ε <= {t}"),
            fmt_opt(o.ratio_for_target, 1e-6)
        );
    }
}

//! `grader explain CHECK_ID`: what a check is for, what it sends, what it expects, and
//! how to do the same by hand.
//!
//! Nothing here is written per check. The purpose is the check's sentence (the
//! registry's `name`) and its entry in the handout's "The checks" section; what it
//! sends and expects is its transcript from one run against the reference solution
//! (built if needed), with the commands shown as the student types them for their own
//! programs; the commands by hand are derived from that transcript (`byhand.rs`). So an
//! explanation is always what the check does today. A student template has no
//! solutions/: there, the transcript is the reference's run that `grader template`
//! recorded ([`RECORDED`]) when it made the template from the course.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anstyle::Style;
use anyhow::{bail, Result};
use clap::Args;
use serde::{Deserialize, Serialize};

use crate::byhand;
use crate::grading::Grading;
use crate::programs::{self, Source, Track};
use crate::runner::Planned;
use crate::workspace::find_root;
use harness::deadline::Timeouts;
use harness::process::Limits;
use harness::transcript::EventKind;
use harness::{Env, Launcher};
use labs::concepts;
use labs::registry::{find_check, find_lab, labs, Check, Lab};
use report::{CheckReport, Status};

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();

/// The seed of an explanation unless `--seed` says otherwise: the same words every
/// time, and `cargo grade --check ID --seed 1 -v` sends your program the same.
const SEED: u64 = 1;

/// The most transcript lines shown; the middle of a longer one is left out.
const SHOWN_EVENTS: usize = 60;

/// How the student runs the grader's own tiny client.
const SEND: &str = "cargo grader send";

#[derive(Args)]
pub struct ExplainArgs {
    /// Check ids (hello/server-replies) or lab names (every check of the lab).
    #[arg(value_name = "CHECK_ID|LAB")]
    targets: Vec<String>,
    /// Explain every check of every lab.
    #[arg(long, conflicts_with = "targets")]
    all: bool,
    /// Only what is known without running anything: no transcript, no commands.
    #[arg(long)]
    no_run: bool,
    /// Seed of the run against the reference solution.
    #[arg(long, default_value_t = SEED)]
    seed: u64,
    /// Multiply every deadline, for a slow or loaded machine.
    #[arg(long, value_name = "FACTOR", default_value_t = 1.0)]
    timeout_scale: f64,
    /// Where the reference solution runs (as for `grader test`).
    #[arg(long, value_enum, default_value_t = crate::inner::Net::Auto)]
    net: crate::inner::Net,
    /// Show the details of checks that grading.toml hides (for instructors).
    #[arg(long)]
    show_hidden: bool,
    /// Run the Python track's reference and show the commands of your Python files
    /// (grading.toml's `track = "python"` makes it the default).
    #[arg(long)]
    python: bool,
}

pub fn run(args: &ExplainArgs, root: Option<&Path>) -> Result<ExitCode> {
    let root = find_root(root)?;
    let chosen = choose(args)?;
    let mut grading = Grading::find(None, &root)?;
    grading.show_hidden = args.show_hidden;
    let track = Track::choose(args.python, grading.track.or(crate::workspace::workspace_track(&root)));
    let results = if args.no_run { HashMap::new() } else { run_reference(&chosen, args, track, &root)? };

    let mut out = anstream::stdout();
    for (i, (lab, check)) in chosen.iter().enumerate() {
        if i > 0 {
            writeln!(out, "\n{}", "-".repeat(72))?;
        }
        let id = lab.check_id(check);
        let ran = results.get(&id);
        let mut result = ran.map(|r| r.result.clone());
        if let Some(result) = &mut result {
            grading.apply(result);
        }
        let against = ran.map_or(Against::Reference, |r| r.against);
        explain_one(&mut out, &root, lab, check, result.as_ref(), against, args)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The checks named on the command line, in registry order within each target.
fn choose(args: &ExplainArgs) -> Result<Vec<(&'static Lab, &'static Check)>> {
    if args.all {
        return Ok(labs().iter().flat_map(|lab| lab.checks.iter().map(move |c| (*lab, c))).collect());
    }
    if args.targets.is_empty() {
        bail!("name a check id (such as hello/server-replies; `cargo grader list` shows them all), a lab, or --all");
    }
    let mut chosen = Vec::new();
    for target in &args.targets {
        if let Some(found) = find_check(target) {
            chosen.push(found);
        } else if let Some(lab) = find_lab(target) {
            chosen.extend(lab.checks.iter().map(|c| (lab, c)));
        } else {
            bail!("there is no check or lab {target:?}; `cargo grader list` shows every check id");
        }
    }
    Ok(chosen)
}

/// Whose program a check's transcript comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Against {
    /// The reference solution in solutions/, run now.
    Reference,
    /// The reference solution's run recorded in a student template ([`RECORDED`]).
    Recorded,
    /// The student's own program: no reference here, and no recorded run of this check.
    Own,
}

/// What one check did, and against whose program.
struct Ran {
    result: CheckReport,
    against: Against,
}

/// Where a student template keeps the reference solution's run of every check, for
/// `explain`: `grader template` records it, since the template has no solutions/.
pub const RECORDED: &str = "grader/reference.json";

/// The reference solution's run of every check, as `grader template` records it.
#[derive(Serialize, Deserialize)]
pub struct Recorded {
    pub track: Track,
    pub seed: u64,
    /// With grading.toml applied: a hidden check's details are not in the file.
    pub checks: Vec<CheckReport>,
}

impl Recorded {
    fn load(root: &Path) -> Option<Recorded> {
        let text = std::fs::read(root.join(RECORDED)).ok()?;
        serde_json::from_slice(&text).ok()
    }
}

/// Runs every check against the reference solution of `track` at the explanation's
/// seed, for a student template; grading.toml's hidden checks keep their details out.
pub fn record(
    root: &Path,
    track: Track,
    grading: &Grading,
    timeouts: Timeouts,
    net: crate::inner::Net,
) -> Result<Recorded> {
    let plan = crate::grade::plan(&[], &[])?;
    let labs: Vec<&'static Lab> = labs().to_vec();
    let mut progress =
        |what: &str| eprintln!("grader: {what} (the reference solutions, to record what each check does)");
    let mut programs =
        programs::resolve_track(track, &labs, Source::Solutions, &[], root, timeouts.build, &mut progress)?;
    show_as_student(&mut programs, &labs, track);
    let env = Arc::new(Env { programs, timeouts, limits: Limits::default(), require_sandbox: false });
    let mut notes = Vec::new();
    let mut checks = crate::inner::run(&plan, env, jobs(), SEED, net, &mut notes, |_| {})?;
    for check in &mut checks {
        grading.apply(check);
    }
    Ok(Recorded { track, seed: SEED, checks })
}

fn jobs() -> usize {
    std::thread::available_parallelism().map(|n| n.get() * 2).unwrap_or(2).clamp(2, 8)
}

/// The reference programs of `labs` shown as the student starts their own: the
/// transcript's `$` lines are then the commands to type.
fn show_as_student(
    programs: &mut HashMap<String, Result<Launcher, harness::outcome::Failure>>,
    labs: &[&Lab],
    track: Track,
) {
    for lab in labs {
        for role in lab.roles {
            if let Some(Ok(launcher)) = programs.get_mut(role.name) {
                let shown = match track {
                    Track::Rust => format!("cargo run -q -p {} --bin {} --", lab.package(), role.name),
                    Track::Python => format!(
                        "python3 {}/{}",
                        lab.python_dir("labs"),
                        labs::registry::python_file(role.name).unwrap_or_default()
                    ),
                };
                *launcher = Launcher { shown, ..launcher.clone() };
            }
        }
    }
}

/// Runs the chosen checks (and what they need first) against the reference solutions,
/// with the programs shown as the student's own `cargo run` lines. A lab whose
/// reference is not in this repository (a student template) takes the recorded run
/// of the reference, else runs against the student's program.
fn run_reference(
    chosen: &[(&'static Lab, &'static Check)],
    args: &ExplainArgs,
    track: Track,
    root: &Path,
) -> Result<HashMap<String, Ran>> {
    let ids: Vec<String> = chosen.iter().map(|(lab, check)| lab.check_id(check)).collect();
    let plan = crate::grade::plan(&[], &ids)?;
    let mut labs: Vec<&'static Lab> = Vec::new();
    for planned in &plan {
        if !labs.iter().any(|lab| lab.name == planned.lab.name) {
            labs.push(planned.lab);
        }
    }
    let has_reference = |lab: &&'static Lab| match track {
        Track::Rust => root.join("solutions").join(lab.name).join("Cargo.toml").is_file(),
        Track::Python => root.join(lab.python_dir("solutions")).is_dir(),
    };
    let recorded = Recorded::load(root).filter(|r| r.track == track && r.seed == args.seed);
    let is_recorded = |lab: &&'static Lab| {
        recorded.as_ref().is_some_and(|r| {
            plan.iter().filter(|p| p.lab.name == lab.name).all(|p| r.checks.iter().any(|c| c.id == p.id()))
        })
    };
    let (reference, rest): (Vec<&'static Lab>, Vec<&'static Lab>) = labs.into_iter().partition(has_reference);
    let (from_record, own): (Vec<&'static Lab>, Vec<&'static Lab>) = rest.into_iter().partition(is_recorded);
    let mut ran: HashMap<String, Ran> = HashMap::new();
    if let Some(recorded) = recorded {
        for result in recorded.checks {
            if from_record.iter().any(|lab| lab.name == result.lab) && plan.iter().any(|p| p.id() == result.id) {
                ran.insert(result.id.clone(), Ran { result, against: Against::Recorded });
            }
        }
    }
    let timeouts = Timeouts::scaled(args.timeout_scale.clamp(0.1, 100.0));
    let mut programs = HashMap::new();
    if !reference.is_empty() {
        programs.extend(programs::resolve_track(
            track,
            &reference,
            Source::Solutions,
            &[],
            root,
            timeouts.build,
            &mut |what| {
                eprintln!("grader: {what} (the reference solution, to show what each check does)");
            },
        )?);
        show_as_student(&mut programs, &reference, track);
    }
    if !own.is_empty() {
        programs.extend(programs::resolve_track(track, &own, Source::Labs, &[], root, timeouts.build, &mut |what| {
            eprintln!("grader: {what} (no reference solution here: your own programs show what each check does)");
        })?);
    }
    let live: Vec<Planned> =
        plan.into_iter().filter(|p| !from_record.iter().any(|lab| lab.name == p.lab.name)).collect();
    if live.is_empty() {
        return Ok(ran);
    }
    let env = Arc::new(Env { programs, timeouts, limits: Limits::default(), require_sandbox: false });
    let mut notes = Vec::new();
    let results = crate::inner::run(&live, env, jobs(), args.seed, args.net, &mut notes, |_| {})?;
    for result in results {
        let against = if own.iter().any(|lab| lab.name == result.lab) { Against::Own } else { Against::Reference };
        ran.insert(result.id.clone(), Ran { result, against });
    }
    Ok(ran)
}

fn explain_one(
    out: &mut impl Write,
    root: &Path,
    lab: &Lab,
    check: &Check,
    result: Option<&CheckReport>,
    against: Against,
    args: &ExplainArgs,
) -> Result<()> {
    let own = against == Against::Own;
    let id = lab.check_id(check);
    writeln!(out, "{BOLD}{id}{BOLD:#}: {}", check.name)?;
    // The course's points (grading.toml) once the check has run, else the registry's.
    let points = result.map_or(check.points, |r| r.max_points);
    writeln!(out, "  {points} point{}; lab {}: {}", plural(points), lab.name, lab.title)?;
    if let Some(role) = check.gate_of() {
        writeln!(out, "  the first check of {role}: every check that starts {role} runs only after it passed")?;
    }
    if !check.after.is_empty() {
        let after: Vec<String> = check.after.iter().map(|s| format!("{}/{s}", lab.name)).collect();
        writeln!(out, "  runs only after {} passed", after.join(", "))?;
    }

    let handout = lab.handout();
    let entry = std::fs::read_to_string(root.join(&handout)).ok().and_then(|text| handout_entry(&text, &id));
    writeln!(out, "\n{BOLD}What it checks{BOLD:#} ({handout}, \"The checks\"):")?;
    match &entry {
        // The entry of this check alone starts with its id, which is shown above.
        Some(text) => write_wrapped(out, text.strip_prefix(&format!("`{id}`: ")).unwrap_or(text), "  ")?,
        None => writeln!(out, "  {}", check.name)?,
    }
    let about = format!("{id} {} {}", check.name, entry.as_deref().unwrap_or(""));
    let related = concepts::about(&about);
    if !related.is_empty() {
        let shown: Vec<String> = related.iter().map(|c| format!("{} ({})", c.title, c.page)).collect();
        writeln!(out, "  concepts: {}", shown.join("; "))?;
    }

    if args.no_run {
        return Ok(());
    }
    let Some(result) = result else {
        writeln!(out, "\n  (the check did not run)")?;
        return Ok(());
    };
    if result.hidden && !args.show_hidden {
        writeln!(out, "\n  hidden check: your instructor withholds what it sends (grading.toml)")?;
        return Ok(());
    }
    if !own && result.status != Status::Pass {
        let why = result.message.as_deref().unwrap_or("it did not pass");
        writeln!(out, "\n  {DIM}(on this machine the reference solution did not pass it: {why}){DIM:#}")?;
    }
    let map = byhand::port_map(lab, &result.transcript);
    let events: Vec<_> = result
        .transcript
        .iter()
        .map(|e| harness::transcript::Event { text: byhand::localize(&e.text, &map), ..e.clone() })
        .collect();
    if events.is_empty() {
        return Ok(());
    }
    let against = match against {
        Against::Reference => "a run against the reference solution",
        Against::Recorded => "the reference solution's run, recorded when this copy of the course was made",
        Against::Own => {
            "a run against your own program: this copy of the course has no reference solution and no record of its run"
        }
    };
    writeln!(out, "\n{BOLD}What it sends and expects{BOLD:#} ({against}, --seed {}):", args.seed)?;
    writeln!(
        out,
        "  {DIM}$ a program the grader starts   > bytes the grader sends   < bytes it receives   # its notes{DIM:#}"
    )?;
    let skip = events.len().saturating_sub(SHOWN_EVENTS);
    let head = if skip > 0 { SHOWN_EVENTS - 10 } else { events.len() };
    for (i, event) in events.iter().enumerate() {
        if skip > 0 && i == head {
            writeln!(out, "  {DIM}... {skip} more lines ...{DIM:#}")?;
        }
        if skip > 0 && (head..head + skip).contains(&i) {
            continue;
        }
        for (n, line) in event.render().lines().enumerate() {
            let lead = if n == 0 { "  " } else { "      " };
            writeln!(out, "{lead}{line}")?;
        }
    }

    if let (true, Some(failure)) = (own, &result.failure) {
        let local = |text: &str| byhand::localize(text, &map);
        writeln!(out, "\n{BOLD}What your program did{BOLD:#}: {}", local(&failure.summary))?;
        for (name, value) in [("sent", &failure.sent), ("expected", &failure.expected), ("got", &failure.got)] {
            if let Some(value) = value {
                writeln!(out, "  {:<9} {}", format!("{name}:"), local(value))?;
            }
        }
        if let Some(hint) = &failure.hint {
            writeln!(out, "  hint:     {}", local(hint))?;
        }
    }

    let steps = byhand::steps(&events, SEND);
    if !steps.is_empty() {
        writeln!(out, "\n{BOLD}Try it by hand{BOLD:#}, each command in a terminal of its own, in this order:")?;
        for (n, step) in steps.iter().enumerate() {
            writeln!(out, "  {}. {}:", n + 1, step.who)?;
            writeln!(out, "     {}", step.command)?;
            if let Some(caveat) = &step.caveat {
                writeln!(out, "     {DIM}({caveat}){DIM:#}")?;
            }
        }
        if events.iter().any(|e| e.kind == EventKind::Note && e.text.contains("on purpose")) {
            writeln!(
                out,
                "  {DIM}(the # lines say what the grader did on purpose, such as losing a datagram: do that part\n  by hand, for instance by not answering){DIM:#}"
            )?;
        }
        if events.iter().any(|e| e.kind == EventKind::Sent && !e.text.contains("one datagram")) {
            writeln!(
                out,
                "  {DIM}`{SEND}` writes each TEXT as it is (\\n is a newline) and prints what comes back; nc works too,\n  but adds a newline to every line you type.{DIM:#}"
            )?;
        }
    }
    writeln!(out, "\n{BOLD}Grade your own program on just this check{BOLD:#}, with its transcript:")?;
    let labs = crate::registry::labs_flags_shown();
    writeln!(out, "  cargo grade {}{labs} --check {id} --seed {} -v", lab.name, args.seed)?;
    Ok(())
}

fn plural(n: u32) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The handout's list entry for `id`: the item of a Markdown list whose lead (the text
/// before its first `: `) names the id in backticks, without the `- `.
pub fn handout_entry(handout: &str, id: &str) -> Option<String> {
    let mut items: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    for line in handout.lines() {
        if let Some(start) = line.strip_prefix("- ") {
            items.extend(current.take());
            current = Some(start.trim().to_string());
        } else if let Some(item) = current.as_mut().filter(|_| line.starts_with("  ") && !line.trim().is_empty()) {
            item.push(' ');
            item.push_str(line.trim());
        } else {
            items.extend(current.take());
        }
    }
    items.extend(current);
    let wanted = format!("`{id}`");
    items.into_iter().find(|item| item.split("`: ").next().is_some_and(|lead| format!("{lead}`").contains(&wanted)))
}

fn write_wrapped(out: &mut impl Write, text: &str, indent: &str) -> std::io::Result<()> {
    const WIDTH: usize = 88;
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > WIDTH {
            writeln!(out, "{indent}{line}")?;
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        writeln!(out, "{indent}{line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HANDOUT: &str = "## The checks\n\n\
        - `lab/one`: sends one thing\n  and waits.\n\
        - `lab/two`, `lab/three`,\n  `lab/four`: a ladder; unlike `lab/one` it climbs.\n\n\
        Not a list.\n";

    #[test]
    fn finds_the_entry_of_each_check() {
        assert_eq!(handout_entry(HANDOUT, "lab/one").as_deref(), Some("`lab/one`: sends one thing and waits."));
        let ladder = handout_entry(HANDOUT, "lab/four").expect("an entry");
        assert!(ladder.starts_with("`lab/two`"), "{ladder}");
        // Mentioned in another check's text is not an entry of its own.
        assert_eq!(handout_entry(HANDOUT, "lab/one"), handout_entry(HANDOUT, "lab/one"));
        assert!(handout_entry(HANDOUT, "lab/five").is_none());
    }

    #[test]
    fn every_check_has_a_sentence_and_a_handout_entry() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace");
        for lab in labs() {
            let handout = std::fs::read_to_string(root.join(lab.handout())).expect("the handout");
            for check in lab.checks {
                let id = lab.check_id(check);
                assert!(!check.name.trim().is_empty(), "{id} has no sentence");
                assert!(!check.name.contains('\n'), "{id}: the sentence is one line");
                assert!(handout_entry(&handout, &id).is_some(), "{} has no entry `- `{id}`: ...`", lab.handout());
            }
        }
    }
}

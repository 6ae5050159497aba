//! `grader list`: every lab, its roles and checks, as text or JSON.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use serde_json::json;

use labs::registry::labs;

#[derive(Args)]
pub struct ListArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: &ListArgs) -> Result<ExitCode> {
    let mut out = anstream::stdout();
    if args.json {
        let labs: Vec<_> = labs::registry::labs()
            .iter()
            .map(|lab| {
                json!({
                    "name": lab.name,
                    "title": lab.title,
                    "handout": lab.handout(),
                    "max_points": lab.max_points(),
                    "roles": lab.roles.iter().map(|r| json!({
                        "name": r.name, "default_port": r.default_port,
                        "server": r.listens.map(|p| if p == harness::sockets::Proto::Udp { "udp" } else { "tcp" }),
                    })).collect::<Vec<_>>(),
                    "checks": lab.checks.iter().map(|c| json!({
                        "id": lab.check_id(c), "name": c.name, "points": c.points,
                        "after": c.after.iter().map(|s| format!("{}/{s}", lab.name)).collect::<Vec<_>>(),
                        "gate_of": c.gate_of(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&labs)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    for lab in labs() {
        writeln!(out, "{}: {} ({} points, handout {})", lab.name, lab.title, lab.max_points(), lab.handout())?;
        let roles: Vec<String> = lab.roles.iter().map(|r| format!("{} (port {})", r.name, r.default_port)).collect();
        writeln!(out, "  programs: {}", roles.join(", "))?;
        let width = lab.checks.iter().map(|c| lab.check_id(c).len()).max().unwrap_or(0);
        for check in lab.checks {
            writeln!(out, "  {:<width$}  {:>2}  {}", lab.check_id(check), check.points, check.name)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

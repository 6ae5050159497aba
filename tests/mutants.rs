//! No false passes: the mutant tables of every lab, in one place.
//!
//! Each lab's tests (tests/LAB.rs) hold an rstest table of mutants: a program written
//! to the contract with one bug (`--bug NAME`), and the checks that must fail for it,
//! exactly those. This file reads those tables, renders them as one table in
//! docs/mutants.md (kept up to date by a test: `UPDATE_MUTANTS=1 cargo test -p
//! socket-labs-tests --test mutants` rewrites it), and proves that every check of every
//! lab is failed by at least one mutant: a check that no mutant fails tests nothing.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use socket_labs_tests::{grader, root};

/// Checks that no mutant fails yet, each with why. The test fails when this list is
/// wrong either way: a check missing from it, or one listed that a mutant now catches.
const UNCOVERED: &[(&str, &str)] = &[];

/// One row of a mutant table.
#[derive(Debug)]
struct Mutant {
    lab: String,
    /// The rstest case name, which says what the bug is.
    case: String,
    role: String,
    bug: String,
    /// Check ids (`lab/slug`) that must fail.
    checks: Vec<String>,
}

/// Every lab with its roles and check ids, from `grader list --json`.
fn labs() -> Vec<(String, Vec<String>, Vec<String>)> {
    let run = grader(&["list", "--json"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let labs: Value = serde_json::from_str(&run.stdout()).unwrap();
    labs.as_array()
        .unwrap()
        .iter()
        .map(|lab| {
            let names = |key: &str, field: &str| -> Vec<String> {
                lab[key].as_array().unwrap().iter().map(|v| v[field].as_str().unwrap().to_string()).collect()
            };
            (lab["name"].as_str().unwrap().to_string(), names("roles", "name"), names("checks", "id"))
        })
        .collect()
}

/// The mutants of every lab's tests/LAB.rs: the cases of each rstest function whose
/// name speaks of mutants.
fn mutants() -> Vec<Mutant> {
    let mut all = Vec::new();
    for (lab, roles, _) in labs() {
        // A lab written as data declares its mutants in its lab.toml (grader selftest).
        if let Ok(text) = std::fs::read_to_string(root().join("labs").join(&lab).join("lab.toml")) {
            let file: toml::Value = toml::from_str(&text).unwrap();
            for m in file.get("mutant").and_then(|m| m.as_array()).into_iter().flatten() {
                let field = |key: &str| m.get(key).and_then(|v| v.as_str()).unwrap_or_default().to_string();
                let bug = match m.get("bug") {
                    Some(_) => field("bug"),
                    None => field("cmd").rsplit("--bug ").next().unwrap_or_default().to_string(),
                };
                let checks = m["fails"].as_array().unwrap().iter().map(|s| format!("{lab}/{}", s.as_str().unwrap()));
                if !std::path::Path::new(&root().join("tests").join(format!("{lab}.rs"))).is_file() {
                    let case = bug.replace('-', "_");
                    all.push(Mutant { lab: lab.clone(), case, role: field("role"), bug, checks: checks.collect() });
                }
            }
        }
        let Ok(source) = std::fs::read_to_string(root().join("tests").join(format!("{lab}.rs"))) else { continue };
        for case in cases(&source) {
            let CaseText { name, function, text } = case;
            if !function.contains("mutant") {
                continue;
            }
            let Some((before, list)) = split_list(&text) else { continue };
            let strings = string_literals(&before);
            let (role, bug) = match strings.as_slice() {
                [role, bug, ..] if roles.contains(role) => (role.clone(), bug.clone()),
                [bug, ..] if roles.len() == 1 => (roles[0].clone(), bug.clone()),
                [bug, ..] => (format!("(see tests/{lab}.rs)"), bug.clone()),
                [] => continue,
            };
            let checks = string_literals(&list).into_iter().map(|slug| format!("{lab}/{slug}")).collect();
            all.push(Mutant { lab: lab.clone(), case: name, role, bug, checks });
        }
    }
    all
}

struct CaseText {
    name: String,
    function: String,
    /// What is between the parentheses of `#[case::name(...)]`.
    text: String,
}

/// Every `#[case::name(...)]` of a source file, with the function it belongs to.
fn cases(source: &str) -> Vec<CaseText> {
    let mut found = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find("#[case::") {
        rest = &rest[at + "#[case::".len()..];
        let Some(open) = rest.find('(') else { break };
        let name = rest[..open].to_string();
        let Some(close) = matching_paren(&rest[open..]) else { break };
        let text = rest[open + 1..open + close].to_string();
        let after = &rest[open + close..];
        let function = after
            .find("fn ")
            .map(|f| after[f + 3..].split(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap_or("").to_string())
            .unwrap_or_default();
        found.push(CaseText { name, function, text });
        rest = after;
    }
    found
}

/// The offset of the `)` that closes the `(` at the start of `text`, skipping strings.
fn matching_paren(text: &str) -> Option<usize> {
    let mut depth = 0;
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' | '[' => depth += 1,
            ')' | ']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Splits a case's text at its first `&[...]`: what comes before, and the list.
fn split_list(text: &str) -> Option<(String, String)> {
    let start = text.find("&[")?;
    let end = matching_paren(&text[start + 1..])?;
    Some((text[..start].to_string(), text[start + 2..start + 1 + end].to_string()))
}

/// The string literals of a piece of Rust, unescaped enough for names.
fn string_literals(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut current: Option<String> = None;
    let mut escaped = false;
    for c in text.chars() {
        match current.as_mut() {
            None if c == '"' => current = Some(String::new()),
            None => {}
            Some(s) if escaped => {
                s.push(c);
                escaped = false;
            }
            Some(_) if c == '\\' => escaped = true,
            Some(_) if c == '"' => found.extend(current.take()),
            Some(s) => s.push(c),
        }
    }
    found
}

/// docs/mutants.md as it must be.
fn render(mutants: &[Mutant], labs: &[(String, Vec<String>, Vec<String>)]) -> String {
    let mut out = String::from(
        "# The mutant table\n\n\
         Generated from the mutant tables of tests/LAB.rs by tests/mutants.rs (`UPDATE_MUTANTS=1 cargo test -p\n\
         socket-labs-tests --test mutants` rewrites it); do not edit by hand.\n\n\
         A mutant is a program written to the contract with one bug, switched on with `--bug NAME`\n\
         (tests/fixtures/LAB/). Each lab's tests grade every mutant and assert that it fails exactly the\n\
         checks listed here, every run: never fewer (a false pass) and never more (a check that blames\n\
         the wrong thing). A check that no mutant fails tests nothing: those are listed at the end.\n\n\
         A mutant that cannot start fails its server's gate alone (`ROLE-starts`: the server starts\n\
         and listens on the --host and --port it is given); the checks that start that server are then\n\
         skipped, not failed, and are not listed.\n\n",
    );
    let caught_by: BTreeMap<&str, Vec<&Mutant>> = mutants.iter().fold(BTreeMap::new(), |mut map, m| {
        for check in &m.checks {
            map.entry(check.as_str()).or_default().push(m);
        }
        map
    });
    let alone: BTreeSet<&str> = mutants.iter().filter(|m| m.checks.len() == 1).map(|m| m.checks[0].as_str()).collect();
    for (lab, _, checks) in labs {
        let rows: Vec<&Mutant> = mutants.iter().filter(|m| &m.lab == lab).collect();
        if rows.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "## {lab}\n\n| mutant (the bug) | program | `--bug` | checks that must fail |\n|---|---|---|---|\n"
        ));
        for m in rows {
            let slugs: Vec<String> =
                m.checks.iter().map(|c| format!("`{}`", c.split_once('/').map_or(c.as_str(), |x| x.1))).collect();
            out.push_str(&format!(
                "| {} | {} | `{}` | {} |\n",
                m.case.replace('_', " "),
                m.role,
                m.bug,
                slugs.join(", ")
            ));
        }
        let covered = checks.iter().filter(|c| caught_by.contains_key(c.as_str())).count();
        let sole = checks.iter().filter(|c| alone.contains(c.as_str())).count();
        out.push_str(&format!(
            "\n{covered} of {} checks are failed by some mutant; {sole} of them by a mutant that fails no other check.\n\n",
            checks.len()
        ));
    }
    out.push_str("## Checks that no mutant fails yet\n\n");
    if UNCOVERED.is_empty() {
        out.push_str("None.\n");
    }
    for (id, why) in UNCOVERED {
        out.push_str(&format!("- `{id}`: {why}\n"));
    }
    out
}

#[test]
fn every_check_of_every_lab_is_failed_by_some_mutant() {
    let labs = labs();
    let mutants = mutants();
    assert!(mutants.len() > 50, "the mutant tables were not found: {mutants:?}");
    let caught: BTreeSet<&str> = mutants.iter().flat_map(|m| m.checks.iter().map(String::as_str)).collect();
    let all: BTreeSet<&str> = labs.iter().flat_map(|(_, _, checks)| checks.iter().map(String::as_str)).collect();
    let unknown: Vec<&&str> = caught.difference(&all).collect();
    assert!(unknown.is_empty(), "mutant tables name checks that do not exist: {unknown:?}");
    let uncovered: Vec<&str> = all.difference(&caught).copied().collect();
    let known: Vec<&str> = UNCOVERED.iter().map(|(id, _)| *id).collect();
    assert_eq!(uncovered, known, "checks that no mutant fails (each tests nothing until one does)");
}

#[test]
fn the_mutant_table_in_docs_is_up_to_date() {
    let rendered = render(&mutants(), &labs());
    let path = root().join("docs/mutants.md");
    if std::env::var_os("UPDATE_MUTANTS").is_some() {
        std::fs::write(&path, &rendered).unwrap();
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == rendered,
        "docs/mutants.md is out of date: UPDATE_MUTANTS=1 cargo test -p socket-labs-tests --test mutants"
    );
}

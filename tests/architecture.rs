//! The grader's layers (docs/architecture.md) hold: its crates depend on each other one
//! way only (grader -> labs -> harness, grader -> report -> harness), no two modules of
//! a crate use each other (no circle of `crate::` references, through any number of
//! modules), and no file of the harness names a lab or a program's role: the harness
//! is a library any lab is written against, and knows none of them.
//!
//! Each rule is a function of text, tried on the real tree and on a made-up violation
//! (`the_rules_see_a_violation`), so that none of them passes by seeing nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use socket_labs_tests::{grader, root};
use syn::visit::Visit;

/// Every crate of the grader: its package, its folder, and the packages of the
/// workspace it may depend on.
const LAYERS: &[(&str, &str, &[&str])] = &[
    ("grader", "grader", &["socket-labs-harness", "socket-labs-labs", "socket-labs-report"]),
    ("socket-labs-harness", "grader/harness", &[]),
    ("socket-labs-labs", "grader/labs", &["socket-labs-harness"]),
    ("socket-labs-report", "grader/report", &["socket-labs-harness"]),
];

/// The packages of this workspace: a dependency on one of them is an arrow between
/// layers (or worse, from the grader to the course).
fn workspace_packages() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut manifests: Vec<PathBuf> = ["grader", "tests", "bench"].map(|d| root().join(d).join("Cargo.toml")).into();
    for dir in ["grader", "labs", "solutions"] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap().flatten() {
            manifests.push(entry.path().join("Cargo.toml"));
        }
    }
    for manifest in manifests {
        let Ok(text) = std::fs::read_to_string(&manifest) else { continue };
        let table: toml::Table = text.parse().unwrap_or_else(|e| panic!("{}: {e}", manifest.display()));
        if let Some(name) = table.get("package").and_then(|p| p.get("name")).and_then(toml::Value::as_str) {
            names.insert(name.to_string());
        }
    }
    names
}

/// The packages a manifest depends on, in any table: `[dependencies]`,
/// `[dev-dependencies]`, `[build-dependencies]`, and each `[target.*]`'s. A renamed
/// dependency counts by its package (`x = { package = "y" }` is y).
fn dependencies(manifest: &str) -> BTreeSet<String> {
    let table: toml::Table = manifest.parse().expect("a manifest is TOML");
    let mut tables: Vec<&toml::Table> = Vec::new();
    let kinds = ["dependencies", "dev-dependencies", "build-dependencies"];
    tables.extend(kinds.iter().filter_map(|k| table.get(*k)?.as_table()));
    for target in table.get("target").and_then(toml::Value::as_table).into_iter().flat_map(|t| t.values()) {
        tables.extend(kinds.iter().filter_map(|k| target.get(*k)?.as_table()));
    }
    let mut found = BTreeSet::new();
    for deps in tables {
        for (name, spec) in deps {
            let package = spec.get("package").and_then(toml::Value::as_str).unwrap_or(name);
            found.insert(package.to_string());
        }
    }
    found
}

/// What is wrong with one layer's dependencies: a package of the workspace it must not
/// depend on.
fn wrong_arrows(package: &str, manifest: &str, allowed: &[&str], ours: &BTreeSet<String>) -> Vec<String> {
    dependencies(manifest)
        .into_iter()
        .filter(|dep| ours.contains(dep) && !allowed.contains(&dep.as_str()))
        .map(|dep| format!("{package} depends on {dep}; it may depend on {allowed:?} only"))
        .collect()
}

#[test]
fn every_crate_of_the_grader_is_a_layer_with_its_rule() {
    let mut found: Vec<String> = std::fs::read_dir(root().join("grader"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .map(|e| format!("grader/{}", e.file_name().to_string_lossy()))
        .collect();
    found.push("grader".to_string());
    found.sort();
    let mut known: Vec<String> = LAYERS.iter().map(|(_, dir, _)| dir.to_string()).collect();
    known.sort();
    assert_eq!(found, known, "a crate of the grader without a rule here (LAYERS), or a rule without its crate");
    for (package, dir, _) in LAYERS {
        let text = std::fs::read_to_string(root().join(dir).join("Cargo.toml")).unwrap();
        let table: toml::Table = text.parse().unwrap();
        assert_eq!(table["package"]["name"].as_str(), Some(*package), "{dir}/Cargo.toml");
    }
    let workspace = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    for (_, dir, _) in LAYERS {
        assert!(workspace.contains(&format!("\"{dir}\"")), "{dir} is a member of the workspace (Cargo.toml)");
    }
}

#[test]
fn the_layers_depend_on_each_other_one_way() {
    let ours = workspace_packages();
    assert!(ours.len() > 20 && ours.contains("socket-labs-harness"), "the workspace's packages: {ours:?}");
    let mut wrong = Vec::new();
    for (package, dir, allowed) in LAYERS {
        let manifest = std::fs::read_to_string(root().join(dir).join("Cargo.toml")).unwrap();
        wrong.extend(wrong_arrows(package, &manifest, allowed, &ours));
    }
    assert!(wrong.is_empty(), "arrows against the layers (docs/architecture.md):\n{}", wrong.join("\n"));
}

/// A crate's modules: its top-level files and folders of `src/` (lib.rs and main.rs are
/// the root, which only declares them), each with every file that belongs to it.
fn modules(src: &Path) -> BTreeMap<String, Vec<PathBuf>> {
    let mut modules: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for file in rust_files(src) {
        let relative = file.strip_prefix(src).unwrap();
        let top = relative.components().next().unwrap().as_os_str().to_string_lossy();
        let name = top.trim_end_matches(".rs").to_string();
        if name != "lib" && name != "main" {
            modules.entry(name).or_default().push(file);
        }
    }
    modules
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// The modules of its crate that a source file uses: every `crate::NAME` in it (code,
/// comments and doc links alike, as a reader follows them), and every `super::NAME` that
/// climbs out of its own module to the crate's root. `depth` is how deep the file is
/// (`a.rs` and `a/mod.rs` 1, `a/b.rs` 2).
fn used_modules(source: &str, depth: usize, known: &BTreeSet<String>) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    let mut rest = source;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `my_crate::`, not `crate::`
        }
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        if known.contains(&name) {
            used.insert(name);
        }
    }
    let file = syn::parse_file(source).unwrap_or_else(|e| panic!("not Rust ({e}):\n{source}"));
    let mut climbs = SuperPaths { depth, found: BTreeSet::new() };
    climbs.visit_file(&file);
    used.extend(climbs.found.into_iter().filter(|m| known.contains(m)));
    used
}

/// `super::` paths that reach the crate's root from a module `depth` levels down, and the
/// module they name there.
struct SuperPaths {
    depth: usize,
    found: BTreeSet<String>,
}

impl SuperPaths {
    fn climb<'a>(&mut self, segments: impl Iterator<Item = &'a syn::Ident>) {
        let mut supers = 0;
        for segment in segments {
            if segment == "super" {
                supers += 1;
            } else {
                if supers > 0 && supers >= self.depth {
                    self.found.insert(segment.to_string());
                }
                return;
            }
        }
    }
}

impl<'ast> Visit<'ast> for SuperPaths {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        self.depth += 1;
        syn::visit::visit_item_mod(self, item);
        self.depth -= 1;
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        self.climb(path.segments.iter().map(|s| &s.ident));
        syn::visit::visit_path(self, path);
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let mut prefix = Vec::new();
        let mut tree = &item.tree;
        while let syn::UseTree::Path(p) = tree {
            prefix.push(p.ident.clone());
            tree = &p.tree;
        }
        let leaves: Vec<syn::Ident> = match tree {
            syn::UseTree::Name(n) => vec![n.ident.clone()],
            syn::UseTree::Rename(r) => vec![r.ident.clone()],
            syn::UseTree::Group(g) => g
                .items
                .iter()
                .filter_map(|t| match t {
                    syn::UseTree::Path(p) => Some(p.ident.clone()),
                    syn::UseTree::Name(n) => Some(n.ident.clone()),
                    syn::UseTree::Rename(r) => Some(r.ident.clone()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        if prefix.iter().all(|s| s == "super") {
            for leaf in &leaves {
                self.climb(prefix.iter().chain(std::iter::once(leaf)));
            }
        } else {
            self.climb(prefix.iter());
        }
    }
}

/// The module graph of one crate: each module and the modules it uses.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules(src);
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    let mut graph = BTreeMap::new();
    for (name, files) in &modules {
        let mut used = BTreeSet::new();
        for file in files {
            let source = std::fs::read_to_string(file).unwrap();
            let relative = file.strip_prefix(src).unwrap();
            let parts = relative.components().count();
            let depth = if file.file_name().is_some_and(|f| f == "mod.rs") { parts - 1 } else { parts };
            used.extend(used_modules(&source, depth, &known));
        }
        used.remove(name);
        graph.insert(name.clone(), used);
    }
    graph
}

/// Every circle of the graph, each once, as the path that closes it (`a -> b -> a`).
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
        found: &mut Vec<String>,
    ) {
        state.insert(node.to_string(), 1);
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next.as_str()) {
                Some(1) => {
                    let from = stack.iter().position(|n| n == next).unwrap();
                    let mut path = stack[from..].to_vec();
                    path.push(next.clone());
                    found.push(path.join(" -> "));
                }
                Some(_) => {}
                None => visit(next, graph, state, stack, found),
            }
        }
        stack.pop();
        state.insert(node.to_string(), 2);
    }
    let (mut state, mut found) = (BTreeMap::new(), Vec::new());
    for node in graph.keys() {
        if !state.contains_key(node) {
            visit(node, graph, &mut state, &mut Vec::new(), &mut found);
        }
    }
    found
}

#[test]
fn no_crate_has_a_circle_between_its_modules() {
    let mut found = Vec::new();
    for (package, dir, _) in LAYERS {
        let graph = module_graph(&root().join(dir).join("src"));
        assert!(graph.len() >= 5, "{package}: only {} modules found: the walk is broken", graph.len());
        assert!(graph.values().any(|used| !used.is_empty()), "{package}: no module uses another: the scan is broken");
        found.extend(circles(&graph).into_iter().map(|c| format!("{package}: {c}")));
    }
    assert!(found.is_empty(), "modules that use each other (a layer in one direction only):\n{}", found.join("\n"));
}

/// Where `names` occur in `text` as whole words, case aside (`hello` in `hello-server`
/// and in `Hello there`, not in `helloworld` or `othello`): `line: name`.
fn named(text: &str, names: &[String]) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let mut found = Vec::new();
    for name in names {
        let name = name.to_ascii_lowercase();
        for (at, _) in lower.match_indices(&name) {
            let (before, after) = (lower[..at].chars().next_back(), lower[at + name.len()..].chars().next());
            if !word(before) && !word(after) {
                let line = lower[..at].matches('\n').count() + 1;
                found.push(format!("{line}: {name}"));
            }
        }
    }
    found
}

/// The labs (labs/*/) and the programs' roles (`grader list --json`).
fn labs_and_roles() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("labs"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let run = grader(&["list", "--json"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let labs: serde_json::Value = serde_json::from_str(&run.stdout()).expect("list --json");
    for lab in labs.as_array().expect("labs") {
        for role in lab["roles"].as_array().expect("roles") {
            names.push(role["name"].as_str().expect("a role's name").to_string());
        }
    }
    names.sort();
    names.dedup();
    names
}

#[test]
fn no_file_of_the_harness_names_a_lab_or_a_role() {
    let names = labs_and_roles();
    for expected in ["hello", "board", "hello-server", "udp-echo-client"] {
        assert!(names.iter().any(|n| n == expected), "{expected} among the labs and roles: {names:?}");
    }
    let harness = root().join("grader/harness");
    let mut files = rust_files(&harness.join("src"));
    files.push(harness.join("Cargo.toml"));
    assert!(files.len() > 20, "the harness's files: {files:?}");
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let shown = file.strip_prefix(root()).unwrap().display().to_string();
        found.extend(named(&text, &names).into_iter().map(|hit| format!("{shown}:{hit}")));
    }
    assert!(found.is_empty(), "the harness knows no lab (say `demo-server` in an example):\n{}", found.join("\n"));
}

/// Each rule, on a made-up violation: it must see it.
#[test]
fn the_rules_see_a_violation() {
    // A circle through three modules, and one module using itself (no circle).
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("model", vec!["dialogue"]),
        ("dialogue", vec!["labfile"]),
        ("labfile", vec!["model"]),
        ("registry", vec!["model"]),
    ]
    .into_iter()
    .map(|(m, used)| (m.to_string(), used.into_iter().map(str::to_string).collect()))
    .collect();
    assert_eq!(circles(&graph), ["dialogue -> labfile -> model -> dialogue"]);
    // References: `crate::` in code and docs, `super::` out of a module (not within it).
    let known: BTreeSet<String> = ["model", "registry", "checks"].map(str::to_string).into();
    let source = "use crate::model::Lab;\n/// See [`crate::registry`].\nfn f() { my_crate::checks::x(); }\n";
    assert_eq!(used_modules(source, 1, &known), ["model", "registry"].map(str::to_string).into());
    let nested = "mod tests { use super::*; }\nuse super::checks;\n";
    assert_eq!(used_modules(nested, 1, &known), ["checks"].map(str::to_string).into());
    assert!(used_modules(nested, 2, &known).is_empty(), "a submodule's `super` is its own module");
    // An arrow the wrong way, in a target's table and renamed.
    let ours: BTreeSet<String> = ["socket-labs-harness", "socket-labs-labs"].map(str::to_string).into();
    let manifest = "[package]\nname = \"h\"\n[target.'cfg(unix)'.dependencies]\nl = { package = \"socket-labs-labs\", path = \"../labs\" }\nlibc = \"0.2\"\n";
    assert_eq!(wrong_arrows("h", manifest, &[], &ours).len(), 1);
    assert!(wrong_arrows("h", manifest, &["socket-labs-labs"], &ours).is_empty());
    // A lab's name, as a word of a comment or a role, in any case.
    let names = ["hello".to_string(), "udp-echo-server".to_string()];
    assert_eq!(named("// Hello there\nlet s = \"udp-echo-server\";\n", &names), ["1: hello", "2: udp-echo-server"]);
    assert!(named("othello helloworld hello_x", &names).is_empty());
}

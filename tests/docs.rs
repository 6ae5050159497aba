//! The handbook (docs/, built with mdBook) holds together: every relative link of every
//! page resolves to a file of the repository, and every `#anchor` to a heading of its
//! page; SUMMARY.md lists every page; the README says how to build the book. This runs
//! everywhere, with or without mdbook installed (.ci/run installs it and builds the book).

use std::collections::{BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};

use socket_labs_tests::root;

/// Markdown files of docs/ that are not pages of the book.
const NOT_IN_THE_BOOK: &[&str] = &["SUMMARY.md"];

fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            // The built book is not a source.
            if name != "book" && !name.starts_with('.') {
                markdown_files(&path, out);
            }
        } else if name.ends_with(".md") {
            out.push(path);
        }
    }
}

/// The text of a page without its code: fenced blocks and `inline code` hold no links.
fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            out.push('\n');
            continue;
        }
        if !fenced {
            let mut in_code = false;
            for c in line.chars() {
                if c == '`' {
                    in_code = !in_code;
                } else if !in_code {
                    out.push(c);
                }
            }
        }
        out.push('\n');
    }
    out
}

/// The targets of the inline links `[text](target)` and images of a page.
fn links(text: &str) -> Vec<String> {
    let text = prose(text);
    let mut found = Vec::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        let end = after.find(')').unwrap_or(after.len());
        let target = after[..end].split_whitespace().next().unwrap_or("").trim_matches(|c| c == '<' || c == '>');
        found.push(target.to_string());
        rest = &after[end.min(after.len())..];
    }
    found
}

/// The anchors of a page's headings, as mdBook and GitHub make them.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = BTreeSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        if fenced || !line.starts_with('#') {
            continue;
        }
        let title = line.trim_start_matches('#').trim();
        // [text](link) in a heading counts as its text.
        let mut plain = String::new();
        let mut skipping = false;
        let mut chars = title.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                ']' if chars.peek() == Some(&'(') => skipping = true,
                ')' if skipping => skipping = false,
                '[' | '`' | '*' => {}
                c if !skipping => plain.push(c),
                _ => {}
            }
        }
        let slug: String = plain
            .to_lowercase()
            .chars()
            .filter_map(|c| match c {
                c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                c if c.is_whitespace() => Some('-'),
                _ => None,
            })
            .collect();
        let n = seen.entry(slug.clone()).or_default();
        out.insert(if *n == 0 { slug.clone() } else { format!("{slug}-{n}") });
        *n += 1;
    }
    out
}

fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn is_external(target: &str) -> bool {
    target.contains("://") || target.starts_with("mailto:")
}

#[test]
fn every_relative_link_of_the_docs_resolves() {
    let root = root();
    let mut pages = Vec::new();
    markdown_files(&root.join("docs"), &mut pages);
    pages.push(root.join("README.md"));
    let mut broken = Vec::new();
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        for target in links(&text) {
            if target.is_empty() || is_external(&target) {
                continue;
            }
            let (path, anchor) = target.split_once('#').map_or((target.as_str(), None), |(p, a)| (p, Some(a)));
            let file = if path.is_empty() { page.clone() } else { normalize(&page.parent().unwrap().join(path)) };
            let shown = page.strip_prefix(&root).unwrap().display().to_string();
            if !file.starts_with(&root) || !file.exists() {
                broken.push(format!("{shown}: {target} (no such file)"));
                continue;
            }
            // The book holds docs/ only: a link out of it (../../template/...) works on
            // GitHub and is dead in the book. Link to platforms/template-files.md, the
            // book's copy of template/, instead.
            if page.starts_with(root.join("docs")) && !file.starts_with(root.join("docs")) {
                broken.push(format!("{shown}: {target} (leaves docs/: dead in the book)"));
                continue;
            }
            if let Some(anchor) = anchor.filter(|_| file.extension().is_some_and(|e| e == "md")) {
                let headings = anchors(&std::fs::read_to_string(&file).unwrap());
                if !headings.contains(anchor) {
                    broken.push(format!("{shown}: {target} (no heading with that anchor)"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_book_lists_every_page_and_every_lab() {
    let docs = root().join("docs");
    let summary = std::fs::read_to_string(docs.join("SUMMARY.md")).expect("docs/SUMMARY.md");
    let listed: BTreeSet<PathBuf> = links(&summary).iter().map(|l| normalize(&docs.join(l))).collect();
    let mut pages = Vec::new();
    markdown_files(&docs, &mut pages);
    let missing: Vec<String> = pages
        .iter()
        .filter(|p| !NOT_IN_THE_BOOK.iter().any(|n| p.ends_with(n)))
        .filter(|p| !listed.contains(*p))
        .map(|p| p.strip_prefix(&docs).unwrap().display().to_string())
        .collect();
    assert!(missing.is_empty(), "pages of docs/ missing from docs/SUMMARY.md (add a line for each): {missing:?}");
    // A chapter without a page (`[Platforms]()`) is a greyed-out draft in the sidebar.
    let drafts: Vec<&str> = summary.lines().filter(|l| l.contains("]()")).collect();
    assert!(drafts.is_empty(), "SUMMARY.md entries without a page: {drafts:?}");
}

/// The book's configuration is outside its sources: mdBook copies every file of `src`
/// but the Markdown into the book, so with `src = "."` in docs/ the book served its own
/// book.toml. book.toml is at the repository root, `src = "docs"`.
#[test]
fn the_book_is_configured_outside_its_sources() {
    assert!(!root().join("docs/book.toml").exists(), "docs/book.toml would be copied into the book");
    let config = std::fs::read_to_string(root().join("book.toml")).expect("book.toml at the repository root");
    let value = |key: &str| {
        config
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| v.trim().trim_start_matches('=').trim().trim_matches('"'))
    };
    assert_eq!(value("src "), Some("docs"), "the pages are docs/");
    assert_eq!(value("build-dir "), Some("docs/book"), "built into docs/book");
    // Wide code blocks, diagrams and tables scroll sideways instead of being cut off.
    let css_path = value("additional-css ").expect("additional-css").trim_matches(['[', ']', '"']).to_string();
    let css = std::fs::read_to_string(root().join(&css_path)).unwrap_or_else(|e| panic!("{css_path}: {e}"));
    let compact: String = css.split_whitespace().collect();
    for rule in ["pre{", "table{"] {
        let block = compact.split(rule).nth(1).unwrap_or_else(|| panic!("{css_path} has no {rule}...}}"));
        let block = &block[..block.find('}').unwrap()];
        assert!(block.contains("overflow-x:auto"), "{css_path}: {rule} scrolls sideways: {block}");
    }
}

/// template/ as the book shows it: one section per folder, each file in a code block.
fn template_files_page() -> String {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let template = root().join("template");
    let mut files = Vec::new();
    walk(&template, &mut files);
    let mut files: Vec<String> =
        files.iter().map(|f| f.strip_prefix(&template).unwrap().to_string_lossy().into_owned()).collect();
    files.sort_by_key(|f| (f.contains('/'), f.rsplit_once('/').map(|(d, _)| d.to_string()), f.clone()));
    let mut out = String::from(
        "# The template files\n\n\
         <!-- Made by tests/docs.rs from template/: UPDATE_DOCS=1 cargo test -p socket-labs-tests --test docs -->\n\n\
         The files of `template/` at the repository root, as they are, so that the book has them\n\
         too: the CI workflows and the platform bundles that the [platform pages](README.md)\n\
         explain. Copy them from the repository; `tests/template.rs` runs them as the platforms\n\
         do.\n",
    );
    let mut folder = Some(String::new());
    for file in &files {
        let dir = file.rsplit_once('/').map(|(d, _)| format!("{d}/"));
        if dir != folder {
            out.push_str(&format!("\n## {}\n", dir.as_deref().unwrap_or("template/")));
            folder = dir;
        }
        let text = std::fs::read_to_string(template.join(file)).unwrap();
        let language = match file.rsplit_once('.').map(|(_, e)| e) {
            Some("yml") => "yaml",
            Some("json") => "json",
            Some("html") => "html",
            Some("md") => "markdown",
            Some("sh") => "sh",
            _ if file.ends_with("Dockerfile") => "dockerfile",
            _ if text.starts_with("#!") => "sh",
            _ => "text",
        };
        // A fence longer than any run of backticks in the file (a README holds fences of
        // its own, which would otherwise end this block and make its links live).
        let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
        let fence = "`".repeat(longest.max(2) + 1);
        out.push_str(&format!("\n### {file}\n\n{fence}{language}\n{}", text));
        if !text.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("{fence}\n"));
    }
    out
}

#[test]
fn the_books_copy_of_the_template_files_is_current() {
    let page = root().join("docs/platforms/template-files.md");
    let made = template_files_page();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&page, &made).unwrap();
    }
    let current = std::fs::read_to_string(&page).unwrap_or_default();
    assert!(
        current == made,
        "docs/platforms/template-files.md is stale: UPDATE_DOCS=1 cargo test -p socket-labs-tests --test docs"
    );
}

#[test]
fn the_readme_says_how_to_build_and_open_the_book() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(readme.contains("mdbook build "), "README: how to build the book");
    assert!(readme.contains("docs/book/index.html"), "README: where to open it");
}

#[test]
fn the_link_checker_sees_broken_links_and_anchors() {
    let page = "# Title\n\n## The checks\n\nSee [a](#the-checks), `[not](a link)`, ![img](x.png).\n";
    assert_eq!(links(page), ["#the-checks", "x.png"]);
    assert!(anchors(page).contains("the-checks"));
    assert!(anchors("## Why `read()` loops: TCP\n").contains("why-read-loops-tcp"));
    assert!(anchors("# A\n# A\n").contains("a-1"));
}

/// The links of a built page: `href="..."` and `src="..."`.
fn html_links(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attr in ["href=\"", "src=\""] {
        let mut rest = html;
        while let Some(at) = rest.find(attr) {
            let after = &rest[at + attr.len()..];
            let end = after.find('"').unwrap_or(after.len());
            found.push(after[..end].to_string());
            rest = &after[end..];
        }
    }
    found
}

fn html_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            html_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "html") {
            out.push(path);
        }
    }
}

/// The built book (docs/book, made by `mdbook build` in .ci/run): every link
/// between its pages, and every `#anchor`, lands. Links out of the book to files of the
/// repository (template/, ...) are checked in the Markdown above.
#[test]
fn the_built_book_has_no_broken_links() {
    let book = root().join("docs/book");
    let Ok(built) = std::fs::metadata(book.join("index.html")).and_then(|m| m.modified()) else {
        eprintln!("docs/book is not built (mdbook build): its HTML is not checked");
        return;
    };
    let mut sources = Vec::new();
    markdown_files(&root().join("docs"), &mut sources);
    let stale = sources.iter().find(|p| std::fs::metadata(p).and_then(|m| m.modified()).is_ok_and(|m| m > built));
    if let Some(stale) = stale {
        eprintln!("docs/book is older than {}: run mdbook build to check its HTML", stale.display());
        return;
    }
    let mut pages = Vec::new();
    html_files(&book, &mut pages);
    let mut ids: HashMap<PathBuf, String> = HashMap::new();
    let mut broken = Vec::new();
    for page in &pages {
        let html = std::fs::read_to_string(page).unwrap();
        for link in html_links(&html) {
            // An absolute path (404.html's link home) depends on where the book is served.
            if link.is_empty()
                || is_external(&link)
                || link.starts_with("javascript:")
                || link.starts_with("data:")
                || link.starts_with('/')
            {
                continue;
            }
            let link = link.split('?').next().unwrap_or("");
            let (path, anchor) = link.split_once('#').map_or((link, None), |(p, a)| (p, Some(a)));
            let file = if path.is_empty() { page.clone() } else { normalize(&page.parent().unwrap().join(path)) };
            let shown = page.strip_prefix(&book).unwrap().display().to_string();
            if !file.starts_with(&book) {
                broken.push(format!("{shown}: {link} (leaves the book)"));
                continue;
            }
            // A folder is a page only with an index.html (a browser shows a listing).
            if !file.exists() || (file.is_dir() && !file.join("index.html").is_file()) {
                broken.push(format!("{shown}: {link}"));
                continue;
            }
            if let Some(anchor) = anchor.filter(|a| !a.is_empty()) {
                if file.extension().is_some_and(|e| e == "html") {
                    let text = ids.entry(file.clone()).or_insert_with(|| std::fs::read_to_string(&file).unwrap());
                    if !text.contains(&format!("id=\"{anchor}\"")) {
                        broken.push(format!("{shown}: {link} (no such anchor)"));
                    }
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links in the built book:\n{}", broken.join("\n"));
    assert!(!book.join("book.toml").exists(), "the book's configuration is not a page of it");
}

// ---- Failure messages quoted in the docs ------------------------------------------------
//
// Every failure message a page quotes comes from a real run, and the page says which:
// a "| mistake | what you see |" table ends each row's second cell with
// `<!-- made by: CHECK, PROGRAM -->`, and a ```text block of the grader's output is
// preceded by the same comment. PROGRAM is `ROLE --bug BUG` (the lab's Python fixture
// of ROLE, tests/fixtures/LAB/ROLE.py, with that bug), `ROLE=COMMAND` (any command for
// ROLE), or `the skeleton` (labs/LAB as students get it); several runs are separated
// by `;`. The test grades each with `--check CHECK` and finds every quote in what the
// grader printed for CHECK. In a quote, `...` stands for words left out and `N` for a
// number that changes from run to run (a port, a seed: so does any number of 4 digits
// or more).

/// One place that quotes the grader: its quotes, and the runs that print them.
#[derive(Debug)]
struct Quoting {
    at: String,
    quotes: Vec<String>,
    runs: Vec<(String, String)>,
}

/// The failure messages of a page, with the runs it names (see above).
fn quotings(page: &Path) -> Vec<Quoting> {
    let text = std::fs::read_to_string(page).unwrap();
    let name = page.strip_prefix(root()).unwrap_or(page).display().to_string();
    let mut found: Vec<Quoting> = Vec::new();
    let (mut fenced, mut in_failure, mut in_table) = (false, false, false);
    let mut made_by: Option<Vec<(String, String)>> = None;
    for (n, line) in text.lines().enumerate() {
        let at = format!("{name}:{}", n + 1);
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            in_failure = false;
            if fenced {
                // The block takes the comment just before it, if there is one.
                found.push(Quoting { at, quotes: Vec::new(), runs: made_by.take().unwrap_or_default() });
            }
            continue;
        }
        if fenced {
            if line.contains(":( ") {
                in_failure = true;
            } else if in_failure && line.starts_with("       ") {
                let body = line.trim();
                let skip = ["run only this check", "learn more", "sent:", "# "];
                if !skip.iter().any(|s| body.starts_with(s)) {
                    found.last_mut().unwrap().quotes.push(body.to_string());
                }
            } else {
                in_failure = false;
            }
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        made_by = line.trim().strip_prefix("<!-- made by:").map(runs_named);
        if line.starts_with("| mistake | what you see |") {
            in_table = true;
        } else if in_table && line.starts_with("| ---") {
            continue;
        } else if in_table && line.starts_with('|') {
            let seen = line.trim_matches('|').split(" | ").nth(1).unwrap_or_default();
            let (seen, comment) = seen.split_once("<!-- made by:").unwrap_or((seen, ""));
            let quotes = seen
                .split('`')
                .skip(1)
                .step_by(2)
                // A check's id or slug says where, it is not a message.
                .filter(|q| {
                    !(q.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-/".contains(c))
                        && q.contains('-'))
                })
                .map(String::from)
                .collect();
            found.push(Quoting { at, quotes, runs: runs_named(comment) });
        } else {
            in_table = false;
        }
    }
    found.retain(|q| !q.quotes.is_empty());
    found
}

/// `CHECK, PROGRAM; CHECK, PROGRAM -->`: the runs a comment names.
fn runs_named(comment: &str) -> Vec<(String, String)> {
    let comment = comment.trim().trim_end_matches("-->").trim();
    comment
        .split(';')
        .filter_map(|run| run.split_once(','))
        .map(|(check, program)| (check.trim().to_string(), program.trim().to_string()))
        .collect()
}

/// The `grader test` arguments of one run: the lab, and how PROGRAM plays its role.
fn run_args(check: &str, program: &str) -> Vec<String> {
    let lab = check.split('/').next().unwrap().to_string();
    let mut args = vec![lab.clone()];
    if lab == "board" {
        // Mutants may send multicast where the routing table says: only where nothing
        // can leave (tests/board.rs does the same).
        args.extend(["--net".to_string(), "private".to_string()]);
    }
    if program == "the skeleton" {
        return args;
    }
    let cmd = match program.split_once(" --bug ") {
        Some((role, bug)) if !role.contains('=') => {
            let file = socket_labs_tests::fixture(&lab, &format!("{}.py", role.replace('-', "_")));
            assert!(Path::new(&file).is_file(), "{program}: no fixture {file}");
            format!("{role}={} {file} --bug {bug}", socket_labs_tests::python())
        }
        _ => {
            let (role, command) = program.split_once('=').unwrap_or_else(|| panic!("{program:?} is no program"));
            let command = command.replacen("python3 ", &format!("{} ", socket_labs_tests::python()), 1);
            format!("{role}={}", command.replace("tests/fixtures/", &format!("{}/tests/fixtures/", root().display())))
        }
    };
    args.extend(["--cmd".to_string(), cmd]);
    args
}

/// What the grader printed for `check` in a human report: its line and the lines under
/// it, whitespace collapsed.
fn section(output: &str, check: &str) -> Option<String> {
    let mut lines = output.lines().skip_while(|l| !(l.starts_with("  :") && l[5..].starts_with(&format!("{check} "))));
    let first = lines.next()?;
    let rest: Vec<&str> = lines.take_while(|l| l.starts_with("       ")).collect();
    Some(collapse(&format!("{first}\n{}", rest.join("\n"))))
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `quote` is in `text`, `...` standing for anything and `N` (or a number of 4
/// digits or more) for any number.
fn quoted_in(quote: &str, text: &str) -> bool {
    #[derive(Debug)]
    enum Piece {
        Text(char),
        Any,
        Number,
    }
    let quote = collapse(quote);
    let chars: Vec<char> = quote.chars().collect();
    let mut pieces = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let word_edge = |j: usize| j >= chars.len() || !chars[j].is_alphanumeric();
        let digits = chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if chars[i..].starts_with(&['.', '.', '.']) {
            // The words left out take the spaces around them with them.
            while matches!(pieces.last(), Some(Piece::Text(' '))) {
                pieces.pop();
            }
            pieces.push(Piece::Any);
            i += 3;
            while chars.get(i) == Some(&' ') {
                i += 1;
            }
        } else if chars[i] == 'N' && (i == 0 || word_edge(i - 1)) && word_edge(i + 1) {
            pieces.push(Piece::Number);
            i += 1;
        } else if digits >= 4 && (i == 0 || !chars[i - 1].is_ascii_digit()) {
            pieces.push(Piece::Number);
            i += digits;
        } else {
            pieces.push(Piece::Text(chars[i]));
            i += 1;
        }
    }
    fn from(pieces: &[Piece], text: &[char]) -> bool {
        match pieces.split_first() {
            None => true,
            Some((Piece::Text(c), rest)) => text.first() == Some(c) && from(rest, &text[1..]),
            Some((Piece::Any, rest)) => (0..=text.len()).any(|k| from(rest, &text[k..])),
            Some((Piece::Number, rest)) => {
                let n = text.iter().take_while(|c| c.is_ascii_digit()).count();
                (1..=n).any(|k| from(rest, &text[k..]))
            }
        }
    }
    let text: Vec<char> = text.chars().collect();
    (0..=text.len()).any(|start| from(&pieces, &text[start..]))
}

#[test]
fn the_quote_matcher_reads_elisions_and_numbers() {
    let text = "hello-server did not listen on 127.0.0.1:40123 (waited 1.0 s) got: listening on 127.0.0.1:65432";
    assert!(quoted_in("did not listen on 127.0.0.1:N", text));
    assert!(quoted_in("did not listen on 127.0.0.1:12345 ... got: listening", text));
    assert!(!quoted_in("did not listen on 127.0.0.2:N", text));
    assert!(!quoted_in("waited 2.0 s", text), "a short number is itself");
    assert!(!quoted_in("listens on", text));
    assert!(quoted_in("... (waited", text), "an elision takes its spaces with it");
}

/// Every failure message the docs quote is printed by the run the page names for it
/// (a mutant, a fixture or the skeleton, graded on that check alone). A sentence the
/// grader never prints (as "hello-server exited with status 0 before client 2
/// connected" once was, in three pages) or that a change of the grader has made stale
/// fails here, with what the grader printed instead.
#[test]
fn failure_messages_quoted_in_the_docs_come_from_real_runs() {
    let mut pages = Vec::new();
    markdown_files(&root().join("docs"), &mut pages);
    let quotings: Vec<Quoting> = pages.iter().flat_map(|p| quotings(p)).collect();
    assert!(
        quotings.len() > 40,
        "the docs quote failure messages ({} found): the parser still finds them",
        quotings.len()
    );
    let mut wrong: Vec<String> = quotings
        .iter()
        .filter(|q| q.runs.is_empty())
        .map(|q| format!("{}: names no run (<!-- made by: ... -->)", q.at))
        .collect();
    // One grader run per lab and program, for all the checks quoted from it.
    let mut runs: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    for (check, program) in quotings.iter().flat_map(|q| &q.runs) {
        let args = run_args(check, program);
        match runs.iter_mut().find(|(a, _)| *a == args) {
            Some((_, checks)) if checks.contains(check) => {}
            Some((_, checks)) => checks.push(check.clone()),
            None => runs.push((args, vec![check.clone()])),
        }
    }
    let outputs: Vec<(Vec<String>, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = runs
            .chunks(runs.len().div_ceil(4).max(1))
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|(args, checks)| {
                            let mut all: Vec<&str> = vec!["test", "--seed", "1", "--no-config"];
                            all.extend(args.iter().map(String::as_str));
                            for check in checks {
                                all.extend(["--check", check.as_str()]);
                            }
                            let run = socket_labs_tests::grader(&all);
                            (args.clone(), format!("{}{}", run.stdout(), run.stderr()))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    for quoting in &quotings {
        let printed: Vec<(String, String)> = quoting
            .runs
            .iter()
            .map(|(check, program)| {
                let args = run_args(check, program);
                let output = &outputs.iter().find(|(a, _)| *a == args).unwrap().1;
                let shown = section(output, check).unwrap_or_else(|| format!("(no report of {check}) {output}"));
                (format!("{check} with {program}"), shown)
            })
            .collect();
        for quote in &quoting.quotes {
            if !printed.iter().any(|(_, shown)| quoted_in(quote, shown)) {
                let got: Vec<String> = printed.iter().map(|(run, shown)| format!("    {run}: {shown}")).collect();
                wrong.push(format!("{}: `{quote}` is not what the grader printed:\n{}", quoting.at, got.join("\n")));
            }
        }
    }
    assert!(wrong.is_empty(), "failure messages quoted in the docs:\n{}", wrong.join("\n"));
}

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

/// The text of every string literal of the grader's sources, as it prints: escapes
/// resolved, `{placeholders}` kept (they split it into the fragments it prints verbatim).
fn grader_literals() -> Vec<String> {
    let mut files = Vec::new();
    // The command line (grader/src) and the grader's crates (grader/harness, labs, report).
    rust_files(&root().join("grader"), &mut files);
    let mut literals = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(&file).unwrap();
        // Unit tests hold strings the grader never prints.
        let source = source.split("#[cfg(test)]").next().unwrap_or_default();
        let chars: Vec<char> = source.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if chars[i] == '/' && chars.get(i + 1) == Some(&'/') {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            } else if chars[i] == '\'' && chars.get(i + 2) == Some(&'\'') {
                i += 3; // a char literal such as '"'
            } else if chars[i] == '\'' && chars.get(i + 1) == Some(&'\\') && chars.get(i + 3) == Some(&'\'') {
                i += 4; // an escaped one such as '\n'
            } else if chars[i] == 'r' && matches!(chars.get(i + 1), Some('#') | Some('"')) {
                let hashes = chars[i + 1..].iter().take_while(|&&c| c == '#').count();
                let start = i + 1 + hashes + 1;
                let close: String = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
                let rest: String = chars[start..].iter().collect();
                let end = rest.find(&close).unwrap_or(rest.len());
                literals.push(rest[..end].to_string());
                i = start + rest[..end].chars().count() + close.chars().count();
            } else if chars[i] == '"' {
                let mut text = String::new();
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' {
                        i += 1;
                        match chars.get(i) {
                            Some('n') => text.push('\n'),
                            Some('t') => text.push('\t'),
                            Some('\n') => {
                                while chars.get(i + 1).is_some_and(|c| c.is_whitespace()) {
                                    i += 1;
                                }
                            }
                            Some(&c) => text.push(c),
                            None => {}
                        }
                    } else {
                        text.push(chars[i]);
                    }
                    i += 1;
                }
                literals.push(text.replace("{{", "{").replace("}}", "}"));
                i += 1;
            } else {
                i += 1;
            }
        }
    }
    // Labs written as data print their lab.toml's texts (a step's `why`, its hints).
    for lab in std::fs::read_dir(root().join("labs")).unwrap().flatten() {
        if let Ok(text) = std::fs::read_to_string(lab.path().join("lab.toml")) {
            let value: toml::Value = toml::from_str(&text).unwrap();
            toml_strings(&value, &mut literals);
        }
    }
    literals
}

fn toml_strings(value: &toml::Value, out: &mut Vec<String>) {
    match value {
        toml::Value::String(s) => out.push(s.clone()),
        toml::Value::Array(items) => items.iter().for_each(|v| toml_strings(v, out)),
        toml::Value::Table(table) => table.values().for_each(|v| toml_strings(v, out)),
        _ => {}
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The pieces of a literal that print verbatim: the text between its placeholders.
fn fragments(literal: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = literal;
    while let Some(open) = rest.find('{') {
        out.push(rest[..open].to_string());
        rest = rest[open..].find('}').map_or("", |close| &rest[open + close + 1..]);
    }
    out.push(rest.to_string());
    out.into_iter().filter(|f| f.trim().chars().count() >= 6).collect()
}

/// The failure messages a page quotes: in a ```text block, the lines of a failure below
/// its `:(` line (the summary, `expected:`, `got:`, `hint:`); in a "what you see" table,
/// each `code span`. A `...` in a quote stands for words left out.
fn quoted_messages(text: &str) -> Vec<String> {
    let mut quotes = Vec::new();
    let (mut fenced, mut in_failure, mut in_table) = (false, false, false);
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            in_failure = false;
            continue;
        }
        if fenced {
            if line.contains(":( ") {
                in_failure = true;
            } else if in_failure && line.starts_with("       ") {
                let body = line.trim();
                let skip = ["run only this check", "learn more", "sent:", "# "];
                if !skip.iter().any(|s| body.starts_with(s)) {
                    let body = ["expected:", "got:", "hint:", "timeout:"]
                        .iter()
                        .find_map(|p| body.strip_prefix(p))
                        .unwrap_or(body);
                    quotes.push(body.trim().to_string());
                }
            } else {
                in_failure = false;
            }
            continue;
        }
        if line.starts_with("| mistake | what you see |") {
            in_table = true;
        } else if in_table && line.starts_with('|') {
            let seen = line.trim_matches('|').split(" | ").nth(1).unwrap_or_default();
            quotes.extend(seen.split('`').skip(1).step_by(2).map(String::from));
        } else {
            in_table = false;
        }
    }
    quotes
}

/// The words of a quote that the grader's own text must hold, where it stands: not the
/// program's names, numbers, addresses, paths, quoted data or escapes.
fn fixed_words(quote: &str, roles: &[String]) -> Vec<(usize, usize)> {
    let mut masked: Vec<char> = quote.chars().collect();
    let text: String = masked.iter().collect();
    let mut hide = |from: usize, to: usize| masked[from..to].iter_mut().for_each(|c| *c = ' ');
    // Quoted data ("ñANDú ..."), and byte offsets to char offsets as we go.
    let byte_to_char = |b: usize| text[..b].chars().count();
    let mut quoted = false;
    let mut start = 0;
    for (b, c) in text.char_indices() {
        if c == '"' {
            if quoted {
                hide(start, byte_to_char(b) + 1);
            } else {
                start = byte_to_char(b);
            }
            quoted = !quoted;
        }
    }
    for token in text.split(' ') {
        let word = token.trim_matches(|c: char| !c.is_alphanumeric());
        // Names (roles, check ids, ZeroDivisionError from a program's stderr) are not
        // the grader's wording.
        let variable = roles.iter().any(|r| word == r)
            || word.contains('-')
            || word.chars().skip(1).any(|c| c.is_uppercase())
            || token.contains('/')
            || token.contains('\\')
            || token.chars().any(|c| c.is_ascii_digit());
        if variable {
            let mut from = 0;
            while let Some(at) = text[from..].find(token) {
                let b = from + at;
                let (s, e) = (byte_to_char(b), byte_to_char(b + token.len()));
                hide(s, e);
                from = b + token.len().max(1);
            }
        }
    }
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in masked.iter().chain(std::iter::once(&' ')).enumerate() {
        match (c.is_alphabetic() || *c == '_' || *c == '\'', start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                if i - s >= 2 {
                    words.push((s, i));
                }
                start = None;
            }
            _ => {}
        }
    }
    words
}

/// The fixed words of a text in runs, lowercase: a name, a number, data or an elision
/// between two words parts them.
fn runs(text: &str, roles: &[String]) -> Vec<Vec<String>> {
    let chars: Vec<char> = text.chars().collect();
    let mut runs: Vec<Vec<String>> = Vec::new();
    let mut last_end = None;
    for (s, e) in fixed_words(text, roles) {
        let between: String = last_end.map_or(String::from("|"), |l| chars[l..s].iter().collect());
        let word: String = chars[s..e].iter().collect::<String>().to_lowercase();
        match runs.last_mut() {
            Some(run) if between.chars().all(|c| c == ' ') => run.push(word),
            _ => runs.push(vec![word]),
        }
        last_end = Some(e);
    }
    runs
}

/// Every failure message the docs quote is the grader's own wording: each of its words
/// (but names, numbers and data) stands beside the same neighbour word in a string of
/// the grader's, or begins or ends one of the pieces it prints verbatim, next to what
/// it fills in. A sentence the grader never prints (as "hello-server exited with status
/// 0 before client 2 connected" once was, in three pages) fails here.
#[test]
fn failure_messages_quoted_in_the_docs_are_the_graders_own() {
    let mut pairs: BTreeSet<(String, String)> = BTreeSet::new();
    let mut edges: BTreeSet<String> = BTreeSet::new();
    let list: serde_json::Value =
        serde_json::from_str(&socket_labs_tests::grader(&["list", "--json"]).stdout()).unwrap();
    let roles: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|lab| lab["checks"].as_array().unwrap().iter())
        .filter_map(|c| c["name"].as_str()?.split(' ').next().map(String::from))
        .filter(|word| word.contains('-'))
        .collect();
    for fragment in grader_literals().iter().flat_map(|l| fragments(l)) {
        for words in runs(&fragment, &roles) {
            pairs.extend(words.windows(2).map(|w| (w[0].clone(), w[1].clone())));
            edges.extend(words.first().cloned());
            edges.extend(words.last().cloned());
        }
    }
    let mut pages = Vec::new();
    markdown_files(&root().join("docs"), &mut pages);
    let mut wrong = Vec::new();
    let mut seen = 0;
    for page in pages {
        let text = std::fs::read_to_string(&page).unwrap();
        for quote in quoted_messages(&text) {
            seen += 1;
            let runs = runs(&quote, &roles);
            let mut missing = Vec::new();
            for run in &runs {
                for (i, word) in run.iter().enumerate() {
                    let before = i > 0 && pairs.contains(&(run[i - 1].clone(), word.clone()));
                    let after = i + 1 < run.len() && pairs.contains(&(word.clone(), run[i + 1].clone()));
                    let alone = (i == 0 || i + 1 == run.len()) && edges.contains(word);
                    if !(before || after || alone) {
                        missing.push(word.clone());
                    }
                }
            }
            if !missing.is_empty() {
                wrong.push(format!("{}: `{quote}` (not the grader's words: {missing:?})", page.display()));
            }
        }
    }
    assert!(seen > 20, "the docs quote failure messages ({seen} found): the parser still finds them");
    assert!(
        wrong.is_empty(),
        "failure messages quoted in the docs that the grader does not print:\n{}",
        wrong.join("\n")
    );
}

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
    let book = std::fs::read_to_string(docs.join("book.toml")).expect("docs/book.toml");
    assert!(book.contains("src = \".\""), "the book's pages are docs/ itself");
}

#[test]
fn the_readme_says_how_to_build_and_open_the_book() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(readme.contains("mdbook build docs"), "README: how to build the book");
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

/// The built book (docs/book, made by `mdbook build docs` in .ci/run): every link
/// between its pages, and every `#anchor`, lands. Links out of the book to files of the
/// repository (template/, ...) are checked in the Markdown above.
#[test]
fn the_built_book_has_no_broken_links() {
    let book = root().join("docs/book");
    let Ok(built) = std::fs::metadata(book.join("index.html")).and_then(|m| m.modified()) else {
        eprintln!("docs/book is not built (mdbook build docs): its HTML is not checked");
        return;
    };
    let mut sources = Vec::new();
    markdown_files(&root().join("docs"), &mut sources);
    let stale = sources.iter().find(|p| std::fs::metadata(p).and_then(|m| m.modified()).is_ok_and(|m| m > built));
    if let Some(stale) = stale {
        eprintln!("docs/book is older than {}: run mdbook build docs to check its HTML", stale.display());
        return;
    }
    let mut pages = Vec::new();
    html_files(&book, &mut pages);
    let mut ids: HashMap<PathBuf, String> = HashMap::new();
    let mut broken = Vec::new();
    for page in &pages {
        let html = std::fs::read_to_string(page).unwrap();
        for link in html_links(&html) {
            if link.is_empty() || is_external(&link) || link.starts_with("javascript:") || link.starts_with("data:") {
                continue;
            }
            let link = link.split('?').next().unwrap_or("");
            let (path, anchor) = link.split_once('#').map_or((link, None), |(p, a)| (p, Some(a)));
            let file = if path.is_empty() { page.clone() } else { normalize(&page.parent().unwrap().join(path)) };
            if !file.starts_with(&book) {
                continue;
            }
            let shown = page.strip_prefix(&book).unwrap().display().to_string();
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
}

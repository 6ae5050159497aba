//! A directory that the grader owns and a program under test writes into: the logging
//! lab's `--log-dir`. The grader creates it (empty, or seeded with files of its own),
//! keeps it while it stops one server and starts another on it, and reads it back to
//! compare what is there with what the contract says must be, file by file.
//!
//! It also holds the logging protocol's helpers: what a new `log<N>.txt` must hold,
//! and what must never change.

use std::collections::BTreeMap;
use std::io::Read;
use std::net::SocketAddr;
use std::path::Path;

use crate::timestamp;
use harness::outcome::Failure;
use harness::transcript::escape;
use harness::Harness;

/// The most bytes of one file the grader reads: a log file holds one short line.
const READ_CAP: u64 = 64 * 1024;
/// The most directory entries looked at: a runaway program cannot stall the grader.
const MAX_ENTRIES: usize = 10_000;
/// The most files listed one by one in a failure; the rest are named in short.
const SHOWN_FILES: usize = 15;

/// A directory owned by the grader; removed when dropped. Like a program's own
/// folder (sandbox/folder.rs), it is a size-capped tmpfs where the sandbox has one,
/// owned by the uid the programs run as.
pub struct LogDir {
    dir: harness::sandbox::folder::Folder,
}

impl LogDir {
    /// A new empty directory for a program to write its files into, outliving the
    /// programs the check starts on it.
    pub fn new(h: &Harness) -> Result<LogDir, Failure> {
        let dir = harness::sandbox::folder::Folder::create(h.limits().disk, harness::sandbox::owner())
            .map_err(|e| Failure::grader(format!("cannot create a directory for the log files: {e}")))?;
        h.note(format!("the grader made the empty directory {} for the log files", dir.path().display()));
        Ok(LogDir { dir })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `--log-dir <path>`, for the server's command line.
    pub fn args(&self) -> [String; 2] {
        ["--log-dir".to_string(), self.path().to_string_lossy().into_owned()]
    }

    /// Puts a file of the grader's into the directory before a server starts.
    /// The file is the program's, as if an earlier run of it had written it: one that
    /// overwrites it can (and is caught doing so).
    pub fn seed(&self, name: &str, contents: &str) -> Result<(), Failure> {
        let path = self.path().join(name);
        let cannot = |e: std::io::Error| Failure::grader(format!("cannot write {name} into the log directory: {e}"));
        std::fs::write(&path, contents).map_err(cannot)?;
        if let Some(id) = harness::sandbox::owner() {
            std::os::unix::fs::chown(&path, Some(id), Some(id)).map_err(cannot)?;
        }
        Ok(())
    }

    /// Every file in it now.
    pub fn files(&self) -> Result<Files, Failure> {
        Files::read(self.path())
    }
}

/// The regular files of a directory at one moment, by name, with their contents.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Files(BTreeMap<String, Vec<u8>>);

impl Files {
    pub fn read(dir: &Path) -> Result<Files, Failure> {
        let entries =
            std::fs::read_dir(dir).map_err(|e| Failure::grader(format!("cannot list {}: {e}", dir.display())))?;
        let mut files = BTreeMap::new();
        for entry in entries.flatten().take(MAX_ENTRIES) {
            // Only regular files: not a symlink a program planted, nor a directory.
            let is_file = entry.metadata().is_ok_and(|m| m.is_file());
            let name = entry.file_name().to_string_lossy().into_owned();
            if !is_file {
                continue;
            }
            let mut contents = Vec::new();
            // A file can vanish between listing and reading (a temporary file renamed):
            // then it is not there.
            let Ok(file) = std::fs::File::open(entry.path()) else {
                continue;
            };
            let _ = file.take(READ_CAP).read_to_end(&mut contents);
            files.insert(name, contents);
        }
        Ok(Files(files))
    }

    /// Every name, in byte order.
    pub fn names(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }

    /// The names of the log files, `log<N>.txt`, in the order of N.
    pub fn logs(&self) -> Vec<&str> {
        let mut logs: Vec<(u64, &str)> =
            self.0.keys().filter_map(|name| log_number(name).map(|n| (n, name.as_str()))).collect();
        logs.sort();
        logs.into_iter().map(|(_, name)| name).collect()
    }

    /// Every file, one per line with its contents, for a failure message.
    pub fn show(&self) -> String {
        if self.0.is_empty() {
            return "an empty directory".to_string();
        }
        let mut lines: Vec<String> =
            self.0.iter().take(SHOWN_FILES).map(|(name, data)| format!("{name}: {}", escape(data))).collect();
        if self.0.len() > SHOWN_FILES {
            lines.push(format!("... ({} files in all: {})", self.0.len(), runs(self.0.keys())));
        }
        lines.join("\n")
    }

    /// Fails if a log file that was there `before` is gone or has changed: nothing is
    /// ever overwritten. Other files are the server's business (a temporary file, a
    /// saved counter) and may change.
    pub fn expect_kept(&self, before: &Files, when: &str) -> Result<(), Failure> {
        self.kept(before, when, |name| log_number(name).is_some())
    }

    /// Fails if any file that was there `before` is gone or has changed: for files the
    /// grader put there itself, which a server must leave alone.
    pub fn expect_untouched(&self, before: &Files, when: &str) -> Result<(), Failure> {
        self.kept(before, when, |_| true)
    }

    fn kept(&self, before: &Files, when: &str, watched: impl Fn(&str) -> bool) -> Result<(), Failure> {
        for (name, old) in before.0.iter().filter(|(name, _)| watched(name)) {
            match self.0.get(name) {
                Some(now) if now == old => {}
                Some(now) => {
                    return Err(Failure::mismatch(format!("{name} was overwritten {when}"))
                        .expected(format!("{name} still holding {}", escape(old)))
                        .got(format!("{name} holding {}", escape(now)))
                        .with_hint(OVERWRITE))
                }
                None => {
                    return Err(Failure::mismatch(format!("{name} was deleted {when}"))
                        .expected(format!("{name} still there, holding {}", escape(old)))
                        .got(self.show())
                        .with_hint("never delete or rename a file of the log directory that is not yours, nor a log file: only add new ones"))
                }
            }
        }
        Ok(())
    }

    /// Checks the log files added since `before`: exactly `log<first>.txt` onwards, one
    /// per request, each holding one line that ends with its request's text (`texts`
    /// are unique), and no earlier file changed. Returns each request's line, in the
    /// order of `texts`.
    pub fn expect_new_logs(
        &self,
        before: &Files,
        first: u64,
        texts: &[String],
        when: &str,
    ) -> Result<Vec<String>, Failure> {
        self.expect_kept(before, when)?;
        let added: Vec<&str> = self.logs().into_iter().filter(|name| !before.0.contains_key(*name)).collect();
        let wanted: Vec<String> = (first..first + texts.len() as u64).map(|n| format!("log{n}.txt")).collect();
        let listing = || {
            format!(
                "{}\n(before: {})",
                self.show(),
                if before.0.is_empty() {
                    "empty".to_string()
                } else {
                    before.0.keys().cloned().collect::<Vec<_>>().join(", ")
                }
            )
        };
        if added.is_empty() {
            return Err(Failure::mismatch(format!("no new log file was there {when}"))
                .expected(describe_names(&wanted))
                .got(listing())
                .with_hint(
                    "write log<N>.txt into the --log-dir directory, and finish writing it before you send the reply",
                ));
        }
        if added != wanted {
            let missing: Vec<&String> = wanted.iter().filter(|w| !added.contains(&w.as_str())).collect();
            let extra: Vec<&&str> = added.iter().filter(|a| !wanted.contains(&a.to_string())).collect();
            let mut failure = Failure::mismatch(format!(
                "{} new log file{} {when}, not {}",
                added.len(),
                if added.len() == 1 { " was there" } else { "s were there" },
                describe_names(&wanted)
            ))
            .expected(describe_names(&wanted))
            .got(listing());
            if !missing.is_empty() {
                failure = failure.detail(format!("missing: {}", runs(missing)));
            }
            if !extra.is_empty() {
                failure = failure.detail(format!("not expected: {}", runs(extra)));
            }
            let hint = if added.len() < wanted.len() && texts.len() > 1 {
                "requests handled at the same time got the same N: read-and-increment the counter as one step (a Mutex or an AtomicU64's fetch_add) and create each file with create_new, which fails rather than overwrite"
            } else {
                NUMBERING
            };
            return Err(failure.with_hint(hint));
        }
        let mut lines: Vec<Option<String>> = vec![None; texts.len()];
        for name in &added {
            let line = one_line(&self.0[*name]).map_err(|why| {
                Failure::mismatch(format!("{name} does not hold one line"))
                    .expected("one line: <RFC 3339 time> <client-ip>:<client-port> <request text>".to_string())
                    .got(format!("{name} holding {}", escape(&self.0[*name])))
                    .detail(why)
                    .with_hint(if texts.len() > 1 {
                        "two requests wrote into one file: each request needs a number of its own (a Mutex or an atomic counter), and a file created with create_new"
                    } else {
                        "write exactly one line per file, the whole line, before the reply"
                    })
            })?;
            // The longest text that ends the line is its request (texts are unique).
            let owner =
                (0..texts.len()).filter(|&i| line.ends_with(&format!(" {}", texts[i]))).max_by_key(|&i| texts[i].len());
            let Some(owner) = owner else {
                return Err(Failure::mismatch(format!("{name} does not end with the text of any request sent"))
                    .expected(format!(
                        "a line ending in one of: {}",
                        texts.iter().map(|t| escape(t.as_bytes())).collect::<Vec<_>>().join(", ")
                    ))
                    .got(format!("{name} holding {}", escape(&self.0[*name])))
                    .with_hint(
                        "end the line with the request text exactly as the client sent it, without its \\n or \\r\\n",
                    ));
            };
            if lines[owner].is_some() {
                return Err(Failure::mismatch(format!("one request was logged twice, the second time in {name}"))
                    .expected(format!("one file per request: {}", describe_names(&wanted)))
                    .got(self.show())
                    .with_hint("log each request once, when its request line has been read"));
            }
            lines[owner] = Some(line);
        }
        // As many files as texts, each owned by a different text: every text has one.
        Ok(lines.into_iter().map(|l| l.unwrap_or_default()).collect())
    }
}

const OVERWRITE: &str = "a log file, once written, never changes: pick an N that no file has (continue past the highest on start-up) and create the file with create_new (O_EXCL), which fails instead of overwriting";

const NUMBERING: &str = "N counts 0, 1, 2, ... one more per request, with no gaps; on start-up continue past the highest log<N>.txt already in the directory (compare numbers, not names: log10 is above log9)";

/// N of a file named `log<N>.txt`; `log01.txt`, `log7.txt.bak` and `logx.txt` are not
/// log files (the first is checked as an unexpected name by the callers).
pub fn log_number(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("log")?.strip_suffix(".txt")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The one line a log file holds, without its line ending (which may be absent).
fn one_line(data: &[u8]) -> Result<String, String> {
    let text = std::str::from_utf8(data).map_err(|_| "it is not UTF-8 text".to_string())?;
    let line = text.strip_suffix('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).unwrap_or(text);
    if line.is_empty() {
        return Err("it is empty".to_string());
    }
    if line.contains('\n') {
        return Err(format!("it holds {} lines", text.lines().count()));
    }
    Ok(line.to_string())
}

/// Checks one log line exactly: `<RFC 3339 time> <client-ip>:<client-port> <text>`,
/// with a time within the tolerance of the grader's clock between `before` and `after`.
pub fn expect_log_line(
    name: &str,
    line: &str,
    client: SocketAddr,
    text: &str,
    before: f64,
    after: f64,
) -> Result<(), Failure> {
    let address = format!("{}:{}", client.ip(), client.port());
    let tail = format!(" {address} {text}");
    let expected = format!("<RFC 3339 time>{tail}");
    let Some(time) = line.strip_suffix(&tail) else {
        let hint = if !line.contains(&client.port().to_string()) {
            format!(
                "the grader's connection came from {address}: write the client's address as <ip>:<port>, from the accepted socket's peer address (peer_addr, or the address accept() returns)"
            )
        } else if line.contains(&format!("/{address}")) {
            "write the address as ip:port without the / that Java's InetSocketAddress.toString() puts in front: getAddress().getHostAddress() + \":\" + getPort()".to_string()
        } else if line.contains(&format!("('{}', {})", client.ip(), client.port())) {
            "write the address as ip:port, not as a Python tuple: f\"{addr[0]}:{addr[1]}\"".to_string()
        } else if !line.ends_with(text) {
            "end the line with the request text exactly as the client sent it, without its \\n".to_string()
        } else {
            "separate the three parts with one space each: <time> <client-ip>:<client-port> <request text>".to_string()
        };
        return Err(Failure::mismatch(format!("{name} does not hold the request's line"))
            .expected(escape(expected.as_bytes()))
            .got(escape(line.as_bytes()))
            .with_hint(hint));
    };
    let time = time.trim();
    let stamp = timestamp::parse(time).map_err(|why| {
        let hint = match timestamp::recognise(time) {
            Some(format) => {
                format!("that is {format}; the line starts with the time in RFC 3339, such as 2026-11-21T23:25:51Z")
            }
            None => "the line starts with the time in RFC 3339, such as 2026-11-21T23:25:51Z".to_string(),
        };
        Failure::mismatch(format!("the time in {name} is not RFC 3339"))
            .expected(escape(expected.as_bytes()))
            .got(escape(line.as_bytes()))
            .detail(why)
            .with_hint(hint)
    })?;
    timestamp::expect_now(&stamp, before, after, &format!("{name} holds"), time)
}

fn describe_names(names: &[String]) -> String {
    match names {
        [] => "no file".to_string(),
        [one] => one.clone(),
        [first, .., last] => format!("{first} to {last} ({} files)", names.len()),
    }
}

/// Names, with runs of log files shortened: `log1.txt to log29.txt, notes.txt`.
fn runs<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> String {
    let mut numbers: Vec<u64> = Vec::new();
    let mut others: Vec<String> = Vec::new();
    for name in names {
        let name = name.as_ref();
        match log_number(name).filter(|n| format!("log{n}.txt") == name) {
            Some(n) => numbers.push(n),
            None => others.push(name.to_string()),
        }
    }
    numbers.sort_unstable();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < numbers.len() {
        let mut j = i;
        while j + 1 < numbers.len() && numbers[j + 1] == numbers[j] + 1 {
            j += 1;
        }
        parts.push(match j - i {
            0 => format!("log{}.txt", numbers[i]),
            1 => format!("log{}.txt, log{}.txt", numbers[i], numbers[j]),
            _ => format!("log{}.txt to log{}.txt", numbers[i], numbers[j]),
        });
        i = j + 1;
    }
    parts.extend(others);
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(entries: &[(&str, &str)]) -> Files {
        Files(entries.iter().map(|(n, c)| (n.to_string(), c.as_bytes().to_vec())).collect())
    }

    #[test]
    fn knows_a_log_file_by_its_name() {
        assert_eq!(log_number("log0.txt"), Some(0));
        assert_eq!(log_number("log10.txt"), Some(10));
        assert_eq!(log_number("log01.txt"), Some(1));
        for other in ["log7.txt.bak", "logx.txt", "log.txt", "notes.txt", "old-log20.txt", "log-1.txt"] {
            assert_eq!(log_number(other), None, "{other}");
        }
        let f = files(&[("log10.txt", "a"), ("log9.txt", "b"), ("notes.txt", ""), ("log2.txt", "c")]);
        assert_eq!(f.logs(), ["log2.txt", "log9.txt", "log10.txt"]);
        let names = ["log3.txt", "log1.txt", "log2.txt", "log7.txt", "log8.txt", "log01.txt", "log10.txt", "x"];
        assert_eq!(runs(names), "log1.txt to log3.txt, log7.txt, log8.txt, log10.txt, log01.txt, x");
    }

    #[test]
    fn matches_new_files_to_requests() {
        let before = files(&[("log0.txt", "t 1.2.3.4:5 first\n")]);
        let texts = ["second".to_string(), "third".to_string()];
        let after = files(&[
            ("log0.txt", "t 1.2.3.4:5 first\n"),
            ("log1.txt", "t 1.2.3.4:6 third\n"),
            ("log2.txt", "t 1.2.3.4:7 second"),
            (".tmp-xyz", "ignored"),
        ]);
        let lines = after.expect_new_logs(&before, 1, &texts, "now").unwrap();
        assert_eq!(lines, ["t 1.2.3.4:7 second", "t 1.2.3.4:6 third"]);

        let overwritten = files(&[("log0.txt", "t 1.2.3.4:6 second\n")]);
        let f = overwritten.expect_new_logs(&before, 1, &texts[..1], "now").unwrap_err();
        assert!(f.summary.contains("log0.txt was overwritten"), "{}", f.summary);

        let shared = files(&[("log0.txt", "t 1.2.3.4:5 first\n"), ("log1.txt", "t a second\nt b third\n")]);
        let f = shared.expect_new_logs(&before, 1, &texts, "now").unwrap_err();
        assert!(f.summary.contains("1 new log file"), "{}", f.summary);

        let twice = files(&[("log0.txt", "t 1.2.3.4:5 first\n"), ("log1.txt", "x third"), ("log2.txt", "y third")]);
        let f = twice.expect_new_logs(&before, 1, &texts, "now").unwrap_err();
        assert!(f.summary.contains("logged twice"), "{}", f.summary);
    }

    #[test]
    fn checks_a_log_line_exactly() {
        let client: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        let now = timestamp::unix_now();
        let good = format!("{} 127.0.0.1:40000 What time is it?", timestamp::format(now, 0));
        assert!(expect_log_line("log0.txt", &good, client, "What time is it?", now, now).is_ok());
        let port = format!("{} 127.0.0.1:6016 What time is it?", timestamp::format(now, 0));
        let f = expect_log_line("log0.txt", &port, client, "What time is it?", now, now).unwrap_err();
        assert!(f.hint.unwrap().contains("peer"));
        let java = format!("{} /127.0.0.1:40000 What time is it?", timestamp::format(now, 0));
        let f = expect_log_line("log0.txt", &java, client, "What time is it?", now, now).unwrap_err();
        assert!(f.hint.unwrap().contains("InetSocketAddress"));
        let tuple = format!("{} ('127.0.0.1', 40000) What time is it?", timestamp::format(now, 0));
        let f = expect_log_line("log0.txt", &tuple, client, "What time is it?", now, now).unwrap_err();
        assert!(f.hint.unwrap().contains("tuple"));
        let ctime = "Sat Nov 21 23:25:51 2026 127.0.0.1:40000 What time is it?";
        let f = expect_log_line("log0.txt", ctime, client, "What time is it?", now, now).unwrap_err();
        assert!(f.hint.unwrap().contains("ctime"));
    }
}

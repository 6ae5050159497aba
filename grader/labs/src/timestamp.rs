//! Dates and times on the wire, as the date and logging labs send them: RFC 3339.
//!
//! The parser is written out here, not taken from a crate, so that it accepts exactly
//! what RFC 3339 allows (lower-case `t` and `z`, a space between date and time, any
//! number of fraction digits, `-00:00`, a leap second) and can say what is wrong with
//! a reply, or which well-known format it is instead (ctime, epoch milliseconds, ...).
//! It also compares a time with the grader's clock and tells a wrong offset from a
//! wrong clock.

use std::time::{SystemTime, UNIX_EPOCH};

use harness::conn::Conn;
use harness::outcome::{Failure, FailureKind, Hint};
use harness::transcript::escape;

/// How far a program's time may be from the grader's clock: a time with whole seconds
/// is up to a second behind, and both clocks are read a moment apart.
pub const TOLERANCE_SECS: f64 = 2.0;

/// A date and time read from RFC 3339 text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Timestamp {
    /// The instant, in seconds since 1970-01-01T00:00:00Z.
    pub unix: f64,
    /// The offset it was written with, in minutes east of UTC (`Z` is 0).
    pub offset_minutes: i32,
}

/// Reads RFC 3339 (`2026-11-21T23:25:51Z`, `2026-11-22T10:25:51.25+11:00`), or says
/// what is wrong with the text, at which byte.
pub fn parse(text: &str) -> Result<Timestamp, String> {
    let mut p = Cursor { bytes: text.as_bytes(), at: 0 };
    let year = p.digits(4, "a 4-digit year")?;
    p.byte(b"-", "'-' after the year")?;
    let month = p.digits(2, "a 2-digit month")?;
    p.byte(b"-", "'-' after the month")?;
    let day = p.digits(2, "a 2-digit day")?;
    p.byte(b"Tt ", "'T' between the date and the time")?;
    let hour = p.digits(2, "a 2-digit hour")?;
    p.byte(b":", "':' after the hour")?;
    let minute = p.digits(2, "2-digit minutes")?;
    p.byte(b":", "':' and the seconds after the minutes (RFC 3339 always has seconds)")?;
    let second = p.digits(2, "2-digit seconds")?;
    let mut fraction = 0.0;
    if p.peek() == Some(b'.') {
        p.at += 1;
        let start = p.at;
        while p.peek().is_some_and(|b| b.is_ascii_digit()) {
            p.at += 1;
        }
        if p.at == start {
            return Err(p.error("digits after the '.' of the seconds"));
        }
        fraction = format!("0.{}", &text[start..p.at]).parse().unwrap_or(0.0);
    }
    let offset_minutes = match p.peek() {
        Some(b'Z' | b'z') => {
            p.at += 1;
            0
        }
        Some(sign @ (b'+' | b'-')) => {
            p.at += 1;
            let hours = p.digits(2, "2-digit hours in the offset")?;
            p.byte(b":", "':' in the offset (+hh:mm, not +hhmm)")?;
            let minutes = p.digits(2, "2-digit minutes in the offset")?;
            if hours > 23 || minutes > 59 {
                return Err(format!("the offset {}{hours:02}:{minutes:02} is out of range", sign as char));
            }
            let total = (hours * 60 + minutes) as i32;
            if sign == b'-' {
                -total
            } else {
                total
            }
        }
        _ => return Err(p.error("the offset: Z, or +hh:mm / -hh:mm, right after the time")),
    };
    if p.at != text.len() {
        return Err(format!("unexpected text after the offset: {}", escape(&text.as_bytes()[p.at..])));
    }
    if !(1..=12).contains(&month) {
        return Err(format!("month {month:02} does not exist"));
    }
    if day == 0 || day > days_in_month(year as i64, month) {
        return Err(format!("day {day:02} does not exist in month {month:02} of {year}"));
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err(format!("{hour:02}:{minute:02}:{second:02} is not a time of day"));
    }
    let days = days_from_civil(year as i64, month, day);
    let local = days * 86_400 + (hour * 3600 + minute * 60 + second) as i64;
    let unix = (local - offset_minutes as i64 * 60) as f64 + fraction;
    Ok(Timestamp { unix, offset_minutes })
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn digits(&mut self, n: usize, what: &str) -> Result<u32, String> {
        let field = self.bytes.get(self.at..self.at + n).filter(|f| f.iter().all(u8::is_ascii_digit));
        let Some(field) = field else {
            return Err(self.error(what));
        };
        self.at += n;
        Ok(field.iter().fold(0, |acc, d| acc * 10 + (d - b'0') as u32))
    }

    fn byte(&mut self, allowed: &[u8], what: &str) -> Result<(), String> {
        match self.peek() {
            Some(b) if allowed.contains(&b) => {
                self.at += 1;
                Ok(())
            }
            _ => Err(self.error(what)),
        }
    }

    fn error(&self, what: &str) -> String {
        match self.bytes.get(self.at..) {
            Some(rest) if !rest.is_empty() => format!("at byte {} expected {what}, got {}", self.at, escape(rest)),
            _ => format!("the text ends where {what} should be"),
        }
    }
}

/// Names the format of a reply that is a date but not RFC 3339, with the fix.
pub fn recognise(text: &str) -> Option<&'static str> {
    let t = text.trim();
    let words: Vec<&str> = t.split_whitespace().collect();
    let shape = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_digit() {
                    '9'
                } else if c.is_ascii_alphabetic() {
                    'a'
                } else {
                    c
                }
            })
            .collect()
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let is_clock = |s: &str| shape(s) == "99:99:99";
    let is_name = |s: &str| s.len() == 3 && shape(s) == "aaa";
    if words.len() == 5 && is_name(words[0]) && is_name(words[1]) && is_clock(words[3]) && all_digits(words[4]) {
        return Some(
            "the ctime format (Sat Nov 21 23:25:51 2026) of C's ctime() and Python's time.ctime(): it has no offset, and a program cannot parse it reliably",
        );
    }
    if words.len() == 6 && is_name(words[0]) && is_name(words[1]) && is_clock(words[3]) && all_digits(words[5]) {
        return Some("Java's Date.toString() format (Sat Nov 21 23:25:51 UTC 2026): its zone is a name, not an offset");
    }
    if words.len() >= 5 && words[0].ends_with(',') && is_name(words[0].trim_end_matches(',')) {
        return Some("the e-mail and HTTP date format of RFC 2822 (Sat, 21 Nov 2026 23:25:51 +0000)");
    }
    if words.len() == 2 && matches!(shape(words[0]).as_str(), "99/99/9999" | "9/9/9999" | "99/9/9999" | "9/99/9999") {
        return Some(
            "a local display format (21/11/2026 23:32:21, strftime's %d/%m/%Y): day and month order depend on the locale, and it has no offset",
        );
    }
    let (whole, fraction) = t.split_once('.').unwrap_or((t, ""));
    if all_digits(whole) && (fraction.is_empty() || all_digits(fraction)) {
        return match whole.len() {
            13 => Some(
                "a count of milliseconds since 1970 (Java's System.currentTimeMillis(), JavaScript's Date.now()): a number, not a date",
            ),
            10 => Some("a count of seconds since 1970 (Python's time.time()): a number, not a date"),
            _ => None,
        };
    }
    if t.ends_with(']') && t.contains('[') {
        return Some(
            "Java's ZonedDateTime.toString(), whose [zone] at the end is not RFC 3339 (use DateTimeFormatter.ISO_OFFSET_DATE_TIME)",
        );
    }
    let iso = |date: &str, time: &str| {
        shape(date) == "9999-99-99"
            && shape(time).starts_with("99:99:99")
            && shape(time).trim_start_matches("99:99:99").trim_start_matches(['.', '9']).is_empty()
    };
    let split = t.split_once(['T', ' ']);
    if split.is_some_and(|(date, time)| iso(date, time)) {
        return Some(
            "a date and time without an offset (Python's datetime.now().isoformat(), Java's LocalDateTime): nobody can tell which time zone it is in",
        );
    }
    if split.is_some_and(|(date, time)| {
        shape(date) == "9999-99-99" && shape(time).starts_with("99:99") && !shape(time).starts_with("99:99:")
    }) {
        return Some(
            "a time without seconds (Java's OffsetDateTime.toString() drops :00 seconds; use DateTimeFormatter.ISO_OFFSET_DATE_TIME)",
        );
    }
    None
}

/// The grader's clock, in seconds since 1970.
pub fn unix_now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

/// Writes an instant as RFC 3339 with whole seconds, with the given offset.
pub fn format(unix: f64, offset_minutes: i32) -> String {
    let local = unix.floor() as i64 + offset_minutes as i64 * 60;
    let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let clock = format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    if offset_minutes == 0 {
        return format!("{clock}Z");
    }
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let abs = offset_minutes.abs();
    format!("{clock}{sign}{:02}:{:02}", abs / 60, abs % 60)
}

/// What a date-server must reply to a request.
const EXPECTED_FORMAT: &str =
    "one line of RFC 3339 with seconds, such as 2026-11-21T23:25:51Z or 2026-11-22T10:25:51.25+11:00";

const HOW_TO_FORMAT: &str = "RFC 3339 is the date, T, the time with seconds, then Z or +hh:mm (2026-11-21T23:25:51Z). Rust: time::OffsetDateTime::now_utc().format(&Rfc3339); Python: datetime.now(timezone.utc).isoformat(); Java: DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(OffsetDateTime.now())";

/// A reply of the date protocol, with the grader's clock read just before the
/// request was sent and just after the reply arrived.
pub struct TimeReply {
    pub line: String,
    pub before: f64,
    pub after: f64,
}

/// Sends `request` as a line and reads the one-line reply, timing it. Its failures
/// carry no hint yet: a check that knows the likely cause (a silent client holding the
/// server up) says so; [`reply_hints`] gives the usual ones.
pub fn ask_time(c: &mut Conn, request: &str) -> Result<TimeReply, Failure> {
    let before = unix_now();
    c.send_line(request)?;
    let line = c.read_line()?;
    if !is_a_time(&line) {
        // The role's content, in every check: a server that answers every line with the
        // same words (a chat server's `Enter your name:`) has the shape of one, not the job.
        return Err(Failure::mismatch(format!("{} replied something that is not a date and time", c.peer()))
            .sent(escape(format!("{request}\n").as_bytes()))
            .expected(EXPECTED_FORMAT)
            .got(escape(format!("{line}\n").as_bytes()))
            .with_hint("whatever the request says, the reply is one line: the current date and time (2026-11-21T23:25:51+00:00), nothing else"));
    }
    Ok(TimeReply { line, before, after: unix_now() })
}

/// Whether a reply line is a date and time at all: RFC 3339, a well-known format
/// ([`recognise`]), or at least a time of day (`23:25`) beside more digits. The format
/// is checked elsewhere (server-rfc3339); this tells a date from anything else.
pub fn is_a_time(line: &str) -> bool {
    let t = line.trim();
    if parse(t).is_ok() || recognise(t).is_some() {
        return true;
    }
    let bytes = t.as_bytes();
    let clock = bytes
        .windows(4)
        .any(|w| w[0].is_ascii_digit() && w[1] == b':' && w[2].is_ascii_digit() && w[3].is_ascii_digit());
    clock && bytes.iter().filter(|b| b.is_ascii_digit()).count() >= 6
}

/// The usual hints for a date reply that did not come.
pub fn reply_hints<T>(result: Result<T, Failure>) -> Result<T, Failure> {
    result
        .hint_on(FailureKind::Timeout, "read the request line, then reply with one line ending in \\n")
        .hint_on(FailureKind::Closed, "write the whole reply line, ending in \\n, before closing the connection")
}

impl TimeReply {
    /// The reply is RFC 3339 (surrounding spaces are forgiven); otherwise the failure
    /// names the format it is, if it is a well-known one.
    pub fn expect_rfc3339(&self, peer: &str) -> Result<Timestamp, Failure> {
        parse(self.line.trim()).map_err(|why| {
            let failure = Failure::mismatch(format!("{peer} replied a time that is not RFC 3339"))
                .expected(EXPECTED_FORMAT)
                .got(escape(format!("{}\n", self.line).as_bytes()))
                .detail(why);
            match recognise(&self.line) {
                Some(name) => failure.with_hint(format!("that is {name}. {HOW_TO_FORMAT}")),
                None => failure.with_hint(HOW_TO_FORMAT),
            }
        })
    }

    /// The reply is RFC 3339 and the instant it names is now, within the tolerance.
    pub fn expect_current(&self, peer: &str) -> Result<Timestamp, Failure> {
        let time = self.expect_rfc3339(peer)?;
        expect_now(&time, self.before, self.after, &format!("{peer} replied"), &self.line)?;
        Ok(time)
    }
}

/// `time` (read from `text`) is within the tolerance of the grader's clock between
/// `before` and `after`; otherwise says by how much it is off, and whether that is a
/// whole number of quarter hours: a time labelled with the wrong offset.
pub fn expect_now(time: &Timestamp, before: f64, after: f64, what: &str, text: &str) -> Result<(), Failure> {
    let (low, high) = (before - TOLERANCE_SECS, after + TOLERANCE_SECS);
    if (low..=high).contains(&time.unix) {
        return Ok(());
    }
    let off = time.unix - (before + after) / 2.0;
    let quarters = (off / 900.0).round();
    let slack = TOLERANCE_SECS + (after - before);
    let expected = if time.offset_minutes == 0 {
        format!("the grader's clock: {}", format(after, 0))
    } else {
        format!(
            "the grader's clock: {} (that is {} with the offset you wrote)",
            format(after, 0),
            format(after, time.offset_minutes)
        )
    };
    let failure = Failure::mismatch(format!("{what} a time {} than the grader's clock", describe_gap(off)))
        .expected(format!("{expected}, give or take {TOLERANCE_SECS} s"))
        .got(format!("{} (that is {} in UTC)", escape(text.as_bytes()), format(time.unix, 0)));
    let whole_offset = quarters != 0.0 && quarters.abs() <= 26.0 * 4.0 && (off - quarters * 900.0).abs() <= slack;
    if whole_offset {
        return Err(failure
            .detail(format!(
                "it is exactly {}: the digits are a correct wall-clock time, but the offset does not belong to them",
                describe_gap(quarters * 900.0)
            ))
            .with_hint(
                "the offset says how far the digits are from UTC: write UTC digits with Z (or +00:00), local digits with the local offset. Local time labelled +00:00, or UTC labelled with a local offset, names another instant",
            ));
    }
    Err(failure.with_hint("reply with the current time, read from the clock when the request arrives"))
}

/// "5 h 30 min later", "12.3 s earlier".
fn describe_gap(seconds: f64) -> String {
    let direction = if seconds < 0.0 { "earlier" } else { "later" };
    let abs = seconds.abs();
    if abs < 120.0 {
        return format!("{abs:.1} s {direction}");
    }
    let minutes = (abs / 60.0).round() as i64;
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min {direction}"),
        (h, 0) => format!("{h} h {direction}"),
        (h, m) => format!("{h} h {m} min {direction}"),
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a date of the proleptic Gregorian calendar (H. Hinnant's
/// algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day counted from 1970-01-01 (the inverse of [`days_from_civil`]).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_form_rfc_3339_allows() {
        // 2026-11-21T23:25:51Z is 1795303551 s after the epoch.
        let z = parse("2026-11-21T23:25:51Z").unwrap();
        assert_eq!(z, Timestamp { unix: 1_795_303_551.0, offset_minutes: 0 });
        for same in [
            "2026-11-21T23:25:51+00:00",
            "2026-11-21T23:25:51-00:00",
            "2026-11-21t23:25:51z",
            "2026-11-21 23:25:51Z",
            "2026-11-22T10:25:51+11:00",
            "2026-11-21T17:55:51-05:30",
        ] {
            assert_eq!(parse(same).unwrap().unix, z.unix, "{same}");
        }
        let fine = parse("2026-11-21T23:25:51.123456789Z").unwrap();
        assert!((fine.unix - z.unix - 0.123_456_789).abs() < 1e-6);
        assert_eq!(parse("2026-11-22T10:25:51+11:00").unwrap().offset_minutes, 660);
        assert_eq!(parse("1970-01-01T00:00:00Z").unwrap().unix, 0.0);
        assert_eq!(parse("2024-02-29T12:00:00Z").unwrap().unix, 1_709_208_000.0);
        assert!(parse("2016-12-31T23:59:60Z").is_ok(), "a leap second");
    }

    #[test]
    fn says_what_is_wrong() {
        for (text, says) in [
            ("2026-11-21T23:25Z", "seconds"),
            ("2026-11-21T23:25:51", "offset"),
            ("2026-11-21T23:25:51+0000", "+hh:mm"),
            ("2026-11-21T23:25:51.Z", "digits after"),
            ("2026-11-21T23:25:51Z extra", "after the offset"),
            ("2026-13-21T23:25:51Z", "month 13"),
            ("2025-02-29T23:25:51Z", "day 29"),
            ("2026-11-21T24:25:51Z", "not a time of day"),
            ("2026-11-21T23:25:51+24:00", "out of range"),
            ("21/11/2026 23:32:21", "4-digit year"),
            ("", "ends"),
        ] {
            let why = parse(text).unwrap_err();
            assert!(why.contains(says), "{text:?}: {why}");
        }
    }

    #[test]
    fn names_the_usual_wrong_formats() {
        for (text, name) in [
            ("Sat Nov 21 23:25:51 2026", "ctime"),
            ("Sat Nov  1 23:25:51 2026", "ctime"),
            ("Sat Nov 21 23:25:51 UTC 2026", "Date.toString()"),
            ("Sat Nov 21 23:25:51 AEDT 2026", "Date.toString()"),
            ("21/11/2026 23:32:21", "local display format"),
            ("1795303551123", "milliseconds"),
            ("1795303551.123456", "seconds since 1970"),
            ("Sat, 21 Nov 2026 23:25:51 +0000", "RFC 2822"),
            ("2026-11-21T23:25:51.123", "without an offset"),
            ("2026-11-21 23:25:51.123456", "without an offset"),
            ("2026-11-21T23:25Z", "without seconds"),
            ("2026-11-21T23:25:51+01:00[Europe/Paris]", "ZonedDateTime"),
        ] {
            let got = recognise(text).unwrap_or_else(|| panic!("{text:?} is recognised"));
            assert!(got.contains(name), "{text:?}: {got}");
        }
        assert_eq!(recognise("hello"), None);
    }

    #[test]
    fn writes_instants_back() {
        assert_eq!(format(1_795_303_551.7, 0), "2026-11-21T23:25:51Z");
        assert_eq!(format(1_795_303_551.0, 660), "2026-11-22T10:25:51+11:00");
        assert_eq!(format(1_795_303_551.0, -330), "2026-11-21T17:55:51-05:30");
        for days in [-800_000, -1, 0, 59, 10_956, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn tells_a_wrong_offset_from_a_wrong_clock() {
        let now = 1_795_303_551.0;
        let ok = Timestamp { unix: now - 1.5, offset_minutes: 0 };
        assert!(expect_now(&ok, now, now + 0.1, "it replied", "x").is_ok());
        let shifted = Timestamp { unix: now - 5.0 * 3600.0 - 0.4, offset_minutes: 300 };
        let failure = expect_now(&shifted, now, now + 0.1, "it replied", "x").unwrap_err();
        assert!(failure.details.iter().any(|d| d.contains("exactly 5 h earlier")), "{failure:?}");
        assert!(failure.hint.unwrap().contains("offset"));
        let stale = Timestamp { unix: now - 40.0, offset_minutes: 0 };
        let failure = expect_now(&stale, now, now + 0.1, "it replied", "x").unwrap_err();
        assert!(failure.summary.contains("40.0 s earlier"), "{}", failure.summary);
        assert!(failure.details.is_empty());
    }
}

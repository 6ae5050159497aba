//! A check written as data: the steps of a `[[check]]` in a lab.toml (labdata.rs),
//! played through the harness. Every step is a harness call (start a server or a
//! client, connect, send, expect, play the client's peer), with the harness's
//! readiness waits, deadlines and transcript, so a dialogue check gets exactly what a
//! Rust check gets. docs/authoring.md describes every step.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{bail, Result};

use crate::labfile::{CheckFile, LabFile, Step};
use harness::conn::Conn;
use harness::crowd::{Crowding, Ladder, Phase};
use harness::fragment::Fragments;
use harness::outcome::{CheckResult, Failure, FailureKind, Hint};
use harness::transcript::escape;
use harness::udp::{self, Datagram, ScriptedUdpServer, UdpConn, UdpServer};
use harness::{Client, ClientRun, Harness, ScriptedServer, Server};

impl Step {
    /// The step's verb: exactly one per step.
    fn verb(&self) -> Result<&'static str> {
        let verbs = [
            ("start", self.start.is_some()),
            ("client", self.client.is_some()),
            ("listen", self.listen.is_some()),
            ("accept", self.accept.is_some()),
            ("connect", self.connect.is_some()),
            ("send", self.send.is_some()),
            ("together", self.together.is_some()),
            ("expect", self.expect.is_some()),
            ("expect_line", self.expect_line.is_some()),
            ("expect_regex", self.expect_regex.is_some()),
            ("expect_closed", self.expect_closed.is_some()),
            ("quiet", self.quiet.is_some()),
            ("wait_read", self.wait_read.is_some()),
            ("close", self.close.is_some()),
            ("abort", self.abort.is_some()),
            ("alive", self.alive.is_some()),
            ("alive_for", self.alive_for.is_some()),
            ("recv", self.recv.is_some()),
            ("recv_regex", self.recv_regex.is_some()),
            ("reply", self.reply.is_some()),
            ("lose", self.lose.is_some()),
            ("finish", self.finish.is_some()),
            ("exit", self.exit.is_some()),
            ("stdout", self.stdout.is_some()),
            ("stdout_regex", self.stdout_regex.is_some()),
            ("note", self.note.is_some()),
            ("repeat", self.repeat.is_some()),
            ("crowd", self.crowd.is_some()),
        ];
        let set: Vec<&str> = verbs.iter().filter(|(_, on)| *on).map(|(v, _)| *v).collect();
        match set.as_slice() {
            [one] => Ok(one),
            [] => bail!("a step without a verb (start, client, send, expect, ...)"),
            more => bail!("a step with several verbs: {}", more.join(", ")),
        }
    }

    /// The step's hints, in the order they apply: the first that fits a failure wins.
    fn hints(&self) -> [(When, &Option<String>); 7] {
        [
            (When::Unchanged, &self.on_unchanged),
            (When::Kind(FailureKind::Mismatch), &self.on_mismatch),
            (When::Kind(FailureKind::Timeout), &self.on_timeout),
            (When::Kind(FailureKind::Closed), &self.on_closed),
            (When::Kind(FailureKind::Refused), &self.on_refused),
            (When::Kind(FailureKind::Exited), &self.on_exited),
            (When::Any, &self.hint),
        ]
    }

    /// Every hint the step names, for checking them when the lab is loaded.
    fn all_hints(&self) -> impl Iterator<Item = &String> {
        let crowd = [&self.on_alone, &self.on_capped];
        let got = self.on_got.iter().flatten().map(|(_, hint)| hint);
        self.hints().into_iter().map(|(_, h)| h).chain(crowd).flatten().chain(got)
    }
}

/// The roles that `steps` start as servers (`start = ROLE`), in order, each once.
pub fn started_roles(steps: &[Step]) -> Vec<&str> {
    let mut roles: Vec<&str> = Vec::new();
    for step in steps {
        let nested = step.steps.as_deref().map(started_roles).unwrap_or_default();
        for role in step.start.as_deref().into_iter().chain(nested) {
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
    }
    roles
}

/// Which failures a hint of a step is for.
#[derive(Clone)]
enum When {
    Any,
    Kind(FailureKind),
    /// A mismatch that got back exactly what was sent.
    Unchanged,
    /// A mismatch that got back this, as a failure shows what came (see [`shown_forms`]).
    Got(Vec<String>),
}

impl When {
    fn fits(&self, failure: &Failure) -> bool {
        let mismatch = failure.kind == FailureKind::Mismatch;
        match self {
            When::Any => true,
            When::Kind(kind) => failure.kind == *kind,
            When::Unchanged => mismatch && failure.got.is_some() && failure.got == failure.sent,
            When::Got(forms) => mismatch && failure.got.as_ref().is_some_and(|got| forms.contains(got)),
        }
    }
}

/// How a failure shows that `data` came back: as bytes, as a line, as one datagram.
fn shown_forms(data: &[u8]) -> Vec<String> {
    let line = [data, b"\n"].concat();
    vec![escape(data), escape(&line), format!("one datagram: {}", escape(data))]
}

/// Attaches the first of `hints` that fits the failure (unless it has a hint of its
/// own: see [`Hint`]).
fn with_hints<'a>(result: CheckResult, hints: impl IntoIterator<Item = (When, &'a str)>) -> CheckResult {
    let mut result = result;
    for (when, hint) in hints {
        result = match result {
            Err(f) if when.fits(&f) => Err(f).hint(hint),
            other => other,
        };
    }
    result
}

/// What each client of a crowd may do: talk on its own connection.
const TALK: &[&str] =
    &["send", "together", "expect", "expect_line", "expect_regex", "expect_closed", "quiet", "wait_read"];

/// A check's dialogue, checked when its lab is loaded.
pub struct Script {
    lab: &'static LabFile,
    check: &'static CheckFile,
}

impl Script {
    pub fn new(lab: &'static LabFile, check: &'static CheckFile) -> Result<Script> {
        let script = Script { lab, check };
        script.validate(&check.steps)?;
        if let Some(hint) = &check.hint {
            script.hint_text(hint)?;
        }
        Ok(script)
    }

    fn validate(&self, steps: &[Step]) -> Result<()> {
        for (n, step) in steps.iter().enumerate() {
            let verb = step.verb().map_err(|e| anyhow::anyhow!("step {}: {e}", n + 1))?;
            let fail = |why: String| anyhow::anyhow!("step {} ({verb}): {why}", n + 1);
            for role in [&step.start, &step.client].into_iter().flatten() {
                if !self.lab.roles.iter().any(|r| &r.name == role) {
                    return Err(fail(format!("no role {role} in this lab")));
                }
            }
            for re in
                [&step.expect_regex, &step.recv_regex].into_iter().flatten().chain(step.stdout_regex.iter().flatten())
            {
                regex::Regex::new(&render_regex(re, &mut Vars::default()))
                    .map_err(|e| fail(format!("a bad regular expression: {e}")))?;
            }
            if let Some(listen) = &step.listen {
                if listen != "tcp" && listen != "udp" {
                    return Err(fail(format!("listen is \"tcp\" or \"udp\", not {listen:?}")));
                }
            }
            if step.port.as_deref().is_some_and(|p| p != "unused") {
                return Err(fail("port is \"unused\" or not given".to_string()));
            }
            if step.exit.is_some_and(|e| e > 1) {
                return Err(fail("exit is 0 (success) or 1 (a clean failure)".to_string()));
            }
            for hint in step.all_hints() {
                self.hint_text(hint).map_err(|e| fail(e.to_string()))?;
            }
            if verb == "repeat" {
                self.validate(step.steps.as_deref().unwrap_or_default())?;
            } else if let Some(n) = step.crowd {
                if n == 0 {
                    return Err(fail("a crowd has one client or more".to_string()));
                }
                if let Some(ladder) = &step.ladder {
                    if !ladder.windows(2).all(|w| w[0] < w[1]) || !ladder.contains(&n) || ladder[0] == 0 {
                        return Err(fail(format!("the ladder is the crowd's sizes, growing, up to {n} and beyond")));
                    }
                }
                for talk in [&step.greet, &step.steps].into_iter().flatten() {
                    self.validate(talk)?;
                    if let Some(other) = talk.iter().filter_map(|s| s.verb().ok()).find(|v| !TALK.contains(v)) {
                        return Err(fail(format!("a crowd's clients only talk ({}), not {other}", TALK.join(", "))));
                    }
                }
            } else if step.steps.is_some() {
                return Err(fail("steps belong to repeat or crowd".to_string()));
            }
            let crowd_only = [
                ("greet", step.greet.is_some()),
                ("rounds", step.rounds.is_some()),
                ("ladder", step.ladder.is_some()),
                ("on_alone", step.on_alone.is_some()),
                ("on_capped", step.on_capped.is_some()),
            ];
            if let Some((key, _)) = crowd_only.iter().find(|(_, set)| *set && verb != "crowd") {
                return Err(fail(format!("{key} belongs to crowd")));
            }
        }
        Ok(())
    }

    /// A hint's text: itself, or the lab's hint it names with `@NAME`.
    fn hint_text<'a>(&'a self, hint: &'a str) -> Result<&'a str> {
        match hint.strip_prefix('@') {
            Some(name) => match self.lab.hints.get(name) {
                Some(text) => Ok(text),
                None => bail!("no hint {name} in the lab's [hints]"),
            },
            None => Ok(hint),
        }
    }

    /// A step's hints as texts, in the order they apply.
    fn hints_of<'a>(&'a self, step: &'a Step) -> impl Iterator<Item = (When, &'a str)> {
        step.hints()
            .into_iter()
            .filter_map(|(when, hint)| hint.as_deref().map(|h| (when, self.hint_text(h).unwrap_or(h))))
    }

    fn is_udp(&self, role: &str) -> bool {
        self.lab.roles.iter().any(|r| r.name == role && r.udp)
    }
}

/// A step's result, where `ignore` makes its failure not the check's (but a grader
/// error, or a check that cannot run here).
fn ignoring(step: &Step, result: CheckResult) -> CheckResult {
    match result {
        Err(f) if step.ignore == Some(true) && !matches!(f.kind, FailureKind::GraderError | FailureKind::Skipped) => {
            Ok(())
        }
        other => other,
    }
}

/// Runs `script` as one check.
pub fn run(script: &Script, h: &mut Harness) -> CheckResult {
    let mut state = State { script: Some(script), vars: Vars::default(), ..State::default() };
    let result = state.steps(&script.check.steps, h);
    match &script.check.hint {
        Some(hint) => result.hint(script.hint_text(hint).unwrap_or(hint)),
        None => result,
    }
}

/// The values of `{NAME}` in a check: words picked once per check, `{i}` of a repeat,
/// `{recv}` the last datagram or line received.
#[derive(Default)]
struct Vars {
    picked: HashMap<String, String>,
    used: HashMap<String, Vec<usize>>,
    i: Option<u32>,
    recv: String,
    /// In a crowd: the client's number in the check, and the round's.
    client: Option<usize>,
    round: Option<u32>,
}

/// What a check has going: its programs, connections and the grader's peers.
#[derive(Default)]
struct State<'s> {
    script: Option<&'s Script>,
    vars: Vars,
    tcp_server: Option<Server>,
    udp_server: Option<UdpServer>,
    conns: Vec<(String, Link)>,
    peer_tcp: Option<ScriptedServer>,
    peer_udp: Option<ScriptedUdpServer>,
    datagram: Option<Datagram>,
    client: Option<Client>,
    client_role: String,
    run: Option<ClientRun>,
    /// Connections made to the TCP server so far, crowds' included: the harness names
    /// them `client 1`, `client 2`, ... in this order.
    connected: usize,
}

enum Link {
    Tcp(Conn),
    Udp(UdpConn),
}

impl<'s> State<'s> {
    fn script(&self) -> &'s Script {
        self.script.expect("set")
    }

    fn steps(&mut self, steps: &[Step], h: &mut Harness) -> CheckResult {
        for step in steps {
            let result = self.step(step, h);
            let got = match (&result, &step.on_got) {
                (Err(f), Some(known)) if f.kind == FailureKind::Mismatch => self.known_answers(known, h),
                _ => Vec::new(),
            };
            let got = got.iter().map(|(when, hint)| (when.clone(), hint.as_str()));
            let result = with_hints(result, got.chain(self.script().hints_of(step)));
            ignoring(step, result)?;
        }
        Ok(())
    }

    /// A step's `on_got`, its texts rendered.
    fn known_answers(&mut self, known: &[(String, String)], h: &mut Harness) -> Vec<(When, String)> {
        let script = self.script();
        known
            .iter()
            .map(|(text, hint)| {
                (When::Got(shown_forms(&self.text(text, h))), script.hint_text(hint).unwrap_or(hint).into())
            })
            .collect()
    }

    fn text(&mut self, template: &str, h: &mut Harness) -> Vec<u8> {
        let lab = self.script().lab;
        render(template, &mut self.vars, lab, h.rng())
    }

    fn pattern(&mut self, template: &str, h: &mut Harness) -> regex::Regex {
        let lab = self.script().lab;
        let pattern = render_regex_with(template, &mut self.vars, lab, h.rng());
        regex::Regex::new(&pattern).expect("checked when the lab was loaded")
    }

    fn link(&mut self, name: Option<&str>) -> Result<&mut Link, Failure> {
        let index = match name.filter(|n| !n.is_empty()) {
            Some(name) => self.conns.iter().rposition(|(n, _)| n == name),
            None => self.conns.len().checked_sub(1),
        };
        match index {
            Some(i) => Ok(&mut self.conns[i].1),
            None => Err(Failure::grader(format!("the check's step uses a connection ({name:?}) it has not made"))),
        }
    }

    fn finished(&mut self) -> Result<&ClientRun, Failure> {
        if self.run.is_none() {
            let client = self.client.take().ok_or_else(|| Failure::grader("the check's step needs a client"))?;
            self.run = Some(client.finish()?);
        }
        Ok(self.run.as_ref().expect("set above"))
    }

    fn step(&mut self, step: &Step, h: &mut Harness) -> CheckResult {
        let on = step.on.as_deref();
        let within = |secs: Option<f64>, default: Duration| secs.map(Duration::from_secs_f64).unwrap_or(default);
        if let Some(role) = &step.start {
            let args = self.args(step, h);
            let start = h.server(role).args(args);
            if self.script().is_udp(role) {
                self.udp_server = Some(start.start_udp()?);
            } else {
                self.tcp_server = Some(start.start()?);
            }
        } else if let Some(role) = &step.client {
            let args = self.args(step, h);
            let stdin = step.stdin.as_ref().map(|s| self.text(s, h));
            let port = if step.port.is_some() {
                let port = h.unused_port()?;
                let what = if self.script().is_udp(role) { "is bound to UDP" } else { "listens on" };
                h.note(format!("nothing {what} 127.0.0.1:{port}"));
                Some(port)
            } else {
                self.peer_tcp.as_ref().map(|p| p.port()).or(self.peer_udp.as_ref().map(|p| p.port()))
            };
            let mut start = h.client(role).args(args);
            if let Some(port) = port {
                start = start.port(port);
            }
            if let Some(stdin) = stdin {
                start = start.stdin(stdin);
            }
            self.client_role = role.clone();
            self.run = None;
            self.client = Some(start.start()?);
        } else if let Some(proto) = &step.listen {
            if proto == "udp" {
                self.peer_udp = Some(h.scripted_udp_server()?);
            } else {
                self.peer_tcp = Some(h.scripted_server()?);
            }
        } else if step.accept.is_some() {
            let client = self.client.as_ref().ok_or_else(|| Failure::grader("accept needs a client"))?;
            let peer = self.peer_tcp.as_mut().ok_or_else(|| Failure::grader("accept needs listen = \"tcp\""))?;
            let conn = peer.accept(client)?;
            self.conns.push((String::new(), Link::Tcp(conn)));
        } else if let Some(name) = &step.connect {
            let link = match (&mut self.tcp_server, &mut self.udp_server) {
                (_, Some(udp)) => Link::Udp(udp.socket()?),
                (Some(tcp), None) => {
                    self.connected += 1;
                    Link::Tcp(tcp.connect()?)
                }
                (None, None) => return Err(Failure::grader("connect needs a server: start one first")),
            };
            self.conns.push((name.clone(), link));
        } else if let Some(data) = &step.send {
            let data = self.text(data, h);
            let how = fragments(step);
            match (self.link(on)?, how) {
                (Link::Tcp(c), Some(how)) => c.send_fragments(&data, &how)?,
                (Link::Tcp(c), None) => c.send(&data)?,
                (Link::Udp(_), _) if data.len() > udp::MAX_DATAGRAM => {
                    return Err(Failure::grader(format!("a datagram of {} bytes is more than UDP carries", data.len())))
                }
                (Link::Udp(s), _) => s.send(&data)?,
            }
        } else if let Some(messages) = &step.together {
            let messages: Vec<Vec<u8>> = messages.iter().map(|m| self.text(m, h)).collect();
            match self.link(on)? {
                Link::Tcp(c) => c.send_together(&messages, &Fragments::whole())?,
                Link::Udp(_) => return Err(Failure::grader("together is for TCP: UDP sends one datagram a send")),
            }
        } else if let Some(data) = &step.expect {
            let data = self.text(data, h);
            match self.link(on)? {
                Link::Tcp(c) => c.expect_bytes(&data)?,
                Link::Udp(s) => s.expect_datagram(&data)?,
            }
        } else if let Some(line) = &step.expect_line {
            let want = String::from_utf8_lossy(&self.text(line, h)).into_owned();
            let why = step.why.as_deref();
            let got = match self.link(on)? {
                Link::Tcp(c) => expect_line(c, &want, why)?,
                Link::Udp(s) => {
                    let got = s.recv()?;
                    if got != want.as_bytes() {
                        return Err(because(s.wrong_datagram(want.as_bytes(), &got), why));
                    }
                    want
                }
            };
            self.vars.recv = got;
        } else if let Some(re) = &step.expect_regex {
            let re = self.pattern(re, h);
            let got = match self.link(on)? {
                Link::Tcp(c) => expect_line_matching(c, &re)?,
                Link::Udp(s) => {
                    let got = String::from_utf8_lossy(&s.recv()?).into_owned();
                    if !re.is_match(&got) {
                        return Err(s.wrong_datagram(format!("a datagram matching {re}").as_bytes(), got.as_bytes()));
                    }
                    got
                }
            };
            self.vars.recv = got;
        } else if step.expect_closed.is_some() {
            match self.link(on)? {
                Link::Tcp(c) => c.expect_closed()?,
                Link::Udp(_) => return Err(Failure::grader("expect_closed is for TCP")),
            }
        } else if let Some(secs) = step.quiet {
            let window = Duration::from_secs_f64(secs);
            let why = step.why.as_deref().unwrap_or("when it should have waited");
            if on.is_none() && self.conns.is_empty() {
                // The grader's UDP peer: only what the client sends again is allowed.
                let peer = self.peer_udp.as_mut().ok_or_else(|| Failure::grader("quiet needs a connection"))?;
                let role = self.client_role.clone();
                let last = self.datagram.as_ref().map(|d| d.data.clone());
                if let Some(more) = peer.collect(window, &role)?.into_iter().find(|d| Some(&d.data) != last.as_ref()) {
                    return Err(Failure::mismatch(format!("{role} sent a datagram {why}"))
                        .expected("nothing, or the last datagram again".to_string())
                        .got(format!("one datagram: {}", escape(&more.data))));
                }
            } else {
                match self.link(on)? {
                    Link::Tcp(c) => c.expect_quiet(window, why)?,
                    Link::Udp(s) => s.expect_quiet(window, why)?,
                }
            }
        } else if step.wait_read.is_some() {
            match self.link(on)? {
                Link::Tcp(c) => {
                    c.wait_peer_read(step.why.as_deref().unwrap_or("what was sent"))?;
                }
                Link::Udp(_) => return Err(Failure::grader("wait_read is for TCP")),
            }
        } else if let Some(name) = step.close.as_deref().or(step.abort.as_deref()) {
            let index = match name {
                "" => self.conns.len().checked_sub(1),
                name => self.conns.iter().rposition(|(n, _)| n == name),
            }
            .ok_or_else(|| Failure::grader(format!("no connection {name:?} to close")))?;
            let (_, link) = self.conns.remove(index);
            match link {
                Link::Tcp(c) if step.abort.is_some() => c.abort(),
                other => drop(other),
            }
        } else if let Some(when) = &step.alive {
            self.alive(when, None)?;
        } else if let Some(secs) = step.alive_for {
            let when = step.why.as_deref().unwrap_or("a moment later");
            self.alive(when, Some(Duration::from_secs_f64(secs)))?;
        } else if step.recv.is_some() || step.recv_regex.is_some() {
            let patience = within(step.within, h.timeouts().startup);
            let client = self.client.as_ref().ok_or_else(|| Failure::grader("recv needs a client"))?;
            let peer = self.peer_udp.as_mut().ok_or_else(|| Failure::grader("recv needs listen = \"udp\""))?;
            let previous = self.datagram.as_ref().map(|d| d.data.clone());
            let d = loop {
                let d = peer.recv_within(client, patience, "a datagram")?;
                if step.skip_repeats != Some(true) || Some(&d.data) != previous.as_ref() {
                    break d;
                }
            };
            let role = self.client_role.clone();
            let got = d.text();
            self.vars.recv = got.clone();
            self.datagram = Some(d.clone());
            let (ok, want) = match (&step.recv, &step.recv_regex) {
                (Some(want), _) => {
                    let want = self.text(want, h);
                    let line = step.newline_ok == Some(true);
                    let text = match d.data.strip_suffix(b"\n") {
                        Some(text) if line => text.strip_suffix(b"\r").unwrap_or(text),
                        _ => &d.data,
                    };
                    (text == want, escape(&want))
                }
                (None, Some(re)) => {
                    let re = self.pattern(re, h);
                    (re.is_match(&got), format!("matching {re}"))
                }
                (None, None) => unreachable!("one of them is set"),
            };
            if !ok {
                let failure = Failure::mismatch(format!("{role} sent a wrong datagram"))
                    .expected(format!("one datagram: {want}"))
                    .got(format!("one datagram: {}", escape(&d.data)));
                return Err(because(failure, step.why.as_deref()));
            }
        } else if let Some(data) = &step.reply {
            let data = self.text(data, h);
            let to = self.datagram.clone().ok_or_else(|| Failure::grader("reply needs a datagram received"))?;
            let peer = self.peer_udp.as_mut().ok_or_else(|| Failure::grader("reply needs listen = \"udp\""))?;
            peer.reply(&to, data)?;
        } else if step.lose.is_some() {
            let d = self.datagram.clone().ok_or_else(|| Failure::grader("lose needs a datagram received"))?;
            self.peer_udp.as_mut().ok_or_else(|| Failure::grader("lose needs listen = \"udp\""))?.lose(&d);
        } else if step.finish.is_some() {
            // The connections to the client end with it (a client waits for the close).
            self.conns.clear();
            self.finished()?;
        } else if let Some(code) = step.exit {
            self.conns.clear();
            let udp = self.script().is_udp(&self.client_role);
            let run = self.finished()?;
            if code == 0 {
                run.expect_success()?;
            } else if udp {
                run.expect_clean_failure().map_err(udp::explain_refused)?;
            } else {
                run.expect_clean_failure()?;
            }
        } else if let Some(lines) = &step.stdout {
            let lines: Vec<String> =
                lines.iter().map(|l| String::from_utf8_lossy(&self.text(l, h)).into_owned()).collect();
            self.conns.clear();
            self.finished()?.expect_stdout(&lines)?;
        } else if let Some(patterns) = &step.stdout_regex {
            let patterns: Vec<regex::Regex> = patterns.iter().map(|p| self.pattern(p, h)).collect();
            self.conns.clear();
            expect_stdout_matching(self.finished()?, &patterns)?;
        } else if let Some(note) = &step.note {
            let note = String::from_utf8_lossy(&self.text(note, h)).into_owned();
            h.note(note);
        } else if let Some(n) = step.crowd {
            self.crowd(step, n, h)?;
        } else if let Some(times) = step.repeat {
            let saved = self.vars.i;
            for i in 1..=times {
                self.vars.i = Some(i);
                self.steps(step.steps.as_deref().unwrap_or_default(), h)?;
            }
            self.vars.i = saved;
        }
        Ok(())
    }

    /// A crowd of `n` clients of the TCP server, after the smaller rungs of its ladder.
    fn crowd(&mut self, step: &Step, n: usize, h: &mut Harness) -> CheckResult {
        let script = self.script();
        let server = self.tcp_server.as_mut().ok_or_else(|| Failure::grader("crowd needs a TCP server: start one"))?;
        let rungs = match &step.ladder {
            Some(ladder) => &ladder[..=ladder.iter().position(|&k| k == n).expect("checked when the lab was loaded")],
            None => std::slice::from_ref(&n),
        };
        let has_steps = step.steps.as_ref().is_some_and(|s| !s.is_empty());
        let ladder = Ladder {
            rungs,
            shown: step.ladder.as_deref(),
            rounds: step.rounds.unwrap_or(if has_steps { 1 } else { 0 }),
        };
        let mut clients = CrowdTalk { script, step, vars: &mut self.vars, h };
        server.climb(&ladder, &mut clients)
    }

    fn args(&mut self, step: &Step, h: &mut Harness) -> Vec<String> {
        let args = step.args.clone().unwrap_or_default();
        args.iter().map(|a| String::from_utf8_lossy(&self.text(a, h)).into_owned()).collect()
    }

    fn alive(&self, when: &str, window: Option<Duration>) -> CheckResult {
        match (&self.tcp_server, &self.udp_server, window) {
            (Some(s), _, Some(w)) => s.expect_alive_for(w, when),
            (Some(s), _, None) => s.expect_alive(when),
            (None, Some(s), Some(w)) => s.expect_alive_for(w, when),
            (None, Some(s), None) => s.expect_alive(when),
            (None, None, _) => Err(Failure::grader("alive needs a server")),
        }
    }
}

/// What a step says about how `send` cuts its bytes into writes.
fn fragments(step: &Step) -> Option<Fragments> {
    let how = match (&step.split, step.every) {
        (Some(at), _) => Fragments::at(at.iter().copied()),
        (None, Some(n)) => Fragments::every(n),
        (None, None) => return None,
    };
    Some(match step.gap {
        Some(gap) => how.with_gap(Duration::from_secs_f64(gap)),
        None => how,
    })
}

/// `why` says where an expected text comes from: `"the line it read from stdin"`.
fn because(failure: Failure, why: Option<&str>) -> Failure {
    match (why, &failure.expected) {
        (Some(why), Some(expected)) => {
            let expected = format!("{expected} ({why})");
            failure.expected(expected)
        }
        _ => failure,
    }
}

/// One line from the program, equal to `want`.
fn expect_line(c: &mut Conn, want: &str, why: Option<&str>) -> Result<String, Failure> {
    let got = c.read_line()?;
    if got == want {
        return Ok(got);
    }
    let mut failure = c.wrong_line(want, &got);
    if c.is_program_opened() {
        // The program is the client here: what it sends is a request.
        failure.summary = format!("{} sent a wrong request line", c.peer());
    }
    Err(because(failure, why))
}

/// One line from the program, matching `re`.
fn expect_line_matching(c: &mut Conn, re: &regex::Regex) -> Result<String, Failure> {
    let got = c.read_line()?;
    if !re.is_match(&got) {
        return Err(c.wrong_line(&format!("a line matching {re}"), &got));
    }
    Ok(got)
}

/// A crowd's steps as one client plays them: its texts rendered, its hints resolved.
struct Said {
    talk: Talk,
    hints: Vec<(When, String)>,
    ignore: bool,
}

enum Talk {
    Send(Vec<u8>, Option<Fragments>),
    Together(Vec<Vec<u8>>),
    Expect(Vec<u8>),
    Line(String, Option<String>),
    Regex(regex::Regex),
    Closed,
    Quiet(Duration, String),
    WaitRead(String),
}

impl Talk {
    fn run(&self, c: &mut Conn) -> CheckResult {
        match self {
            Talk::Send(data, Some(how)) => c.send_fragments(data, how),
            Talk::Send(data, None) => c.send(data),
            Talk::Together(messages) => c.send_together(messages, &Fragments::whole()),
            Talk::Expect(data) => c.expect_bytes(data),
            Talk::Line(want, why) => expect_line(c, want, why.as_deref()).map(drop),
            Talk::Regex(re) => expect_line_matching(c, re).map(drop),
            Talk::Closed => c.expect_closed(),
            Talk::Quiet(window, why) => c.expect_quiet(*window, why),
            Talk::WaitRead(what) => c.wait_peer_read(what).map(drop),
        }
    }
}

/// The clients of a `crowd` step.
struct CrowdTalk<'a> {
    script: &'a Script,
    step: &'a Step,
    vars: &'a mut Vars,
    h: &'a mut Harness,
}

impl CrowdTalk<'_> {
    fn said(&mut self, step: &Step) -> Said {
        let lab = self.script.lab;
        let mut text = |t: &str| render(t, self.vars, lab, self.h.rng());
        let talk = if let Some(data) = &step.send {
            Talk::Send(text(data), fragments(step))
        } else if let Some(messages) = &step.together {
            Talk::Together(messages.iter().map(|m| text(m)).collect())
        } else if let Some(data) = &step.expect {
            Talk::Expect(text(data))
        } else if let Some(line) = &step.expect_line {
            Talk::Line(String::from_utf8_lossy(&text(line)).into_owned(), step.why.clone())
        } else if let Some(re) = &step.expect_regex {
            let pattern = render_regex_with(re, self.vars, lab, self.h.rng());
            Talk::Regex(regex::Regex::new(&pattern).expect("checked when the lab was loaded"))
        } else if step.expect_closed.is_some() {
            Talk::Closed
        } else if let Some(secs) = step.quiet {
            let why = step.why.as_deref().unwrap_or("when it should have waited");
            Talk::Quiet(Duration::from_secs_f64(secs), why.to_string())
        } else {
            Talk::WaitRead(step.why.clone().unwrap_or_else(|| "what was sent".to_string()))
        };
        let known = step.on_got.iter().flatten().map(|(text, hint)| {
            let text = render(text, self.vars, lab, self.h.rng());
            (When::Got(shown_forms(&text)), self.script.hint_text(hint).unwrap_or(hint).to_string())
        });
        let known: Vec<(When, String)> = known.collect();
        let hints = known.into_iter().chain(self.script.hints_of(step).map(|(when, hint)| (when, hint.to_string())));
        Said { talk, hints: hints.collect(), ignore: step.ignore == Some(true) }
    }
}

impl Crowding for CrowdTalk<'_> {
    type Said = Vec<Said>;

    fn prepare(&mut self, first: usize, n: usize, phase: Phase) -> Vec<Vec<Said>> {
        let (steps, round) = match phase {
            Phase::Greet => (self.step.greet.as_deref(), None),
            Phase::Round(round) => (self.step.steps.as_deref(), Some(round)),
        };
        let steps = steps.unwrap_or_default();
        let mut all = Vec::with_capacity(n);
        for client in first..first + n {
            (self.vars.client, self.vars.round) = (Some(client), round);
            all.push(steps.iter().map(|step| self.said(step)).collect());
        }
        (self.vars.client, self.vars.round) = (None, None);
        all
    }

    fn talk(said: &Vec<Said>, conn: &mut Conn) -> CheckResult {
        for s in said {
            let result = with_hints(s.talk.run(conn), s.hints.iter().map(|(when, hint)| (when.clone(), hint.as_str())));
            match result {
                Err(f) if s.ignore && !matches!(f.kind, FailureKind::GraderError | FailureKind::Skipped) => {}
                other => other?,
            }
        }
        Ok(())
    }

    /// The first of the step's hints that fits: `on_mismatch`, `on_alone`, `on_capped`,
    /// then the others by kind, then `hint`.
    fn hint(&self, n: usize, kind: FailureKind, passed: Option<usize>) -> Option<String> {
        let step = self.step;
        let fits = [
            (kind == FailureKind::Mismatch, &step.on_mismatch),
            (n == 1, &step.on_alone),
            (kind == FailureKind::Timeout && passed.is_some_and(|k| k > 1), &step.on_capped),
            (kind == FailureKind::Timeout, &step.on_timeout),
            (kind == FailureKind::Closed, &step.on_closed),
            (kind == FailureKind::Refused, &step.on_refused),
            (kind == FailureKind::Exited, &step.on_exited),
            (true, &step.hint),
        ];
        let hint = fits.into_iter().find_map(|(fits, hint)| hint.as_deref().filter(|_| fits))?;
        Some(self.script.hint_text(hint).unwrap_or(hint).to_string())
    }
}

/// A client's stdout, each line matching its pattern (a trailing empty line allowed).
fn expect_stdout_matching(run: &ClientRun, patterns: &[regex::Regex]) -> CheckResult {
    let mut got = run.lines();
    while got.last().is_some_and(|l| l.is_empty()) {
        got.pop();
    }
    let wrong = got.iter().zip(patterns).position(|(line, re)| !re.is_match(line));
    if wrong.is_none() && got.len() == patterns.len() {
        return Ok(());
    }
    let expected: Vec<String> = patterns.iter().map(|p| format!("a line matching {p}")).collect();
    let mut failure = Failure::mismatch(format!("{} printed the wrong output", run.role))
        .expected(expected.join("\n"))
        .got(if got.is_empty() { "nothing on stdout".to_string() } else { got.join("\n") });
    failure = match wrong {
        Some(line) => failure.detail(format!("the first wrong line is line {}", line + 1)),
        None => failure.detail(format!("{} lines, not {}", got.len(), patterns.len())),
    };
    Err(harness::diagnose::explain_stderr(failure, &run.role, &run.stderr))
}

/// The text of a step: `{NAME}` replaced (see [`value`]), then `\xNN`, `\n`, `\r`,
/// `\t` and `\\` in the written parts made the bytes they name.
fn render(template: &str, vars: &mut Vars, lab: &LabFile, rng: &mut fastrand::Rng) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in pieces(template) {
        match piece {
            Piece::Text(text) => out.extend(unescape(text)),
            Piece::Var(name) => match value(name, vars, lab, rng) {
                Some(v) => out.extend(v),
                None => out.extend(format!("{{{name}}}").into_bytes()),
            },
        }
    }
    out
}

/// A regular expression of a step: `{NAME}` replaced by its value, escaped; anything
/// else (such as `{3}`) left to the regular expression.
fn render_regex_with(template: &str, vars: &mut Vars, lab: &LabFile, rng: &mut fastrand::Rng) -> String {
    let mut out = String::new();
    for piece in pieces(template) {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Var(name) => match value(name, vars, lab, rng) {
                Some(v) => out.push_str(&regex::escape(&String::from_utf8_lossy(&v))),
                None => out.push_str(&format!("{{{name}}}")),
            },
        }
    }
    out
}

/// For checking a regular expression when a lab is loaded: names stand for a word.
fn render_regex(template: &str, _vars: &mut Vars) -> String {
    let mut out = String::new();
    for piece in pieces(template) {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Var(name) if is_name(name) => out.push_str("word"),
            Piece::Var(name) => out.push_str(&format!("{{{name}}}")),
        }
    }
    out
}

enum Piece<'a> {
    Text(&'a str),
    Var(&'a str),
}

fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else { break };
        out.push(Piece::Text(&rest[..open]));
        out.push(Piece::Var(&rest[open + 1..close]));
        rest = &rest[close + 1..];
    }
    out.push(Piece::Text(rest));
    out
}

fn is_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "_-|:".contains(c))
}

/// The value of `{NAME}` or `{NAME|upper}` / `{NAME|lower}` / `{NAME|ascii_upper}`:
/// - `i`: the count of the innermost `repeat`, from 1;
/// - `client`, `round`: in a crowd, the client's number in the check and the round's;
/// - `recv`: the last datagram (or line) received from the program;
/// - `bytes`: every byte value, 0 to 255; `digits:N`: N bytes of counting digits;
/// - a list of the lab's `[lists]`, with an optional number: `{words}`, `{words2}`, ...
///   each a different word of `words`, picked once per check with its seed.
fn value(name: &str, vars: &mut Vars, lab: &LabFile, rng: &mut fastrand::Rng) -> Option<Vec<u8>> {
    let (name, filter) = match name.split_once('|') {
        Some((name, filter)) => (name, Some(filter)),
        None => (name, None),
    };
    let raw: Vec<u8> = if name == "i" {
        vars.i?.to_string().into_bytes()
    } else if name == "recv" {
        vars.recv.clone().into_bytes()
    } else if name == "client" {
        vars.client?.to_string().into_bytes()
    } else if name == "round" {
        vars.round?.to_string().into_bytes()
    } else if name == "bytes" {
        (0..=255u8).collect()
    } else if let Some(n) = name.strip_prefix("digits:") {
        let n: usize = n.parse().ok()?;
        (0..n).map(|i| b"0123456789"[i % 10]).collect()
    } else {
        let list_name = name.trim_end_matches(|c: char| c.is_ascii_digit());
        let list = lab.lists.get(list_name)?;
        if !vars.picked.contains_key(name) {
            let used = vars.used.entry(list_name.to_string()).or_default();
            let free: Vec<usize> = (0..list.len()).filter(|i| !used.contains(i)).collect();
            let pick = if free.is_empty() { rng.usize(..list.len()) } else { free[rng.usize(..free.len())] };
            used.push(pick);
            vars.picked.insert(name.to_string(), list[pick].clone());
        }
        vars.picked[name].clone().into_bytes()
    };
    Some(match filter {
        Some("upper") => String::from_utf8_lossy(&raw).to_uppercase().into_bytes(),
        Some("lower") => String::from_utf8_lossy(&raw).to_lowercase().into_bytes(),
        // a to z only, as a program that knows no other letters does.
        Some("ascii_upper") => raw.to_ascii_uppercase(),
        _ => raw,
    })
}

/// `\xNN`, `\n`, `\r`, `\t`, `\0` and `\\` as the bytes they name; any other text as
/// its UTF-8 bytes.
fn unescape(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 1 < bytes.len() {
            let next = bytes[i + 1];
            let simple = match next {
                b'n' => Some(b'\n'),
                b'r' => Some(b'\r'),
                b't' => Some(b'\t'),
                b'0' => Some(0),
                b'\\' => Some(b'\\'),
                _ => None,
            };
            if let Some(b) = simple {
                out.push(b);
                i += 2;
                continue;
            }
            if next == b'x' && i + 4 <= bytes.len() && text.is_char_boundary(i + 4) {
                if let Ok(b) = u8::from_str_radix(&text[i + 2..i + 4], 16) {
                    out.push(b);
                    i += 4;
                    continue;
                }
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_name_bytes() {
        assert_eq!(unescape(r"a\x00\xffb\n\\x"), b"a\x00\xffb\n\\x".to_vec());
    }

    #[test]
    fn unchanged_is_a_mismatch_that_got_back_what_was_sent() {
        let echoed = Failure::mismatch("x").sent("\"abc\"").got("\"abc\"");
        assert!(When::Unchanged.fits(&echoed));
        assert!(!When::Unchanged.fits(&Failure::mismatch("x").sent("\"abc\"").got("\"ABc\"")));
        assert!(!When::Unchanged.fits(&Failure::new(FailureKind::Timeout, "x").sent("\"a\"").got("\"a\"")));
        assert!(!When::Unchanged.fits(&Failure::mismatch("x")));
    }

    #[test]
    fn got_fits_a_known_wrong_answer_as_bytes_a_line_or_a_datagram() {
        let known = When::Got(shown_forms("пРИВЕТ".as_bytes()));
        for got in ["\"пРИВЕТ\"", "\"пРИВЕТ\\n\"", "one datagram: \"пРИВЕТ\""] {
            assert!(known.fits(&Failure::mismatch("x").got(got)), "{got}");
        }
        assert!(!known.fits(&Failure::mismatch("x").got("\"ПРИВЕТ\"")));
        assert!(!known.fits(&Failure::new(FailureKind::Closed, "x").got("\"пРИВЕТ\"")));
    }

    #[test]
    fn names_pick_different_words_and_keep_them() {
        let lab: LabFile = toml::from_str("title = \"t\"\n[lists]\nw = [\"a\", \"b\"]\n").unwrap();
        let mut vars = Vars::default();
        let mut rng = fastrand::Rng::with_seed(1);
        let text = render("{w} {w2} {w} {w|upper} {x}", &mut vars, &lab, &mut rng);
        let text = String::from_utf8(text).unwrap();
        let words: Vec<&str> = text.split(' ').collect();
        assert_ne!(words[0], words[1]);
        assert_eq!(words[0], words[2]);
        assert_eq!(words[3], words[0].to_uppercase());
        assert_eq!(words[4], "{x}");
    }
}

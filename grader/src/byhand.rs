//! From a check's transcript to the commands that do the same by hand.
//!
//! `grader explain` runs a check once and shows its transcript; this module reads that
//! transcript back and derives the steps a student types to repeat it: each program's
//! `cargo run` line as it was started, and for each peer the grader played, a
//! `grader send` line (connect or `--listen`, TCP or UDP) with the exact bytes it sent,
//! in the transcript's own notation. Nothing here knows a lab: it reads the transcript's
//! notation (`$`, `>`, `<`, `[label]`, `one datagram:`), so it cannot drift from what
//! the checks do.
//!
//! The grader's random ports are replaced with each role's default port (the ports a
//! student uses by hand); everything else is left as it was.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use harness::transcript::{Event, EventKind};
use labs::registry::Lab;

/// The most texts shown in one `grader send` line, and the most peers shown.
const MAX_TEXTS: usize = 20;
const MAX_PEERS: usize = 4;
/// A message longer than this (as escaped) is left out of a command: nobody types it.
const MAX_TYPED: usize = 160;

/// The random ports of a transcript mapped to the roles' default ports, where that is
/// unambiguous (two ports that would both become the same default port are left).
pub fn port_map(lab: &Lab, events: &[Event]) -> HashMap<u16, u16> {
    let mut map: HashMap<u16, u16> = HashMap::new();
    for event in events.iter().filter(|e| e.kind == EventKind::Command) {
        let Ok(words) = shell_words::split(&event.text) else { continue };
        let after = |flag: &str| words.iter().position(|w| w == flag).and_then(|i| words.get(i + 1));
        let Some(role) = after("--bin").and_then(|bin| lab.roles.iter().find(|r| r.name == bin.as_str())) else {
            continue;
        };
        if let Some(port) = after("--port").and_then(|p| p.parse::<u16>().ok()) {
            map.entry(port).or_insert(role.default_port);
        }
    }
    let mut seen: HashMap<u16, usize> = HashMap::new();
    for to in map.values() {
        *seen.entry(*to).or_default() += 1;
    }
    map.retain(|from, to| seen[to] == 1 && from != to);
    map
}

/// `text` with every port of `map` replaced, where it stands as a number of its own,
/// and the grader's temporary folders (`/tmp/socket-labs-logs-x7Yz9q`) named as a
/// student would name them (`logs`).
pub fn localize(text: &str, map: &HashMap<u16, u16>) -> String {
    let text = &plain_folders(text);
    if map.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_digit()) {
            let end = (i..bytes.len()).find(|&j| !bytes[j].is_ascii_digit()).unwrap_or(bytes.len());
            // A dotted number (an address such as 127.0.0.1) is not a port.
            let dotted = (i > 0 && bytes[i - 1] == b'.') || bytes.get(end) == Some(&b'.');
            match text[i..end].parse::<u16>().ok().and_then(|p| map.get(&p)) {
                Some(to) if !dotted => out.push_str(&to.to_string()),
                _ => out.push_str(&text[i..end]),
            }
            i = end;
        } else {
            let c = text[i..].chars().next().expect("inside the text");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn plain_folders(text: &str) -> String {
    const MARK: &str = "socket-labs-";
    if !text.contains(MARK) {
        return text.to_string();
    }
    let tmp = std::env::temp_dir();
    let tmp = tmp.to_string_lossy();
    let words: Vec<String> = text
        .split(' ')
        .map(|word| {
            let Some(at) = word.find(MARK) else { return word.to_string() };
            let (path, name) = (&word[..at], &word[at + MARK.len()..]);
            if !path.trim_end_matches('/').starts_with(tmp.trim_end_matches('/')) && !path.starts_with("/tmp/") {
                return word.to_string();
            }
            // The name less its random suffix, and any file inside it.
            let (folder, inside) = name.split_once('/').map_or((name, ""), |(f, i)| (f, i));
            let plain = folder.rsplit_once('-').map_or(folder, |(plain, _)| plain);
            if inside.is_empty() {
                plain.to_string()
            } else {
                format!("{plain}/{inside}")
            }
        })
        .collect();
    words.join(" ")
}

/// One thing to type, in order.
#[derive(Debug, PartialEq)]
pub struct Step {
    /// Whom it plays: `hello-server`, `client 1`, `the server, for hello-client`.
    pub who: String,
    pub command: String,
    /// What the command cannot repeat exactly (a cut message, a lost datagram).
    pub caveat: Option<String>,
}

/// A peer the grader played: one connection or one UDP socket.
struct Peer {
    label: String,
    /// Index of its first event.
    first: usize,
    /// The grader spoke first (connect, send) rather than waiting (listen).
    active: bool,
    udp: bool,
    addr: Option<SocketAddr>,
    /// What it sent, as escaped, and whether that is all of it (a long message is
    /// shown cut after its first bytes).
    texts: Vec<(String, bool)>,
    /// Two sends in a row: one message written in pieces.
    pieces: bool,
    /// Known only from the grader's note that it set this peer up (nothing came).
    noted: bool,
}

/// The steps that repeat `events` (already localized) by hand; `send` is how the
/// student runs the grader (`cargo grader send`).
pub fn steps(events: &[Event], send: &str) -> Vec<Step> {
    let mut peers: Vec<Peer> = Vec::new();
    let mut last_was_sent: HashMap<String, bool> = HashMap::new();
    for (i, event) in events.iter().enumerate() {
        let (sent, received) = (event.kind == EventKind::Sent, event.kind == EventKind::Received);
        if !sent && !received {
            continue;
        }
        let Some((label, rest)) = split_label(&event.text) else { continue };
        let key = peer_key(label);
        let index = match peers.iter().position(|p| p.label == key) {
            Some(index) => index,
            None => {
                peers.push(Peer {
                    label: key.clone(),
                    first: i,
                    active: sent,
                    udp: false,
                    addr: address_in(label),
                    texts: Vec::new(),
                    pieces: false,
                    noted: false,
                });
                peers.len() - 1
            }
        };
        let peer = &mut peers[index];
        let (udp, data) = match rest.strip_prefix("one datagram: ") {
            Some(data) => (true, data),
            None => (false, rest),
        };
        peer.udp |= udp || peer.addr.is_some_and(|a| a.ip().is_multicast());
        if sent {
            let (inner, whole) = quoted(data);
            let again = last_was_sent.get(&key) == Some(&true);
            peer.pieces |= again;
            match peer.texts.last_mut() {
                // The grader's side answers with what it sent in a row as one write:
                // `--listen` waits for the program between TEXTs.
                Some((text, all)) if again && !peer.active => {
                    text.push_str(&inner);
                    *all &= whole;
                }
                _ => peer.texts.push((inner, whole)),
            }
        }
        last_was_sent.insert(key, sent);
    }

    // Where each peer talks to: its label, a note about it, or the program it talks to.
    for peer in &mut peers {
        if peer.addr.is_none() || !peer.active {
            let note = events[..peer.first].iter().rev().find_map(|e| {
                let rest = e.text.strip_prefix(&format!("[{}] ", peer.label))?;
                (e.kind == EventKind::Note).then(|| address_after_to(rest)).flatten()
            });
            let program = command_before(events, peer.first).and_then(|c| program_address(&c.text));
            peer.addr = match (peer.active, peer.addr) {
                (true, _) => note.or(program),
                (false, Some(group)) if group.ip().is_multicast() => Some(group),
                (false, _) => program,
            };
        }
    }

    // A peer the grader set up that never got a byte (a client that did nothing) is
    // still the other side to start by hand: its note says where it listened.
    for (i, event) in events.iter().enumerate().filter(|(_, e)| e.kind == EventKind::Note) {
        let text = &event.text;
        let sets_up = text.starts_with("the grader ")
            && (text.contains(" listens on ") || text.contains(" bound to ") || text.contains(" plays "));
        let Some(addr) = address_in(text).filter(|_| sets_up) else { continue };
        if peers.iter().any(|p| !p.active && p.addr == Some(addr)) {
            continue;
        }
        peers.push(Peer {
            label: text.clone(),
            first: i + 1,
            active: false,
            udp: text.contains("UDP"),
            addr: Some(addr),
            texts: Vec::new(),
            pieces: false,
            noted: true,
        });
    }
    peers.sort_by_key(|p| p.first);

    // Listeners go up before the program that talks to them starts; the programs and
    // the grader's clients follow in the order of the transcript.
    let mut items: Vec<(usize, Step)> = Vec::new();
    for (i, event) in events.iter().enumerate().filter(|(_, e)| e.kind == EventKind::Command) {
        let who = program_role(&event.text).unwrap_or_else(|| "the program".to_string());
        let (mut command, mut caveat) = (event.text.clone(), None);
        // What it read on stdin, as the harness noted it right after starting it.
        let stdin = events.get(i + 1).filter(|e| e.kind == EventKind::Note).and_then(|e| {
            let (_, data) = e.text.strip_prefix("stdin of ")?.split_once(": ")?;
            Some(quoted(data))
        });
        match stdin {
            Some((text, true)) if text.len() <= MAX_TYPED => {
                let dashes = if text.starts_with('-') { " --" } else { "" };
                command = format!("{send} --print{dashes} {} | {command}", shell_words::quote(&text));
            }
            Some(_) => caveat = Some("its stdin is too long to type: the transcript shows its start".to_string()),
            None => {}
        }
        items.push((2 * i + 1, Step { who, command, caveat }));
    }
    let shown = peers.len().min(MAX_PEERS);
    for peer in &peers[..shown] {
        let Some(addr) = peer.addr else { continue };
        let at = if peer.active {
            2 * peer.first + 1
        } else {
            // Just before the program that talks to it: the last one started before its
            // first event, or, for one only set up (a note), the next one.
            let first = peer.first.min(events.len());
            let before = events[..first].iter().rposition(|e| e.kind == EventKind::Command);
            let after = events[first..].iter().position(|e| e.kind == EventKind::Command).map(|c| first + c);
            match (peer.noted, before, after) {
                (true, _, Some(c)) | (false, Some(c), _) | (true, Some(c), None) => 2 * c,
                _ => 0,
            }
        };
        items.push((at, send_step(peer, addr, send)));
    }
    items.sort_by_key(|(at, _)| *at);
    let mut steps: Vec<Step> = items.into_iter().map(|(_, step)| step).collect();
    if peers.len() > shown {
        steps.push(Step {
            who: format!("{} more peers", peers.len() - shown),
            command: format!("# ... and {} more like these (the transcript shows them all)", peers.len() - shown),
            caveat: None,
        });
    }
    steps
}

fn send_step(peer: &Peer, addr: SocketAddr, send: &str) -> Step {
    let mut command = format!("{send}{} --{} {addr}", if peer.active { "" } else { " --listen" }, proto(peer));
    if peer.pieces {
        // The grader wrote one message in pieces a moment apart; a short pause per
        // piece does the same.
        command.push_str(" --wait 300");
    }
    let mut left_out = 0;
    if peer.texts.iter().take(MAX_TEXTS).any(|(text, _)| text.starts_with('-')) {
        // A TEXT such as -7 is not an option.
        command.push_str(" --");
    }
    for (text, whole) in peer.texts.iter().take(MAX_TEXTS) {
        if text.len() > MAX_TYPED || !whole {
            left_out += 1;
            continue;
        }
        command.push(' ');
        command.push_str(&shell_words::quote(text));
    }
    let mut caveats = Vec::new();
    if peer.texts.len() > MAX_TEXTS {
        caveats.push(format!("{} more messages follow, as the transcript shows", peer.texts.len() - MAX_TEXTS));
    }
    if left_out > 0 {
        caveats.push("a long message is left out: too long to type; the transcript shows it".to_string());
    }
    let who = match (peer.active, peer.udp && addr.ip().is_multicast()) {
        (false, true) => format!("a subscriber of the group {addr}"),
        (true, true) => format!("a sender to the group {addr}"),
        (true, false) => peer.label.clone(),
        (false, false) => "the other side, played by the grader in the check".to_string(),
    };
    Step { who, command, caveat: (!caveats.is_empty()).then(|| caveats.join("; ")) }
}

fn proto(peer: &Peer) -> &'static str {
    if peer.udp {
        "udp"
    } else {
        "tcp"
    }
}

/// `[label] rest` -> (label, rest).
fn split_label(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix('[')?;
    let end = rest.find("] ")?;
    Some((&rest[..end], &rest[end + 2..]))
}

/// One peer, however the transcript names its two directions: a UDP server played by
/// the grader receives from `udp-echo-client at ADDR` and sends `to ADDR`.
fn peer_key(label: &str) -> String {
    if let Some(addr) = label.strip_prefix("to ") {
        return addr.to_string();
    }
    if let Some((_, addr)) = label.rsplit_once(" at ") {
        if addr.parse::<SocketAddr>().is_ok() {
            return addr.to_string();
        }
    }
    label.to_string()
}

/// The first `IP:PORT` among the words of `text`.
fn address_in(text: &str) -> Option<SocketAddr> {
    text.split_whitespace().find_map(|w| w.trim_matches(|c: char| c == ',' || c == ']').parse().ok())
}

/// The address after the word `to` in a note such as `connects to 127.0.0.1:65432`.
fn address_after_to(text: &str) -> Option<SocketAddr> {
    let words: Vec<&str> = text.split_whitespace().collect();
    words.windows(2).find(|w| w[0] == "to").and_then(|w| w[1].trim_end_matches([',', '.', ':']).parse().ok())
}

fn command_before(events: &[Event], index: usize) -> Option<&Event> {
    events[..index].iter().rev().find(|e| e.kind == EventKind::Command)
}

/// `--host H --port P` of a command.
fn program_address(command: &str) -> Option<SocketAddr> {
    let words = shell_words::split(command).ok()?;
    let after = |flag: &str| words.iter().position(|w| w == flag).and_then(|i| words.get(i + 1));
    let port: u16 = after("--port")?.parse().ok()?;
    let host: IpAddr = after("--host").and_then(|h| h.parse().ok()).unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    Some(SocketAddr::new(host, port))
}

fn program_role(command: &str) -> Option<String> {
    let words = shell_words::split(command).ok()?;
    words.iter().position(|w| w == "--bin").and_then(|i| words.get(i + 1)).cloned()
}

/// The text inside the leading quoted string of `data` (as the transcript escaped it),
/// and whether that is the whole message (not cut after its first bytes).
fn quoted(data: &str) -> (String, bool) {
    let Some(body) = data.strip_prefix('"') else {
        return (data.to_string(), false);
    };
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => {
                let rest = &body[i + 1..];
                return (body[..i].to_string(), !rest.starts_with("..."));
            }
            _ => escaped = false,
        }
    }
    (body.to_string(), false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use labs::checks;

    fn event(kind: EventKind, text: &str) -> Event {
        Event { at_ms: 0, kind, text: text.to_string() }
    }

    #[test]
    fn a_server_check_becomes_the_program_then_its_clients() {
        let events = vec![
            event(EventKind::Command, "cargo run -q -p hello --bin hello-server -- --host 127.0.0.1 --port 25707"),
            event(EventKind::Note, "[client 1] connects to 127.0.0.1:25707"),
            event(EventKind::Sent, r#"[client 1] "say \"hi\"\n""#),
            event(EventKind::Received, r#"[client 1] "I got it""#),
            event(EventKind::Sent, r#"[client 2] "two""#),
        ];
        let map = port_map(&checks::hello::LAB, &events);
        assert_eq!(map.get(&25707), Some(&65432));
        let local: Vec<Event> = events.iter().map(|e| Event { text: localize(&e.text, &map), ..e.clone() }).collect();
        let steps = steps(&local, "grader send");
        let commands: Vec<&str> = steps.iter().map(|s| s.command.as_str()).collect();
        assert_eq!(
            commands,
            [
                "cargo run -q -p hello --bin hello-server -- --host 127.0.0.1 --port 65432",
                r#"grader send --tcp 127.0.0.1:65432 'say \"hi\"\n'"#,
                "grader send --tcp 127.0.0.1:65432 two",
            ]
        );
    }

    #[test]
    fn a_client_check_listens_first() {
        let events = vec![
            event(EventKind::Note, "the grader is bound to UDP 127.0.0.1:30538, playing the server"),
            event(EventKind::Command, "cargo run -q -p echo --bin udp-echo-client -- --host 127.0.0.1 --port 30538 a"),
            event(EventKind::Received, r#"[udp-echo-client at 127.0.0.1:45847] one datagram: "a""#),
            event(EventKind::Sent, r#"[to 127.0.0.1:45847] one datagram: "a""#),
        ];
        let steps = steps(&events, "grader send");
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[0].command, "grader send --listen --udp 127.0.0.1:30538 a");
        assert!(steps[1].command.starts_with("cargo run"));
    }

    #[test]
    fn a_server_played_by_the_grader_that_heard_nothing_is_still_started_first() {
        let events = vec![
            event(EventKind::Note, "the grader listens on 127.0.0.1:65432, playing the server"),
            event(EventKind::Command, "cargo run -q -p hello --bin hello-client -- --host 127.0.0.1 --port 65432"),
            event(EventKind::Output, "[hello-client stderr] panicked"),
        ];
        let steps = steps(&events, "grader send");
        assert_eq!(steps.len(), 2, "{steps:?}");
        assert_eq!(steps[0].command, "grader send --listen --tcp 127.0.0.1:65432");
        assert!(steps[1].command.starts_with("cargo run"));
    }

    #[test]
    fn stdin_is_piped_and_pieces_of_a_reply_are_one_write() {
        let events = vec![
            event(EventKind::Command, "cargo run -q -p upper --bin tcp-upper-client -- --host 127.0.0.1 --port 12000"),
            event(EventKind::Note, r#"stdin of tcp-upper-client: "gr\xc3\xbcne\n""#),
            event(EventKind::Received, r#"[tcp-upper-client conn 1] "gr\xc3\xbcne\n""#),
            event(EventKind::Sent, r#"[tcp-upper-client conn 1] "GR\xc3""#),
            event(EventKind::Sent, r#"[tcp-upper-client conn 1] "\x9cNE\n""#),
        ];
        let steps = steps(&events, "grader send");
        assert_eq!(steps[0].command, r"grader send --listen --tcp 127.0.0.1:12000 --wait 300 'GR\xc3\x9cNE\n'");
        assert_eq!(
            steps[1].command,
            r"grader send --print 'gr\xc3\xbcne\n' | cargo run -q -p upper --bin tcp-upper-client -- --host 127.0.0.1 --port 12000"
        );
    }

    #[test]
    fn multicast_peers_and_cut_messages() {
        let events = vec![
            event(EventKind::Command, "cargo run -q -p board --bin board-sub -- --host 127.0.0.1 --port 30615 t"),
            event(EventKind::Sent, r#"[grader to 239.192.24.1:30616] "1 t hi""#),
            event(EventKind::Received, r#"[grader's subscriber t 239.192.1.1:4000] "1 t x""#),
            event(EventKind::Sent, r#"[client 1] "aaaa"... (1048576 bytes in all)"#),
        ];
        let steps = steps(&events, "grader send");
        let commands: Vec<&str> = steps.iter().map(|s| s.command.as_str()).collect();
        assert!(commands.contains(&"grader send --listen --udp 239.192.1.1:4000"), "{commands:?}");
        assert!(commands.contains(&"grader send --udp 239.192.24.1:30616 '1 t hi'"), "{commands:?}");
        assert!(steps.iter().any(|s| s.caveat.as_deref().is_some_and(|c| c.contains("too long"))));
        assert!(!commands.iter().any(|c| c.contains("aaaa")), "{commands:?}");
    }

    #[test]
    fn temporary_folders_get_plain_names() {
        let text = "--log-dir /tmp/socket-labs-logs-qUWXDY and /tmp/socket-labs-logs-qUWXDY/log0.txt";
        assert_eq!(localize(text, &HashMap::new()), "--log-dir logs and logs/log0.txt");
    }

    #[test]
    fn ports_inside_addresses_and_words_only() {
        let map = HashMap::from([(25707, 65432)]);
        assert_eq!(localize("127.0.0.1:25707 --port 25707 1257070", &map), "127.0.0.1:65432 --port 65432 1257070");
        assert_eq!(localize("25707.5", &map), "25707.5");
    }
}

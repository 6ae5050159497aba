//! The board protocol on the grader's side (CONTRACT.md, board): the control
//! commands and their replies, a scripted board-server that speaks it (to test
//! board-pub and board-sub alone), and a handle on a running board-sub.

use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use harness::conn::Conn;
use harness::deadline::Timeouts;
use harness::diagnose;
use harness::multicast::{Multicast, Sender};
use harness::outcome::{Failure, FailureKind, Hint};
use harness::transcript::{escape, EventKind, Transcript};
use harness::{Client, Harness, LOOPBACK};

/// A topic's multicast address, as `OK <group> <port>` gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Channel {
    pub group: Ipv4Addr,
    pub port: u16,
}

impl std::fmt::Display for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.group, self.port)
    }
}

/// Whether `topic` is a valid topic name: `[A-Za-z0-9_-]{1,64}`.
pub fn valid_topic(topic: &str) -> bool {
    (1..=64).contains(&topic.len()) && topic.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The datagram of post `seq` of `topic`: `<seq> <topic> <message>`.
pub fn datagram(seq: u64, topic: &str, message: &str) -> String {
    format!("{seq} {topic} {message}")
}

/// The line board-sub prints for a message of `topic`.
pub fn printed(topic: &str, message: &str) -> String {
    format!("[{topic}] {message}")
}

/// The line board-sub prints once it can receive.
pub fn joined_line(topic: &str, channel: Channel) -> String {
    format!("joined {topic} {channel}")
}

const OK_GROUP_HINT: &str =
    "CREATE and JOIN reply one line: OK, the topic's multicast group (an address in 224.0.0.0/4) and its UDP port, separated by spaces, ending in \\n";

/// Sends one command line and reads its one reply line.
pub fn ask(c: &mut Conn, line: &str) -> Result<String, Failure> {
    c.send_line(line)?;
    c.read_line().hint(
        "answer every command with one line ending in \\n as soon as its line is complete, and keep the connection open for the next command (after an ERR too)",
    )
}

/// Parses `OK <group> <port>`, strictly.
pub fn parse_channel(reply: &str) -> Option<Channel> {
    let mut words = reply.split(' ');
    if words.next() != Some("OK") {
        return None;
    }
    let group: Ipv4Addr = words.next()?.parse().ok()?;
    let port: u16 = words.next()?.parse().ok()?;
    (words.next().is_none() && group.is_multicast() && port != 0).then_some(Channel { group, port })
}

/// `CREATE <topic>` or `JOIN <topic>`, expecting `OK <group> <port>`.
pub fn ask_channel(c: &mut Conn, command: &str, topic: &str) -> Result<Channel, Failure> {
    let reply = ask(c, &format!("{command} {topic}"))?;
    parse_channel(reply.trim_end()).ok_or_else(|| c.wrong_line("OK <group> <port>", &reply).with_hint(OK_GROUP_HINT))
}

/// `POST <topic> <message>`, expecting `OK <seq>`.
pub fn ask_post(c: &mut Conn, topic: &str, message: &str) -> Result<u64, Failure> {
    let reply = ask(c, &format!("POST {topic} {message}"))?;
    reply.strip_prefix("OK ").and_then(|seq| seq.trim_end().parse::<u64>().ok()).ok_or_else(|| {
        c.wrong_line("OK <seq>", &reply)
            .with_hint("POST replies OK and the post's sequence number: 1 for a topic's first post, then 2, 3, ...")
    })
}

/// A topic of the scripted server.
struct Topic {
    name: String,
    channel: Channel,
    /// Every message posted, in order; seq is the index plus one.
    history: Vec<String>,
}

struct State {
    topics: Vec<Topic>,
    /// Every request line received, in order.
    requests: Vec<String>,
    base: Ipv4Addr,
}

/// A board-server played by the grader, following the contract: CREATE, JOIN,
/// POST (sending the datagram with the grader's own sender), LIST and HISTORY. It
/// serves any number of connections at once, until it is dropped.
pub struct ScriptedBoard {
    port: u16,
    state: Arc<Mutex<State>>,
    sender: Arc<Sender>,
    transcript: Transcript,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl ScriptedBoard {
    /// Starts the grader's own board-server on a free port, within a check's multicast
    /// access `mc` (its groups and its sender).
    pub fn start(mc: &Multicast, h: &Harness) -> Result<ScriptedBoard, Failure> {
        let (listener, port) = harness::ports::own_listener(LOOPBACK)
            .map_err(|e| Failure::grader(format!("cannot listen on 127.0.0.1 for the scripted board: {e}")))?;
        listener.set_nonblocking(true).map_err(|e| Failure::grader(format!("cannot poll the scripted board: {e}")))?;
        let transcript = h.transcript_handle();
        transcript.note(format!("the grader plays board-server on 127.0.0.1:{port}"));
        let state = Arc::new(Mutex::new(State { topics: Vec::new(), requests: Vec::new(), base: mc.group_base() }));
        let sender = Arc::new(mc.sender()?);
        let stop = Arc::new(AtomicBool::new(false));
        let accept = {
            let (state, sender, transcript, stop) = (state.clone(), sender.clone(), transcript.clone(), stop.clone());
            std::thread::spawn(move || accept_loop(listener, state, sender, transcript, stop))
        };
        Ok(ScriptedBoard { port, state, sender, transcript, stop, accept: Some(accept) })
    }
}

impl Drop for ScriptedBoard {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

impl ScriptedBoard {
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Creates a topic, as a CREATE would, and returns its channel.
    pub fn add_topic(&self, name: &str) -> Result<Channel, Failure> {
        let mut state = self.lock();
        create(&mut state, name).map_err(|e| Failure::grader(format!("the scripted board cannot create {name}: {e}")))
    }

    /// Posts a message: keeps it and sends its datagram. Returns its seq.
    pub fn post(&self, topic: &str, message: &str) -> Result<u64, Failure> {
        let (seq, channel) = self.keep(topic, message)?;
        self.sender.send(channel.group, channel.port, datagram(seq, topic, message).as_bytes())?;
        Ok(seq)
    }

    /// Posts a message whose datagram is lost on purpose: kept (HISTORY has it), never
    /// sent. Returns its seq.
    pub fn post_lost(&self, topic: &str, message: &str) -> Result<u64, Failure> {
        let (seq, _) = self.keep(topic, message)?;
        self.transcript.note(format!("the grader drops the datagram of post {seq} of {topic} on purpose"));
        Ok(seq)
    }

    /// Sends any datagram to a topic's channel, as another board sharing it would.
    pub fn send_raw(&self, channel: Channel, data: &str) -> Result<(), Failure> {
        self.sender.send(channel.group, channel.port, data.as_bytes())
    }

    /// The channel of a topic, if it exists.
    pub fn channel(&self, name: &str) -> Option<Channel> {
        self.lock().topics.iter().find(|t| t.name == name).map(|t| t.channel)
    }

    /// Every request line received so far.
    pub fn requests(&self) -> Vec<String> {
        self.lock().requests.clone()
    }

    fn keep(&self, topic: &str, message: &str) -> Result<(u64, Channel), Failure> {
        let mut state = self.lock();
        let t = state
            .topics
            .iter_mut()
            .find(|t| t.name == topic)
            .ok_or_else(|| Failure::grader(format!("the scripted board has no topic {topic}")))?;
        t.history.push(message.to_string());
        Ok((t.history.len() as u64, t.channel))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn create(state: &mut State, name: &str) -> Result<Channel, String> {
    if state.topics.iter().any(|t| t.name == name) {
        return Err("exists".into());
    }
    let port = harness::ports::free_port().map_err(|e| format!("no free port: {e}"))?;
    let group = Ipv4Addr::from(u32::from(state.base) + state.topics.len() as u32);
    let channel = Channel { group, port };
    state.topics.push(Topic { name: name.to_string(), channel, history: Vec::new() });
    Ok(channel)
}

fn accept_loop(
    listener: TcpListener,
    state: Arc<Mutex<State>>,
    sender: Arc<Sender>,
    transcript: Transcript,
    stop: Arc<AtomicBool>,
) {
    let connections = AtomicU32::new(0);
    std::thread::scope(|scope| {
        while !stop.load(Ordering::SeqCst) {
            match listener.accept() {
                Ok((stream, _)) => {
                    let n = connections.fetch_add(1, Ordering::SeqCst) + 1;
                    let label = format!("grader's board-server, conn {n}");
                    transcript.note(format!("[{label}] a client connected"));
                    let (state, sender, transcript, stop) = (&state, &sender, &transcript, &stop);
                    scope.spawn(move || serve(stream, label, state, sender, transcript, stop));
                }
                // A deliberate pause between polls of the non-blocking listener; the
                // loop ends when the board is dropped.
                Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(2)),
                Err(_) => {}
            }
        }
    });
}

fn serve(
    mut stream: TcpStream,
    label: String,
    state: &Mutex<State>,
    sender: &Sender,
    transcript: &Transcript,
    stop: &AtomicBool,
) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(20)));
    let mut pending = Vec::new();
    let mut buf = [0u8; 8192];
    while !stop.load(Ordering::SeqCst) {
        match stream.read(&mut buf) {
            Ok(0) => {
                transcript.note(format!("[{label}] the client closed the connection"));
                return;
            }
            Ok(n) => {
                transcript.push(EventKind::Received, format!("[{label}] {}", escape(&buf[..n])));
                pending.extend_from_slice(&buf[..n]);
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted) => {
                continue
            }
            Err(_) => return,
        }
        while let Some(end) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line[..end]).trim_end_matches('\r').to_string();
            let reply = {
                let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
                state.requests.push(line.clone());
                answer(&mut state, &line, sender)
            };
            transcript.push(EventKind::Sent, format!("[{label}] {}", escape(reply.as_bytes())));
            if stream.write_all(reply.as_bytes()).is_err() {
                return;
            }
        }
    }
}

/// The contract's reply to one command line, with its `\n`.
fn answer(state: &mut State, line: &str, sender: &Sender) -> String {
    let mut words = line.splitn(3, ' ');
    let command = words.next().unwrap_or("");
    let topic = words.next().unwrap_or("");
    let rest = words.next();
    let find = |state: &State| state.topics.iter().position(|t| t.name == topic);
    let reply = match command {
        "CREATE" if !valid_topic(topic) || rest.is_some() => "ERR bad topic name".to_string(),
        "CREATE" => match create(state, topic) {
            Ok(channel) => format!("OK {} {}", channel.group, channel.port),
            Err(e) => format!("ERR {e}"),
        },
        "JOIN" => match find(state) {
            Some(i) => format!("OK {} {}", state.topics[i].channel.group, state.topics[i].channel.port),
            None => "ERR no such topic".to_string(),
        },
        "POST" => match (find(state), rest) {
            (Some(i), Some(message)) => {
                let t = &mut state.topics[i];
                t.history.push(message.to_string());
                let seq = t.history.len() as u64;
                let _ = sender.send(t.channel.group, t.channel.port, datagram(seq, topic, message).as_bytes());
                format!("OK {seq}")
            }
            (Some(_), None) => "ERR no message".to_string(),
            (None, _) => "ERR no such topic".to_string(),
        },
        "LIST" => {
            let names: Vec<&str> = state.topics.iter().map(|t| t.name.as_str()).collect();
            format!("OK {}", names.join(" ")).trim_end().to_string()
        }
        "HISTORY" => match (find(state), rest.and_then(|r| r.trim().parse::<u64>().ok())) {
            (Some(i), Some(from)) => {
                let history = &state.topics[i].history;
                let first = from.max(1) as usize;
                let kept: Vec<String> = history
                    .iter()
                    .enumerate()
                    .skip(first - 1)
                    .map(|(index, message)| format!("{} {message}\n", index + 1))
                    .collect();
                format!("OK {}\n{}", kept.len(), kept.concat()).trim_end_matches('\n').to_string()
            }
            (Some(_), None) => "ERR bad seq".to_string(),
            (None, _) => "ERR no such topic".to_string(),
        },
        _ => "ERR unknown command".to_string(),
    };
    format!("{reply}\n")
}

/// A running board-sub, past its `joined` line.
pub struct Subscriber {
    client: Client,
    label: String,
    timeouts: Timeouts,
    paused: bool,
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        if self.paused {
            self.resume();
        }
    }
}

impl Subscriber {
    /// Starts `board-sub <topic>` against the control port `port` and waits for its
    /// first line, which must be `joined <topic> <group>:<port>` with the channel the
    /// server gives the topic. `label` names it in failures (`subscriber A1`).
    pub fn start(h: &Harness, port: u16, topic: &str, channel: Channel, label: &str) -> Result<Subscriber, Failure> {
        let client = h.client("board-sub").port(port).args([topic]).start()?;
        let timeouts = h.timeouts();
        let sub = Subscriber { client, label: label.to_string(), timeouts, paused: false };
        let expected = joined_line(topic, channel);
        let deadline = Instant::now() + timeouts.startup;
        let has_line = sub.client.stdout().wait_for(deadline, |bytes| bytes.contains(&b'\n'));
        if !has_line {
            let watch = sub.client.watch();
            if let Some(status) = watch.exit_status_within(Duration::from_millis(200)) {
                let stderr = watch.final_stderr();
                let hint = if stderr.to_lowercase().contains("in use") {
                    "set SO_REUSEADDR on the socket before bind(): every subscriber of a topic on one machine binds the same port"
                } else {
                    "a subscriber keeps running: JOIN, bind the topic's port (SO_REUSEADDR first), join the group on --iface, print the joined line, then receive until it is stopped"
                };
                let failure = diagnose::exited(
                    "board-sub",
                    &format!("({label}) before printing its joined line"),
                    status,
                    &stderr,
                )
                .expected(escape(format!("{expected}\n").as_bytes()));
                return Err(failure).hint(hint);
            }
            let failure = Failure::new(
                FailureKind::Timeout,
                format!("board-sub ({label}) did not print its joined line within {} s", timeouts.startup.as_secs_f32()),
            )
            .expected(escape(format!("{expected}\n").as_bytes()))
            .got(describe_output(&sub.client.stdout().text()))
            .with_hint("once JOIN has answered and the socket has joined the group, print  joined <topic> <group>:<port>  and flush stdout: the grader waits for that line before it sends anything");
            return Err(diagnose::explain_stderr(failure, "board-sub", &watch_stderr(&sub.client)));
        }
        let first = sub.all_lines().into_iter().next().unwrap_or_default();
        if first != expected {
            return Err(Failure::mismatch(format!("board-sub ({label}) printed a wrong first line"))
                .expected(escape(format!("{expected}\n").as_bytes()))
                .got(escape(format!("{first}\n").as_bytes()))
                .with_hint("the first line is  joined <topic> <group>:<port>  with the group and port from the server's JOIN reply, printed once the socket has joined"));
        }
        Ok(sub)
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    /// Every complete stdout line, without `\r`.
    fn all_lines(&self) -> Vec<String> {
        let text = self.client.stdout().text();
        let mut lines: Vec<String> = text.split('\n').map(|l| l.trim_end_matches('\r').to_string()).collect();
        // What follows the last '\n' is not a line yet.
        lines.pop();
        lines
    }

    /// The lines printed after the joined line.
    pub fn messages(&self) -> Vec<String> {
        self.all_lines().into_iter().skip(1).collect()
    }

    /// Waits until at least `n` lines follow the joined line; returns whether they do.
    pub fn wait_messages(&self, n: usize, deadline: Instant) -> bool {
        self.client.stdout().wait_for(deadline, |bytes| bytes.iter().filter(|&&b| b == b'\n').count() > n)
    }

    /// Waits until `line` has been printed; returns whether it was.
    pub fn wait_line(&self, line: &str, deadline: Instant) -> bool {
        let needle = format!("{line}\n");
        let needle_crlf = format!("{line}\r\n");
        self.client.stdout().wait_for(deadline, |bytes| {
            let text = String::from_utf8_lossy(bytes);
            text.contains(&needle) || text.contains(&needle_crlf)
        })
    }

    /// Everything it wrote to stderr so far.
    pub fn stderr(&self) -> String {
        watch_stderr(&self.client)
    }

    /// Waits until its stderr holds text for which `done` is true.
    pub fn wait_stderr(&self, deadline: Instant, done: impl Fn(&str) -> bool) -> bool {
        self.client.watch().stderr.wait_for(deadline, |bytes| done(&String::from_utf8_lossy(bytes)))
    }

    /// Fails if it has exited.
    pub fn expect_alive(&self, when: &str) -> Result<(), Failure> {
        let watch = self.client.watch();
        match watch.exit_status() {
            None => Ok(()),
            Some(status) => {
                Err(diagnose::exited("board-sub", &format!("({}) {when}", self.label), status, &watch.final_stderr()))
            }
        }
    }

    /// Stops it (SIGSTOP) so that its socket's buffer fills as datagrams arrive:
    /// a real loss, which a reliable subscriber must repair. Resumed on drop.
    pub fn pause(&mut self) {
        signal_group(self.client.pid(), nix::sys::signal::Signal::SIGSTOP);
        self.paused = true;
    }

    /// Lets it run again (SIGCONT).
    pub fn resume(&mut self) {
        signal_group(self.client.pid(), nix::sys::signal::Signal::SIGCONT);
        self.paused = false;
    }

    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }
}

fn signal_group(pid: u32, signal: nix::sys::signal::Signal) {
    let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid as i32), signal);
}

fn watch_stderr(client: &Client) -> String {
    client.watch().stderr.text()
}

fn describe_output(text: &str) -> String {
    if text.is_empty() {
        "nothing on stdout".to_string()
    } else {
        format!("{} (no complete line)", escape(text.as_bytes()))
    }
}

/// Quotes lines for a failure, one per line.
pub fn quote(lines: &[String]) -> String {
    if lines.is_empty() {
        return "no lines".to_string();
    }
    lines.iter().map(|l| escape(l.as_bytes())).collect::<Vec<_>>().join("\n")
}

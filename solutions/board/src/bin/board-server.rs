//! board-server: Assignment 3, item 4, a multicast message board (docs/labs/board.md).
//!
//! Publishers and subscribers talk to it over TCP, one command line and one reply line
//! at a time: CREATE a topic, JOIN it, POST to it, LIST topics, and (reliable delivery)
//! fetch the HISTORY of a topic. Each topic has its own multicast group and UDP port;
//! a post goes to every subscriber of its topic as one datagram `<seq> <topic> <message>`.

use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, TcpStream, UdpSocket};
use std::sync::{Arc, Mutex};

use clap::Parser;
use socket2::{Domain, Protocol, Socket, Type};

/// The message board server.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// TCP control port.
    #[arg(long, default_value_t = 10000)]
    port: u16,
    /// The first topic's multicast group; the next topics get the addresses after it.
    #[arg(long, default_value = "239.255.77.1")]
    group_base: Ipv4Addr,
    /// The interface (by its address) multicast is sent on.
    #[arg(long, default_value = "127.0.0.1")]
    iface: Ipv4Addr,
}

/// Messages kept per topic for HISTORY; the contract asks for at least 1000.
const KEPT: usize = 1000;
/// The longest message, in bytes of UTF-8.
const MAX_MESSAGE: usize = 1000;
/// The longest command line we read: a client cannot make us buffer without end.
const MAX_LINE: u64 = 4096;

struct Topic {
    name: String,
    group: Ipv4Addr,
    port: u16,
    /// The last seq given out: posts are numbered 1, 2, 3, ...
    seq: u64,
    /// The last KEPT messages, oldest first.
    kept: VecDeque<(u64, String)>,
}

struct Board {
    /// In creation order, for LIST.
    topics: Vec<Topic>,
    group_base: Ipv4Addr,
    /// Sends every post, on the chosen interface, with TTL 1.
    sender: UdpSocket,
}

fn main() {
    let args = Args::parse();
    let listener = match TcpListener::bind((args.host.as_str(), args.port)) {
        Ok(listener) => listener,
        Err(e) => fail(&format!("cannot listen on {}:{}: {e}", args.host, args.port)),
    };
    let sender =
        multicast_sender(args.iface).unwrap_or_else(|e| fail(&format!("cannot open the multicast socket: {e}")));
    let board = Arc::new(Mutex::new(Board { topics: Vec::new(), group_base: args.group_base, sender }));
    eprintln!("board-server: listening on {}:{}", args.host, args.port);

    // Publishers and subscribers come and go at the same time: a thread per client, so
    // that one that stays connected never blocks the others.
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                let board = board.clone();
                std::thread::spawn(move || {
                    if let Err(e) = serve(stream, &board) {
                        eprintln!("board-server: client error: {e}");
                    }
                });
            }
            Err(e) => eprintln!("board-server: accept failed: {e}"),
        }
    }
}

fn fail(message: &str) -> ! {
    eprintln!("board-server: {message}");
    std::process::exit(1);
}

/// The socket every post leaves by. The lecture's sender sets only the TTL; without
/// IP_MULTICAST_IF the kernel picks the interface from the routing table (the
/// default route: off this machine). Naming the interface keeps posts where we want.
fn multicast_sender(iface: Ipv4Addr) -> io::Result<UdpSocket> {
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_multicast_if_v4(&iface)?;
    socket.set_multicast_ttl_v4(1)?; // never past the first router
    socket.set_multicast_loop_v4(true)?; // subscribers on this machine get it too
    socket.bind(&SocketAddrV4::new(iface, 0).into())?;
    Ok(socket.into())
}

/// Answers each command line of one client until it closes the connection.
fn serve(stream: TcpStream, board: &Mutex<Board>) -> io::Result<()> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut reader).take(MAX_LINE).read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(());
        }
        if !line.ends_with(b"\n") && n as u64 == MAX_LINE {
            writer.write_all(b"ERR line too long\n")?;
            return Ok(());
        }
        let reply = match std::str::from_utf8(&line) {
            Ok(text) => {
                let mut board = board.lock().unwrap_or_else(|e| e.into_inner());
                answer(&mut board, text.trim_end_matches(['\n', '\r']))
            }
            Err(_) => "ERR not UTF-8".to_string(),
        };
        writer.write_all(format!("{reply}\n").as_bytes())?;
    }
}

/// The reply to one command (without its final newline; HISTORY's has several lines).
fn answer(board: &mut Board, line: &str) -> String {
    // `POST <topic> <message>`: the message is everything after the second space.
    let mut words = line.splitn(3, ' ');
    let command = words.next().unwrap_or("");
    let topic = words.next().unwrap_or("");
    let rest = words.next();
    let index = board.topics.iter().position(|t| t.name == topic);
    match (command, index, rest) {
        ("CREATE", _, Some(_)) => "ERR a topic is one word".to_string(),
        ("CREATE", _, None) if !valid_topic(topic) => "ERR bad topic name".to_string(),
        ("CREATE", Some(_), None) => "ERR exists".to_string(),
        ("CREATE", None, None) => match create(board, topic) {
            Ok(t) => format!("OK {} {}", t.group, t.port),
            Err(e) => format!("ERR cannot create: {e}"),
        },
        ("JOIN", Some(i), None) => format!("OK {} {}", board.topics[i].group, board.topics[i].port),
        ("POST", Some(_), None) => "ERR no message".to_string(),
        ("POST", Some(_), Some(message)) if message.len() > MAX_MESSAGE => "ERR message too long".to_string(),
        ("POST", Some(i), Some(message)) => post(board, i, message),
        ("LIST", _, _) if topic.is_empty() => {
            let names: Vec<&str> = board.topics.iter().map(|t| t.name.as_str()).collect();
            format!("OK {}", names.join(" ")).trim_end().to_string()
        }
        ("HISTORY", Some(i), Some(from)) => match from.trim().parse::<u64>() {
            Ok(from) => history(&board.topics[i], from),
            Err(_) => "ERR bad seq".to_string(),
        },
        ("JOIN" | "POST" | "HISTORY", None, _) => "ERR no such topic".to_string(),
        _ => "ERR unknown command".to_string(),
    }
}

/// `[A-Za-z0-9_-]{1,64}`: a topic travels in a space-separated datagram.
fn valid_topic(topic: &str) -> bool {
    (1..=64).contains(&topic.len()) && topic.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A new topic: the next group after the base, and a UDP port of its own. Distinct
/// groups and ports keep topics apart even for subscribers that bind 0.0.0.0 (Linux
/// delivers every joined group to such a socket).
fn create<'b>(board: &'b mut Board, name: &str) -> io::Result<&'b Topic> {
    let group = u32::from(board.group_base) + board.topics.len() as u32;
    let group = Ipv4Addr::from(group);
    if !group.is_multicast() {
        return Err(io::Error::other("no multicast group left after --group-base"));
    }
    // Let the system pick a UDP port nobody uses, and give it to the topic.
    let port = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?.local_addr()?.port();
    board.topics.push(Topic { name: name.to_string(), group, port, seq: 0, kept: VecDeque::new() });
    Ok(board.topics.last().expect("just pushed"))
}

/// Numbers the message, keeps it, and multicasts it. The board's lock is held, so
/// datagrams leave in seq order even when two publishers post at once.
fn post(board: &mut Board, index: usize, message: &str) -> String {
    let topic = &mut board.topics[index];
    topic.seq += 1;
    let seq = topic.seq;
    topic.kept.push_back((seq, message.to_string()));
    if topic.kept.len() > KEPT {
        topic.kept.pop_front();
    }
    let datagram = format!("{seq} {} {message}", topic.name);
    if let Err(e) = board.sender.send_to(datagram.as_bytes(), (topic.group, topic.port)) {
        // UDP gives no delivery guarantee anyway; HISTORY lets subscribers catch up.
        eprintln!("board-server: cannot send post {seq} of {}: {e}", topic.name);
    }
    format!("OK {seq}")
}

/// `OK <n>` and the kept messages from seq `from` on, one `<seq> <message>` line each.
fn history(topic: &Topic, from: u64) -> String {
    let lines: Vec<String> =
        topic.kept.iter().filter(|(seq, _)| *seq >= from).map(|(s, m)| format!("{s} {m}")).collect();
    let mut reply = format!("OK {}", lines.len());
    for line in lines {
        reply.push('\n');
        reply.push_str(&line);
    }
    reply
}

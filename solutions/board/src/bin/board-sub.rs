//! board-sub: the subscriber of the message board (docs/labs/board.md).
//!
//! Asks the board-server where a topic is sent (JOIN), joins that multicast group,
//! prints `joined <topic> <group>:<port>`, then `[<topic>] <message>` for every post,
//! in seq order. A gap in seq means datagrams were lost (UDP promises nothing): it is
//! reported on stderr, and the missed posts are fetched with HISTORY and printed in
//! their place: reliable delivery on top of an unreliable channel.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddrV4, TcpStream, ToSocketAddrs, UdpSocket};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use socket2::{Domain, Protocol, Socket, Type};

/// The message board subscriber.
#[derive(Parser)]
struct Args {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server control port.
    #[arg(long, default_value_t = 10000)]
    port: u16,
    /// The interface (by its address) to join the group on.
    #[arg(long, default_value = "127.0.0.1")]
    iface: Ipv4Addr,
    /// The topic to follow.
    topic: String,
}

/// Room for the largest datagram: seq, a 64-byte topic and a 1000-byte message.
/// (The lecture's `recvfrom(16)` and Java's 1000-byte buffer cut long posts short.)
const DATAGRAM_ROOM: usize = 2048;

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("board-sub: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> io::Result<()> {
    let (group, port) = join(args)?;
    let socket = subscribe(group, port, args.iface)?;
    let mut out = io::stdout().lock();
    writeln!(out, "joined {} {group}:{port}", args.topic)?;
    out.flush()?; // the grader (and any reader of a pipe) waits for this line

    // The seq we expect next; None until the first post arrives. Posts made before we
    // joined were never ours to miss, so the first one we see is where we start.
    let mut next: Option<u64> = None;
    let mut buf = vec![0u8; DATAGRAM_ROOM];
    loop {
        let n = socket.recv(&mut buf)?;
        let Some((seq, message)) = parse(&buf[..n], &args.topic) else {
            continue; // another topic sharing the group, or not a post at all
        };
        let expected = *next.get_or_insert(seq);
        if seq < expected {
            continue; // already printed (fetched with HISTORY)
        }
        if seq > expected {
            eprintln!("board-sub: gap in {}: missed {expected}..{}; fetching them", args.topic, seq - 1);
            match history(args, expected) {
                Ok(missed) => {
                    for (s, m) in missed.into_iter().filter(|(s, _)| *s >= expected && *s < seq) {
                        print(&mut out, &args.topic, &m)?;
                        next = Some(s + 1);
                    }
                }
                Err(e) => eprintln!("board-sub: cannot fetch the missed posts: {e}"),
            }
            if next != Some(seq) {
                eprintln!("board-sub: posts {}..{} of {} are lost", next.unwrap_or(expected), seq - 1, args.topic);
            }
        }
        print(&mut out, &args.topic, message)?;
        next = Some(seq + 1);
    }
}

fn print(out: &mut impl Write, topic: &str, message: &str) -> io::Result<()> {
    writeln!(out, "[{topic}] {message}")?;
    out.flush()
}

/// `<seq> <topic> <message>`, when the datagram is a post of our topic.
fn parse<'a>(datagram: &'a [u8], topic: &str) -> Option<(u64, &'a str)> {
    let text = std::str::from_utf8(datagram).ok()?;
    let mut words = text.splitn(3, ' ');
    let seq = words.next()?.parse().ok()?;
    (words.next()? == topic).then_some(())?;
    Some((seq, words.next().unwrap_or("")))
}

/// Sends one command to the server and returns its first reply line and the reader.
fn command(args: &Args, line: &str) -> io::Result<(String, BufReader<TcpStream>)> {
    let timeout = Duration::from_secs(5);
    let addr =
        (args.host.as_str(), args.port).to_socket_addrs()?.next().ok_or_else(|| io::Error::other("no address"))?;
    let mut stream = TcpStream::connect_timeout(&addr, timeout)
        .map_err(|e| io::Error::new(e.kind(), format!("{}:{}: {e}", args.host, args.port)))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.write_all(format!("{line}\n").as_bytes())?;
    let mut reader = BufReader::new(stream);
    let reply = read_line(&mut reader)?;
    Ok((reply, reader))
}

fn read_line(reader: &mut impl BufRead) -> io::Result<String> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    if !line.ends_with('\n') {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the server closed the connection mid-reply"));
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// `JOIN <topic>` -> the topic's group and port.
fn join(args: &Args) -> io::Result<(Ipv4Addr, u16)> {
    let (reply, _) = command(args, &format!("JOIN {}", args.topic))?;
    let words: Vec<&str> = reply.split(' ').collect();
    match words.as_slice() {
        ["OK", group, port] => {
            let group = group.parse().map_err(|_| io::Error::other(format!("bad group in {reply:?}")))?;
            let port = port.parse().map_err(|_| io::Error::other(format!("bad port in {reply:?}")))?;
            Ok((group, port))
        }
        _ => Err(io::Error::other(format!("cannot join {}: the server says {reply:?}", args.topic))),
    }
}

/// The socket that receives the topic's posts.
fn subscribe(group: Ipv4Addr, port: u16, iface: Ipv4Addr) -> io::Result<UdpSocket> {
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    // Several subscribers on one machine all bind this port: each must allow sharing
    // it before bind(), or the second one fails with "address in use".
    socket.set_reuse_address(true)?;
    // Binding the group's address (not 0.0.0.0) gets us only this group's datagrams:
    // Linux hands a 0.0.0.0 socket every group that anyone on the machine joined.
    socket.bind(&SocketAddrV4::new(group, port).into())?;
    // Join on the named interface. The lecture joins on INADDR_ANY, which lets the
    // routing table choose: the default route's interface, not loopback.
    socket.join_multicast_v4(&group, &iface)?;
    Ok(socket.into())
}

/// `HISTORY <topic> <from>` -> the kept posts from that seq on.
fn history(args: &Args, from: u64) -> io::Result<Vec<(u64, String)>> {
    let (reply, mut reader) = command(args, &format!("HISTORY {} {from}", args.topic))?;
    let count: usize = reply
        .strip_prefix("OK ")
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| io::Error::other(format!("the server says {reply:?}")))?;
    let mut posts = Vec::with_capacity(count);
    for _ in 0..count {
        let line = read_line(&mut reader)?;
        let (seq, message) = line.split_once(' ').unwrap_or((&line, ""));
        let seq = seq.parse().map_err(|_| io::Error::other(format!("bad HISTORY line {line:?}")))?;
        posts.push((seq, message.to_string()));
    }
    Ok(posts)
}

//! `grader send`: a tiny client (or, with `--listen`, a tiny server) for trying a
//! program by hand, as `grader explain` shows.
//!
//! It speaks the transcript's notation both ways: each TEXT is written as a transcript
//! shows bytes (`\n`, `\r`, `\t`, `\"`, `\\`, `\xNN`, `\u{HEX}`), so a `>` line of any
//! transcript can be pasted as it is; and what comes back is printed as `<` lines in the
//! same escaped form, so a missing newline or a stray byte shows.
//!
//! Every wait ends: a connect, the first byte and the pause that ends a reply each have
//! their own limit (`--timeout`, `--wait`). Unicast goes to loopback only, multicast
//! names its interface (127.0.0.1 unless `--iface` says otherwise) and has TTL 1.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs, UdpSocket};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Args;
use socket2::{Domain, Protocol, Socket, Type};

use harness::transcript::escape;

#[derive(Args)]
#[command(after_help = "Examples:
  grader send --tcp 127.0.0.1:65433 '1 2 3\\n'          one line to a sum-server, print the reply
  grader send --udp 127.0.0.1:6789 Mon Tue              two datagrams, print each reply
  grader send --listen --tcp 127.0.0.1:65432 'I got it' play a server: print what the client sends, reply
  grader send --listen --udp 239.192.0.1:5000           join a multicast group on 127.0.0.1, print its datagrams
  grader send --print 'ñandú\\n' | cargo run -p upper --bin tcp-upper-client   the bytes as a program's stdin")]
pub struct SendArgs {
    /// Talk TCP to HOST:PORT (HOST an address or a name such as localhost).
    #[arg(long, value_name = "HOST:PORT", conflicts_with = "udp", required_unless_present_any = ["udp", "print"])]
    tcp: Option<String>,
    /// Talk UDP to HOST:PORT (a multicast group is sent to with TTL 1).
    #[arg(long, value_name = "HOST:PORT")]
    udp: Option<String>,
    /// Play the server instead: wait on HOST:PORT for one client (TCP) or datagrams
    /// (UDP; a multicast group is joined), and answer each thing it sends with the next
    /// TEXT.
    #[arg(long)]
    listen: bool,
    /// Shut down the sending side after the last TEXT (TCP: the peer reads end of file).
    #[arg(long)]
    half_close: bool,
    /// No network: write the bytes of each TEXT to stdout, to pipe into a program.
    #[arg(long, conflicts_with_all = ["tcp", "udp", "listen"])]
    print: bool,
    /// How long a pause ends a reply, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    wait: u64,
    /// The longest wait for a connection or for the first byte of an answer, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    timeout: u64,
    /// The interface for multicast (its address).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    iface: Ipv4Addr,
    /// What to send, in the transcript's notation: 'Hello world', '1 2\n', '\x00\x00\x00\x05hello'.
    #[arg(value_name = "TEXT")]
    texts: Vec<String>,
}

pub fn run(args: &SendArgs) -> Result<ExitCode> {
    let texts = args
        .texts
        .iter()
        .map(|t| unescape(t).with_context(|| format!("cannot read the TEXT {t:?}")))
        .collect::<Result<Vec<_>>>()?;
    let limits =
        Limits { wait: Duration::from_millis(args.wait.max(1)), first: Duration::from_secs(args.timeout.max(1)) };
    let mut out = io::stdout();
    if args.print {
        for text in &texts {
            out.write_all(text)?;
        }
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    match (&args.tcp, &args.udp) {
        (Some(target), _) => {
            let addrs = resolve(target)?;
            if addrs[0].ip().is_multicast() {
                bail!("{} is a multicast group: multicast is UDP only (--udp)", addrs[0]);
            }
            if args.listen {
                tcp_server(addrs[0], &texts, args.half_close, limits, &mut out)?;
            } else {
                tcp_client(&addrs, &texts, args.half_close, limits, &mut out)?;
            }
        }
        (None, Some(target)) => {
            let addr = resolve(target)?[0];
            if args.listen {
                udp_server(addr, args.iface, &texts, limits, &mut out)?;
            } else {
                udp_client(addr, args.iface, &texts, limits, &mut out)?;
            }
        }
        (None, None) => bail!("give --tcp HOST:PORT or --udp HOST:PORT"),
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Clone, Copy)]
struct Limits {
    /// A pause this long ends a reply.
    wait: Duration,
    /// The longest wait for a connection or a first byte.
    first: Duration,
}

/// The addresses of `HOST:PORT` (an address, or a name such as `localhost`) that this
/// tool may talk to, IPv4 first: the labs' programs use 127.0.0.1 unless told
/// otherwise, and `localhost` names ::1 too.
fn resolve(target: &str) -> Result<Vec<SocketAddr>> {
    let mut addrs: Vec<SocketAddr> = match target.parse::<SocketAddr>() {
        Ok(addr) => vec![addr],
        Err(_) => {
            if target.rsplit_once(':').is_none_or(|(host, port)| host.is_empty() || port.parse::<u16>().is_err()) {
                bail!("{target:?} is not HOST:PORT (as 127.0.0.1:65432 or localhost:65432)");
            }
            target.to_socket_addrs().with_context(|| format!("cannot resolve {target}"))?.collect()
        }
    };
    addrs.sort_by_key(|a| !a.is_ipv4());
    addrs.dedup();
    let Some(first) = addrs.first().copied() else { bail!("{target} names no address") };
    addrs.retain(|a| allowed(a.ip()).is_ok());
    if addrs.is_empty() {
        allowed(first.ip()).with_context(|| format!("{target} is {first}"))?;
    }
    Ok(addrs)
}

/// The labs talk over loopback; multicast stays on the interface given, TTL 1.
fn allowed(ip: IpAddr) -> Result<()> {
    if ip.is_loopback() || ip.is_multicast() {
        return Ok(());
    }
    bail!("{ip} is not a loopback address: grader send talks to programs on this machine only (127.0.0.1, ::1)")
}

/// Connects to the first of `addrs` that accepts (a name may have several), then talks.
fn tcp_client(
    addrs: &[SocketAddr],
    texts: &[Vec<u8>],
    half_close: bool,
    limits: Limits,
    out: &mut impl Write,
) -> Result<()> {
    let mut connected = None;
    for (i, addr) in addrs.iter().enumerate() {
        match TcpStream::connect_timeout(addr, limits.first) {
            Ok(stream) => {
                connected = Some((stream, *addr));
                break;
            }
            Err(e) if i + 1 == addrs.len() => return Err(e).with_context(|| format!("cannot connect to {addr}")),
            Err(e) => writeln!(out, "# cannot connect to {addr} ({e}): trying {}", addrs[i + 1])?,
        }
    }
    let Some((mut stream, addr)) = connected else { bail!("no address to connect to") };
    writeln!(out, "# connected to {addr} from {}", stream.local_addr()?)?;
    let mut open = true;
    if texts.is_empty() {
        // A server that speaks first (a date server) answers without being asked.
        open = print_reply(&mut stream, limits.first, limits, out)?;
    }
    for (i, text) in texts.iter().enumerate() {
        send(&mut stream, text, half_close && i + 1 == texts.len(), out)
            .with_context(|| format!("cannot send to {addr}"))?;
        // A reply is due at once; a piece of a message may get none.
        open = print_reply(&mut stream, limits.wait, limits, out)?;
        if !open {
            break;
        }
    }
    if open {
        writeln!(out, "# closing the connection")?;
    }
    Ok(())
}

fn tcp_server(
    addr: SocketAddr,
    texts: &[Vec<u8>],
    half_close: bool,
    limits: Limits,
    out: &mut impl Write,
) -> Result<()> {
    let listener = TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
    writeln!(out, "# listening on {addr}: start the client now")?;
    listener.set_nonblocking(true)?;
    let deadline = Instant::now() + limits.first;
    let (mut stream, peer) = loop {
        match listener.accept() {
            Ok(accepted) => break accepted,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    bail!("no client connected to {addr} within {} s", limits.first.as_secs());
                }
                // Waits for a connection in steps; the accept is tried after each.
                wait_readable(&listener, deadline);
            }
            Err(e) => return Err(e).context("cannot accept a connection"),
        }
    };
    stream.set_nonblocking(false)?;
    writeln!(out, "# a client connected from {peer}")?;
    for (i, text) in texts.iter().enumerate() {
        if !print_reply(&mut stream, limits.first, limits, out)? {
            writeln!(out, "# the client closed before the reply {}", escape(text))?;
            return Ok(());
        }
        send(&mut stream, text, half_close && i + 1 == texts.len(), out).context("cannot send to the client")?;
    }
    if print_reply(&mut stream, limits.wait, limits, out)? {
        writeln!(out, "# closing the connection")?;
    }
    Ok(())
}

/// Sends `text` and shows it; with `last_half_close`, then shuts down the sending side
/// (a client that says it has no more to send, as `--half-close` asks).
fn send(stream: &mut TcpStream, text: &[u8], last_half_close: bool, out: &mut impl Write) -> Result<()> {
    stream.write_all(text)?;
    writeln!(out, "> {}", escape(text))?;
    if last_half_close {
        stream.shutdown(Shutdown::Write)?;
        writeln!(out, "# no more to send: shut down the sending side")?;
    }
    Ok(())
}

/// Waits until `listener` may have a connection, or `deadline`: poll(2) on its socket.
fn wait_readable(listener: &TcpListener, deadline: Instant) {
    use std::os::fd::AsRawFd;
    let left = deadline.saturating_duration_since(Instant::now()).as_millis().min(i32::MAX as u128) as i32;
    let mut fds = libc::pollfd { fd: listener.as_raw_fd(), events: libc::POLLIN, revents: 0 };
    // SAFETY: one pollfd that we own, for the duration of the call.
    unsafe { libc::poll(&mut fds, 1, left) };
}

/// Prints what arrives until a pause of `limits.wait` after the first byte (or
/// `first` before it). Returns false when the peer closed the connection.
fn print_reply(stream: &mut TcpStream, first: Duration, limits: Limits, out: &mut impl Write) -> Result<bool> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut patience = first;
    let mut got_any = false;
    loop {
        stream.set_read_timeout(Some(patience))?;
        match stream.read(&mut buf) {
            Ok(0) => {
                writeln!(out, "# the peer closed the connection")?;
                return Ok(false);
            }
            Ok(n) => {
                writeln!(out, "< {}", escape(&buf[..n]))?;
                got_any = true;
                patience = limits.wait;
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if !got_any {
                    writeln!(out, "# nothing came within {}", seconds(patience))?;
                }
                return Ok(true);
            }
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {
                writeln!(out, "# the peer reset the connection")?;
                return Ok(false);
            }
            Err(e) => return Err(e).context("cannot read"),
        }
    }
}

fn udp_client(
    addr: SocketAddr,
    iface: Ipv4Addr,
    texts: &[Vec<u8>],
    limits: Limits,
    out: &mut impl Write,
) -> Result<()> {
    let local: SocketAddr = match (addr, addr.ip().is_multicast()) {
        (SocketAddr::V4(_), true) => SocketAddr::new(iface.into(), 0),
        (SocketAddr::V4(_), false) => SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 0),
        (SocketAddr::V6(_), _) => SocketAddr::new(std::net::Ipv6Addr::LOCALHOST.into(), 0),
    };
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if addr.ip().is_multicast() {
        if !addr.is_ipv4() {
            bail!("only IPv4 multicast groups are used in these labs");
        }
        socket.set_multicast_if_v4(&iface)?;
        socket.set_multicast_ttl_v4(1)?;
        socket.set_multicast_loop_v4(true)?;
    }
    socket.bind(&local.into()).with_context(|| format!("cannot bind a UDP socket to {local}"))?;
    let socket: UdpSocket = socket.into();
    writeln!(out, "# a UDP socket at {}, sending to {addr}", socket.local_addr()?)?;
    for text in texts {
        socket.send_to(text, addr).with_context(|| format!("cannot send a datagram to {addr}"))?;
        writeln!(out, "> one datagram: {}", escape(text))?;
        if !addr.ip().is_multicast() {
            print_datagrams(&socket, limits.wait, out)?;
        }
    }
    Ok(())
}

fn udp_server(
    addr: SocketAddr,
    iface: Ipv4Addr,
    texts: &[Vec<u8>],
    limits: Limits,
    out: &mut impl Write,
) -> Result<()> {
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into()).with_context(|| format!("cannot bind UDP {addr}"))?;
    if let IpAddr::V4(group) = addr.ip() {
        if group.is_multicast() {
            socket.join_multicast_v4(&group, &iface).with_context(|| format!("cannot join {group} on {iface}"))?;
            writeln!(out, "# joined the group {group} on {iface}, port {}", addr.port())?;
        }
    }
    let socket: UdpSocket = socket.into();
    writeln!(out, "# bound to UDP {addr}: start the program now")?;
    let mut buf = vec![0u8; 65_536];
    for text in texts {
        socket.set_read_timeout(Some(limits.first))?;
        let (n, from) = match socket.recv_from(&mut buf) {
            Ok(got) => got,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                writeln!(out, "# no datagram came within {}", seconds(limits.first))?;
                return Ok(());
            }
            Err(e) => return Err(e).context("cannot receive"),
        };
        writeln!(out, "< one datagram from {from}: {}", escape(&buf[..n]))?;
        socket.send_to(text, from).with_context(|| format!("cannot reply to {from}"))?;
        writeln!(out, "> one datagram to {from}: {}", escape(text))?;
    }
    // Then whatever else comes, until a pause; with nothing scripted (a subscriber, a
    // server that never answers), until `--timeout` passes without a datagram.
    let pause = if texts.is_empty() { limits.first } else { limits.wait };
    print_datagrams(&socket, pause, out)
}

/// Prints datagrams until none comes for `pause`.
fn print_datagrams(socket: &UdpSocket, pause: Duration, out: &mut impl Write) -> Result<()> {
    let mut buf = vec![0u8; 65_536];
    let patience = pause;
    let mut got_any = false;
    loop {
        socket.set_read_timeout(Some(patience))?;
        match socket.recv_from(&mut buf) {
            Ok((n, from)) => {
                writeln!(out, "< one datagram from {from}: {}", escape(&buf[..n]))?;
                out.flush()?;
                got_any = true;
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if !got_any {
                    writeln!(out, "# no datagram came within {}", seconds(patience))?;
                }
                return Ok(());
            }
            // On Linux an ICMP "port unreachable" for an earlier datagram shows here.
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
                writeln!(out, "# nothing is bound to that port (ICMP port unreachable)")?;
                return Ok(());
            }
            Err(e) => return Err(e).context("cannot receive"),
        }
    }
}

fn seconds(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// The bytes a TEXT in the transcript's notation stands for.
pub fn unescape(text: &str) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut utf8 = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
            continue;
        }
        match chars.next() {
            Some('n') => out.push(b'\n'),
            Some('r') => out.push(b'\r'),
            Some('t') => out.push(b'\t'),
            Some('0') => out.push(0),
            Some('"') => out.push(b'"'),
            Some('\'') => out.push(b'\''),
            Some('\\') => out.push(b'\\'),
            Some('x') => {
                let hex: String = (0..2).filter_map(|_| chars.next()).collect();
                match u8::from_str_radix(&hex, 16) {
                    Ok(b) if hex.len() == 2 => out.push(b),
                    _ => bail!("\\x takes two hex digits, as in \\x0a; got \\x{hex}"),
                }
            }
            Some('u') => {
                if chars.next() != Some('{') {
                    bail!("\\u takes hex digits in braces, as in \\u{{0}}");
                }
                let hex: String = chars.by_ref().take_while(|&c| c != '}').collect();
                let Some(c) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) else {
                    bail!("\\u{{{hex}}} is not a character");
                };
                let mut utf8 = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
            }
            Some(other) => bail!("unknown escape \\{other}: use \\n \\r \\t \\\" \\\\ \\xNN or \\u{{HEX}}"),
            None => bail!("a TEXT cannot end in a lone \\ (write \\\\ for a backslash)"),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_reverses_the_transcript() {
        for bytes in [
            b"Hello world".to_vec(),
            b"1 2\n3 4\r\n".to_vec(),
            "say \"hi\" \\ back: h\u{e9}llo \u{4f60}\u{597d}\t".as_bytes().to_vec(),
            vec![0, 0, 0, 5, 0xff, 0x80, b'<', 0x1b],
        ] {
            let shown = escape(&bytes);
            let inner = &shown[1..shown.len() - 1];
            assert_eq!(unescape(inner).unwrap(), bytes, "{shown}");
        }
    }

    #[test]
    fn a_host_name_resolves_to_loopback_ipv4_first() {
        let addrs = resolve("localhost:65432").unwrap();
        assert_eq!(addrs[0], "127.0.0.1:65432".parse::<SocketAddr>().unwrap(), "{addrs:?}");
        assert!(addrs.iter().all(|a| a.ip().is_loopback()));
        assert_eq!(resolve("[::1]:7").unwrap(), ["[::1]:7".parse::<SocketAddr>().unwrap()]);
        assert!(resolve("localhost").unwrap_err().to_string().contains("not HOST:PORT"));
        assert!(format!("{:#}", resolve("192.0.2.1:80").unwrap_err()).contains("not a loopback address"));
    }

    #[test]
    fn unescape_says_what_is_wrong() {
        assert!(unescape("a\\q").unwrap_err().to_string().contains("unknown escape"));
        assert!(unescape("\\x4").is_err());
        assert!(unescape("end\\").is_err());
    }
}

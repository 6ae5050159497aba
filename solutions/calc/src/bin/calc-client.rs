//! calc-client: Assignment 3, item 3 (docs/labs/calc.md).
//!
//! Sends each REQUEST argument (or, with none, each line of stdin) to the calc server
//! and prints each reply on a line of its own. Over TCP all requests share one
//! connection; over UDP (`--udp`) each is one datagram, and since a datagram can be
//! lost, the client waits 1 s for the reply and sends the request again, up to 3 times.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs, UdpSocket};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

/// The calculate client: `calc-client "+ 4 5" "/ 7 2"` prints 9 and 3.5.
#[derive(Parser)]
struct Args {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
    #[arg(long, default_value_t = 50007)]
    port: u16,
    /// Talk to the server over UDP instead of TCP.
    #[arg(long)]
    udp: bool,
    /// Over UDP: seconds to wait for a reply before sending again (the contract's --timeout).
    #[arg(long, default_value_t = 1.0)]
    timeout: f64,
    /// Requests such as "+ 4 5" (quoted: one argument each); none: read stdin's lines.
    /// A request may start with '-' ("- 3 10"): it is a request, not an option.
    #[arg(allow_hyphen_values = true)]
    requests: Vec<String>,
}

/// How long a TCP reply may take.
const TCP_TIMEOUT: Duration = Duration::from_secs(5);
/// How many times a UDP request is sent again before the client gives up.
const UDP_RETRIES: u32 = 3;

fn main() -> ExitCode {
    let args = Args::parse();
    let requests = if args.requests.is_empty() {
        match io::stdin().lock().lines().collect::<io::Result<Vec<String>>>() {
            Ok(lines) => lines.into_iter().filter(|l| !l.trim().is_empty()).collect(),
            Err(e) => return fail(&format!("cannot read stdin: {e}")),
        }
    } else {
        args.requests.clone()
    };
    let asked = if args.udp { ask_udp(&args, &requests) } else { ask_tcp(&args, &requests) };
    match asked {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&format!("{}:{}: {e}", args.host, args.port)),
    }
}

fn fail(why: &str) -> ExitCode {
    eprintln!("calc-client: {why}");
    ExitCode::FAILURE
}

/// One connection; each request is a line, each reply a line.
fn ask_tcp(args: &Args, requests: &[String]) -> io::Result<()> {
    let stream = TcpStream::connect((args.host.as_str(), args.port))?;
    stream.set_read_timeout(Some(TCP_TIMEOUT))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    for request in requests {
        writer.write_all(format!("{}\n", request.trim_end()).as_bytes())?;
        // The reply may arrive in pieces: read up to its '\n'.
        let mut reply = String::new();
        reader.read_line(&mut reply)?;
        if !reply.ends_with('\n') {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the server closed the connection"));
        }
        println!("{}", reply.trim_end_matches(['\r', '\n']));
    }
    Ok(())
}

/// One socket; each request is a datagram, sent again while no reply comes.
fn ask_udp(args: &Args, requests: &[String]) -> io::Result<()> {
    let server = (args.host.as_str(), args.port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address for the host"))?;
    let local = if server.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" };
    let socket = UdpSocket::bind(local)?;
    // connect() on UDP sends nothing: it sets the default destination, filters out
    // datagrams from anybody else, and lets the kernel report "connection refused"
    // when nothing listens on the server's port.
    socket.connect(server)?;
    let wait = Duration::try_from_secs_f64(args.timeout)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "--timeout must be a positive number of seconds"))?;
    socket.set_read_timeout(Some(wait))?;
    let mut buf = [0u8; 65_536];
    for request in requests {
        // A late reply to an earlier request must not pass for this one's: drop any.
        socket.set_nonblocking(true)?;
        while socket.recv(&mut buf).is_ok() {}
        socket.set_nonblocking(false)?;

        let mut reply = None;
        for _ in 0..=UDP_RETRIES {
            socket.send(request.trim_end().as_bytes())?;
            match socket.recv(&mut buf) {
                Ok(n) => {
                    reply = Some(String::from_utf8_lossy(&buf[..n]).trim_end_matches(['\r', '\n']).to_string());
                    break;
                }
                // No reply within --timeout: the request or the reply was lost; again.
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
                Err(e) => return Err(e),
            }
        }
        match reply {
            Some(reply) => println!("{reply}"),
            None => {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("no reply to {request:?} after {} tries, {} s apart", UDP_RETRIES + 1, args.timeout),
                ))
            }
        }
    }
    Ok(())
}

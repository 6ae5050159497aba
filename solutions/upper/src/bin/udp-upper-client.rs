//! udp-upper-client: Kurose and Ross's UDPClient, corrected (docs/labs/upper.md).
//!
//! Reads one line from stdin, sends it as one datagram, and prints
//! `From Server: <reply>`. The lecture's client waits forever if the request or the
//! reply is lost; this one waits --timeout seconds (1 by default), sends again, and gives up after 3 tries.

use std::io::{self, BufRead};
use std::net::UdpSocket;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

/// The UDP uppercase client: sends a line from stdin, prints the server's reply.
#[derive(Parser)]
struct Args {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
    #[arg(long, default_value_t = 12000)]
    port: u16,
    /// Seconds to wait for a reply before sending again (the contract's --timeout).
    #[arg(long, default_value_t = 1.0)]
    timeout: f64,
}

/// How many times the line is sent before giving up.
const TRIES: u32 = 3;

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(reply) => {
            println!("From Server: {reply}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("udp-upper-client: {}:{}: {e}", args.host, args.port);
            ExitCode::FAILURE
        }
    }
}

/// The reply timeout from --timeout: a positive number of seconds.
fn reply_wait(seconds: f64) -> io::Result<Duration> {
    Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "--timeout must be a positive number of seconds"))
}

fn run(args: &Args) -> io::Result<String> {
    let mut sentence = String::new();
    if io::stdin().lock().read_line(&mut sentence)? == 0 {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "no line on stdin"));
    }
    let sentence = sentence.trim_end_matches(['\n', '\r']);

    let local = if args.host.contains(':') { "[::]:0" } else { "0.0.0.0:0" };
    let socket = UdpSocket::bind(local)?;
    // Fixes the destination and lets "port unreachable" (no server) show as an error.
    socket.connect((args.host.as_str(), args.port))?;
    socket.set_read_timeout(Some(reply_wait(args.timeout)?))?;
    let mut buf = vec![0u8; 65_535];
    for _ in 0..TRIES {
        // One datagram is the whole request: no newline needed to mark its end.
        socket.send(sentence.as_bytes())?;
        match socket.recv(&mut buf) {
            Ok(n) => return Ok(String::from_utf8_lossy(&buf[..n]).into_owned()),
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => continue,
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                return Err(io::Error::new(e.kind(), "no server is there (port unreachable)"))
            }
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(io::ErrorKind::TimedOut, format!("no reply after {TRIES} tries")))
}

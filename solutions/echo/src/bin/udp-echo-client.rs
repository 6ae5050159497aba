//! udp-echo-client: the lecture's Python UDP echo client, corrected (docs/labs/echo.md).
//!
//! Sends each word as one datagram and prints `Received: <reply>` for its echo. UDP
//! loses datagrams without telling anyone, so the client waits at most --timeout seconds (1 by default) for each
//! echo, sends the word again when none came, and gives up after 3 tries.

use std::io;
use std::net::UdpSocket;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

/// The UDP echo client: sends words, prints their echoes, retries lost ones.
#[derive(Parser)]
struct Args {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
    #[arg(long, default_value_t = 6789)]
    port: u16,
    /// Seconds to wait for a reply before sending again (the contract's --timeout).
    #[arg(long, default_value_t = 1.0)]
    timeout: f64,
    /// Words to send, one after another.
    #[arg(default_values_t = ["Mon", "Tue", "Wed", "Thu", "Fri"].map(String::from))]
    words: Vec<String>,
}

/// How many times a word is sent before giving up.
const TRIES: u32 = 3;

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("udp-echo-client: {}:{}: {e}", args.host, args.port);
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> io::Result<()> {
    // Any local address and port of the server's family: the kernel picks them.
    let local = if args.host.contains(':') { "[::]:0" } else { "0.0.0.0:0" };
    let socket = UdpSocket::bind(local)?;
    // connect() on a UDP socket sends no packet: it fixes the destination, filters
    // what is received to datagrams from the server, and lets the kernel report "port
    // unreachable" (no server) as an error instead of silence.
    socket.connect((args.host.as_str(), args.port))?;
    socket.set_read_timeout(Some(reply_wait(args.timeout)?))?;
    for word in &args.words {
        let echo = ask(&socket, word)?;
        println!("Received: {echo}");
    }
    Ok(())
}

/// The reply timeout from --timeout: a positive number of seconds.
fn reply_wait(seconds: f64) -> io::Result<Duration> {
    Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "--timeout must be a positive number of seconds"))
}

/// Sends `word` until its echo comes back, up to TRIES times.
fn ask(socket: &UdpSocket, word: &str) -> io::Result<String> {
    let mut buf = vec![0u8; 65_535];
    for _ in 0..TRIES {
        socket.send(word.as_bytes())?;
        loop {
            match socket.recv(&mut buf) {
                // A late echo of an earlier word (sent again after a timeout) may
                // still arrive: only the echo of this word answers it.
                Ok(n) if &buf[..n] == word.as_bytes() => return Ok(String::from_utf8_lossy(&buf[..n]).into_owned()),
                Ok(_) => continue,
                // Timed out: the word or its echo was lost. Send it again.
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => break,
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                    return Err(io::Error::new(e.kind(), "no server is there (port unreachable)"))
                }
                Err(e) => return Err(e),
            }
        }
    }
    Err(io::Error::new(io::ErrorKind::TimedOut, format!("no echo of {word:?} after {TRIES} tries")))
}

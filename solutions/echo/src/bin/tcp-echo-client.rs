//! tcp-echo-client: the lecture's Python TCP echo client, corrected (docs/labs/echo.md).
//!
//! Sends each word on one connection, waits for its whole echo, and prints
//! `Received: <reply>`. No `time.sleep(1)` between words is needed: the client knows
//! how long each echo is (as long as the word), and reads until it has all of it.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

/// The TCP echo client: sends words, prints their echoes.
#[derive(Parser)]
struct Args {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
    #[arg(long, default_value_t = 65432)]
    port: u16,
    /// Words to send, one after another.
    #[arg(default_values_t = ["Mon", "Tue", "Wed", "Thu", "Fri"].map(String::from))]
    words: Vec<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
            eprintln!("tcp-echo-client: no echo from {}:{} within 5 s", args.host, args.port);
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("tcp-echo-client: {}:{}: {e}", args.host, args.port);
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> io::Result<()> {
    let mut stream = TcpStream::connect((args.host.as_str(), args.port))?;
    // A client must never wait forever for a server that does not answer.
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    for word in &args.words {
        stream.write_all(word.as_bytes())?;
        // TCP is a byte stream: one read may return only part of the echo. The echo
        // is exactly as long as the word, so read_exact reads until it has that many
        // bytes (a bare recv(1024) is not one message). Decode only the whole echo: a
        // piece may end inside a UTF-8 character.
        let mut echo = vec![0u8; word.len()];
        stream.read_exact(&mut echo)?;
        println!("Received: {}", String::from_utf8_lossy(&echo));
    }
    Ok(())
}

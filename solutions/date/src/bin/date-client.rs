//! date-client: Lab 3, exercise 2, the "What time is it?" client (docs/labs/date.md).
//!
//! Connects, sends the line `What time is it?`, reads the one-line reply and prints it.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

/// The date client: asks the server for the time and prints its answer.
#[derive(Parser)]
struct Args {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
    #[arg(long, default_value_t = 6015)]
    port: u16,
}

/// How long to wait for the reply: a client must never hang on a silent server.
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

fn main() -> ExitCode {
    let args = Args::parse();
    match ask(&args) {
        Ok(reply) => {
            println!("{reply}");
            ExitCode::SUCCESS
        }
        Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
            eprintln!("date-client: no reply from {}:{} within {} s", args.host, args.port, REPLY_TIMEOUT.as_secs());
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("date-client: {}:{}: {e}", args.host, args.port);
            ExitCode::FAILURE
        }
    }
}

/// Sends the request and returns the reply line, without its line ending.
fn ask(args: &Args) -> io::Result<String> {
    let mut stream = TcpStream::connect((args.host.as_str(), args.port))?;
    stream.set_read_timeout(Some(REPLY_TIMEOUT))?;
    // The request is one line: the server reads up to the '\n'.
    stream.write_all(b"What time is it?\n")?;
    let mut reply = String::new();
    // The reply is one line too; reading up to '\n' does not depend on how TCP splits it.
    BufReader::new(stream).take(4096).read_line(&mut reply)?;
    if reply.is_empty() {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the server closed the connection without replying"));
    }
    Ok(reply.trim_end_matches(['\n', '\r']).to_string())
}

//! tcp-upper-client: Kurose and Ross's TCPClient, corrected (docs/labs/upper.md).
//!
//! Reads one line from stdin, sends it as a line, reads the reply line and prints
//! `From Server: <reply>`. Nothing else goes to stdout: no prompt.

use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

/// The TCP uppercase client: sends a line from stdin, prints the server's reply.
#[derive(Parser)]
struct Args {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
    #[arg(long, default_value_t = 12000)]
    port: u16,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(reply) => {
            println!("From Server: {reply}");
            ExitCode::SUCCESS
        }
        Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
            eprintln!("tcp-upper-client: no reply from {}:{} within 5 s", args.host, args.port);
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("tcp-upper-client: {}:{}: {e}", args.host, args.port);
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> io::Result<String> {
    // No prompt: stdout holds only the result (a prompt would go to stderr).
    let mut sentence = String::new();
    if io::stdin().read_line(&mut sentence)? == 0 {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "no line on stdin"));
    }
    let sentence = sentence.trim_end_matches(['\n', '\r']);

    let mut stream = TcpStream::connect((args.host.as_str(), args.port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    // The request is a line: the server reads up to its '\n'.
    stream.write_all(format!("{sentence}\n").as_bytes())?;

    // The reply is a line too, and may come in pieces: read up to the newline (or the
    // server's close), then decode the whole of it.
    let mut reply = Vec::new();
    BufReader::new(stream).read_until(b'\n', &mut reply)?;
    if reply.is_empty() {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the server closed the connection without replying"));
    }
    Ok(String::from_utf8_lossy(&reply).trim_end_matches(['\n', '\r']).to_string())
}

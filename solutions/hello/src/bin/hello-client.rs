//! hello-client: Lab 1, exercises 1 and 2 (docs/labs/hello.md).
//!
//! Sends each message on one connection, waits for the server's reply to each, and
//! prints `Server says: <reply>` for every reply.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

/// The Hello World client: one connection, one reply per message.
#[derive(Parser)]
struct Args {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
    #[arg(long, default_value_t = 65432)]
    port: u16,
    /// Messages to send, one after another.
    #[arg(default_values_t = ["Hello world".to_string()])]
    messages: Vec<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
            eprintln!("hello-client: no reply from {}:{} within 5 s", args.host, args.port);
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("hello-client: {}:{}: {e}", args.host, args.port);
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> io::Result<()> {
    let mut stream = TcpStream::connect((args.host.as_str(), args.port))?;
    // A client must never wait forever for a server that does not answer.
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;

    let mut buf = [0u8; 4096];
    for message in &args.messages {
        stream.write_all(message.as_bytes())?;
        // The hello protocol has no framing: the reply is whatever one read returns.
        // (Lab varsize shows why that is fragile and how framing fixes it.)
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection before replying",
            ));
        }
        println!("Server says: {}", String::from_utf8_lossy(&buf[..n]));
    }
    Ok(())
}

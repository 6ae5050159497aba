//! board-pub: the publisher of the message board (docs/labs/board.md).
//!
//! `board-pub create <topic>` and `board-pub post <topic> <message>...` send one
//! command to the board-server and print its reply line. The exit status says how it
//! went: 0 for `OK`, 1 for an `ERR` reply or when the server cannot be reached.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

/// The message board publisher.
#[derive(Parser)]
struct Args {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server control port.
    #[arg(long, default_value_t = 10000)]
    port: u16,
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand)]
enum Action {
    /// Create a topic.
    Create { topic: String },
    /// Post a message to a topic (the words are joined with spaces).
    Post {
        topic: String,
        #[arg(required = true, allow_hyphen_values = true)]
        message: Vec<String>,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    let command = match &args.action {
        Action::Create { topic } => format!("CREATE {topic}"),
        Action::Post { topic, message } => format!("POST {topic} {}", message.join(" ")),
    };
    // The protocol is line-based: a newline inside would be a second command.
    if command.contains(['\n', '\r']) {
        eprintln!("board-pub: a message is one line; it must not contain a newline");
        return ExitCode::FAILURE;
    }
    match ask(&args.host, args.port, &command) {
        Ok(reply) => {
            println!("{reply}");
            if reply.starts_with("ERR") {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("board-pub: {}:{}: {e}", args.host, args.port);
            ExitCode::FAILURE
        }
    }
}

/// Sends one command line and returns the server's one reply line.
fn ask(host: &str, port: u16, command: &str) -> io::Result<String> {
    let timeout = Duration::from_secs(5);
    let addr = (host, port).to_socket_addrs()?.next().ok_or_else(|| io::Error::other("no address"))?;
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.write_all(format!("{command}\n").as_bytes())?;
    let mut reply = String::new();
    BufReader::new(stream).read_line(&mut reply)?;
    if !reply.ends_with('\n') {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the server closed the connection without a reply"));
    }
    Ok(reply.trim_end_matches(['\r', '\n']).to_string())
}

//! sum-client: Lab 1, exercise 4 (docs/labs/hello.md).
//!
//! Sends its numbers to the sum server as one line and prints the server's reply.

use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

/// The sum client: asks the server to add up some numbers.
#[derive(Parser)]
struct Args {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
    #[arg(long, default_value_t = 65433)]
    port: u16,
    /// The numbers to add up.
    #[arg(allow_negative_numbers = true)]
    numbers: Vec<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(reply) => {
            println!("{reply}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sum-client: {}:{}: {e}", args.host, args.port);
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> io::Result<String> {
    let mut stream = TcpStream::connect((args.host.as_str(), args.port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    // The request is one line: the '\n' tells the server where it ends.
    stream.write_all(format!("{}\n", args.numbers.join(" ")).as_bytes())?;

    // The reply is one line too; it may arrive in pieces, so read up to the '\n'.
    let mut reply = String::new();
    BufReader::new(stream).read_line(&mut reply)?;
    if !reply.ends_with('\n') {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the server closed the connection before a whole reply line",
        ));
    }
    Ok(reply.trim_end_matches(['\r', '\n']).to_string())
}

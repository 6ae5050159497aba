//! tcp-upper-server: Kurose and Ross's TCPServer, corrected (docs/labs/upper.md).
//!
//! For each connection: read one request line, reply it uppercased as one line, close
//! the connection. Each client is served in a thread of its own (the lecture's
//! "concurrent server"), so a slow client does not hold up the others.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};

use clap::Parser;

/// The TCP uppercase server: one line in, the same line uppercased out.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on.
    #[arg(long, default_value_t = 12000)]
    port: u16,
}

/// The longest request line read: a client cannot make the server buffer without end.
const MAX_LINE: u64 = 64 * 1024;

fn main() {
    let args = Args::parse();
    let listener = match TcpListener::bind((args.host.as_str(), args.port)) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("tcp-upper-server: cannot listen on {}:{}: {e}", args.host, args.port);
            std::process::exit(1);
        }
    };
    eprintln!("tcp-upper-server: listening on {}:{}", args.host, args.port);
    for stream in listener.incoming() {
        match stream {
            // A thread per client: accept() is called again at once.
            Ok(stream) => {
                std::thread::spawn(move || {
                    if let Err(e) = serve(stream) {
                        eprintln!("tcp-upper-server: client error: {e}");
                    }
                });
            }
            Err(e) => eprintln!("tcp-upper-server: accept failed: {e}"),
        }
    }
}

/// Answers one request line; the connection closes when `stream` is dropped.
fn serve(stream: TcpStream) -> io::Result<()> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream).take(MAX_LINE);
    // TCP is a byte stream: the line may come in pieces, even cut inside a UTF-8
    // character. read_until gathers bytes up to the newline (or the client's close);
    // only then is the line decoded. The lecture's single recv(1024) is not a line.
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Ok(()); // the client closed without a request
    }
    let reply = match std::str::from_utf8(&line) {
        // to_uppercase is Unicode-aware: "ñandú" becomes "ÑANDÚ".
        Ok(text) => text.trim_end_matches(['\n', '\r']).to_uppercase(),
        Err(_) => "ERR the request is not UTF-8 text".to_string(),
    };
    writer.write_all(format!("{reply}\n").as_bytes())
}

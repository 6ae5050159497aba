//! tcp-upper-server: Kurose and Ross's TCPServer, corrected (docs/labs/upper.md).
//!
//! For each connection: read one request (a line; see read_request), reply it
//! uppercased as one line, close the connection. Each client is served in a thread of its own (the lecture's
//! "concurrent server"), so a slow client does not hold up the others.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

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

/// How long a request without its newline may rest before it counts as complete: the
/// lecture's Python TCPClient sends its sentence with no `\n` and waits for the reply.
const QUIET: Duration = Duration::from_millis(200);

/// Answers one request; the connection closes when `stream` is dropped.
fn serve(stream: TcpStream) -> io::Result<()> {
    let mut writer = stream.try_clone()?;
    let Some(request) = read_request(stream)? else {
        return Ok(()); // the client closed without a request
    };
    let reply = match std::str::from_utf8(&request) {
        // to_uppercase is Unicode-aware: "ñandú" becomes "ÑANDÚ".
        Ok(text) => text.trim_end_matches(['\n', '\r']).to_uppercase(),
        Err(_) => "ERR the request is not UTF-8 text".to_string(),
    };
    writer.write_all(format!("{reply}\n").as_bytes())
}

/// One request (docs/contract.md): the bytes up to the first `\n`, or up to the
/// client's half-close, or, from a client that sends no newline and waits (the
/// lecture's TCPClient), what it sent once that is whole UTF-8 text and nothing more
/// has come for a moment. TCP is a byte stream: the line may come in pieces, even cut
/// inside a UTF-8 character, and a piece cut so is never a whole request. The
/// lecture's single recv(1024) is not a request.
fn read_request(mut stream: TcpStream) -> io::Result<Option<Vec<u8>>> {
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        // Without data yet, wait as long as the client likes; with some, a moment.
        stream.set_read_timeout(if request.is_empty() { None } else { Some(QUIET) })?;
        match stream.read(&mut buf) {
            Ok(0) => return Ok((!request.is_empty()).then_some(request)),
            Ok(n) => {
                request.extend_from_slice(&buf[..n]);
                if let Some(end) = request.iter().position(|&b| b == b'\n') {
                    request.truncate(end + 1);
                    return Ok(Some(request));
                }
                if request.len() as u64 >= MAX_LINE {
                    return Ok(Some(request));
                }
            }
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                if std::str::from_utf8(&request).is_ok() {
                    return Ok(Some(request));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

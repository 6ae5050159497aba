//! varsize-server: Lab 1, exercise 5 (docs/labs/varsize.md).
//!
//! A message is any bytes followed by the token `<EOF>`; with `--framing length` it is
//! a 4-byte big-endian length followed by that many bytes. For every complete message
//! the server replies with the same bytes in the same framing. A connection carries any
//! number of messages, and TCP may split or join them any way it likes: one read can
//! hold two messages, or half a token. A `BufReader` keeps what has arrived and lets us
//! ask for "everything up to the next `>`" or "exactly 4 bytes", however many reads
//! that takes; what it read beyond stays in its buffer for the next message.

use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};

use clap::{Parser, ValueEnum};

/// The variable-size echo server: replies to every complete message.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on.
    #[arg(long, default_value_t = 65434)]
    port: u16,
    /// How a message ends: with the <EOF> token, or after a 4-byte length prefix.
    #[arg(long, value_enum, default_value_t = Framing::Eof)]
    framing: Framing,
}

#[derive(Clone, Copy, ValueEnum)]
enum Framing {
    Eof,
    Length,
}

/// The end of a message in the eof framing.
const TOKEN: &[u8] = b"<EOF>";
/// The largest message the contract asks for; a longer one is refused, so that a
/// client cannot make the server buffer without end.
const MAX_MESSAGE: usize = 64 << 20;

fn main() {
    let args = Args::parse();
    let listener = match TcpListener::bind((args.host.as_str(), args.port)) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("varsize-server: cannot listen on {}:{}: {e}", args.host, args.port);
            std::process::exit(1);
        }
    };
    eprintln!("varsize-server: listening on {}:{}", args.host, args.port);
    for stream in listener.incoming() {
        match stream {
            // A client that misbehaves or vanishes is reported and forgotten.
            Ok(stream) => {
                let served = match args.framing {
                    Framing::Eof => serve_eof(&stream),
                    Framing::Length => serve_length(&stream),
                };
                if let Err(e) = served {
                    eprintln!("varsize-server: client error: {e}");
                }
            }
            Err(e) => eprintln!("varsize-server: accept failed: {e}"),
        }
    }
}

/// Echoes `payload<EOF>` messages until the client closes the connection.
fn serve_eof(stream: &TcpStream) -> io::Result<()> {
    // Each reply leaves at once, even when it is small.
    stream.set_nodelay(true)?;
    let mut reader = BufReader::with_capacity(256 * 1024, stream);
    let mut writer = stream;
    let mut message = Vec::new();
    loop {
        // read_until reads as often as it must, and stops right after the next `>`:
        // maybe the end of the token, maybe a `>` inside the message. It looks at each
        // byte once, so a 64 MiB message takes time in proportion to its size. `take`
        // stops it at the size limit, for a client that never sends a `>`.
        let room = (MAX_MESSAGE + TOKEN.len() + 1 - message.len()) as u64;
        if (&mut reader).take(room).read_until(b'>', &mut message)? == 0 {
            // The client closed; an unfinished message is dropped with it.
            return Ok(());
        }
        if message.ends_with(TOKEN) {
            // The reply is the payload and its token: the message as it came.
            writer.write_all(&message)?;
            message.clear();
        } else if message.len() > MAX_MESSAGE + TOKEN.len() {
            return Err(too_long());
        }
    }
}

/// Echoes length-prefixed messages until the client closes the connection.
fn serve_length(stream: &TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::with_capacity(256 * 1024, stream);
    let mut writer = stream;
    loop {
        let mut header = [0u8; 4];
        // read_exact reads until it has all 4 bytes, however they were split.
        match reader.read_exact(&mut header) {
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => return Ok(()),
            other => other?,
        }
        let len = u32::from_be_bytes(header) as usize;
        if len > MAX_MESSAGE {
            return Err(too_long());
        }
        let mut message = vec![0u8; 4 + len];
        message[..4].copy_from_slice(&header);
        reader.read_exact(&mut message[4..])?;
        // The reply is the same length and payload: the message as it came.
        writer.write_all(&message)?;
    }
}

fn too_long() -> io::Error {
    io::Error::new(ErrorKind::InvalidData, format!("a message longer than {MAX_MESSAGE} bytes; closing"))
}

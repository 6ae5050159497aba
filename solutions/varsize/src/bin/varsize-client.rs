//! varsize-client: Lab 1, exercise 5 (docs/labs/varsize.md).
//!
//! Reads stdin to its end, sends it to the server as one message (followed by the
//! `<EOF>` token, or after a 4-byte big-endian length with `--framing length`), waits
//! for the whole reply and writes its payload to stdout, byte for byte.

use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};

/// The variable-size client: sends stdin as one message, prints the reply.
#[derive(Parser)]
struct Args {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
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

const TOKEN: &[u8] = b"<EOF>";
/// How long the client waits for the server to send anything before giving up.
const PATIENCE: Duration = Duration::from_secs(10);

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("varsize-client: {}:{}: {e}", args.host, args.port);
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> io::Result<()> {
    let mut message = Vec::new();
    io::stdin().read_to_end(&mut message)?;
    if matches!(args.framing, Framing::Eof) && message.windows(TOKEN.len()).any(|w| w == TOKEN) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "stdin contains <EOF>: use --framing length"));
    }
    let len = u32::try_from(message.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "stdin is too long for one message"))?;

    let stream = TcpStream::connect((args.host.as_str(), args.port))?;
    // A client must never wait forever for a server that does not answer.
    stream.set_read_timeout(Some(PATIENCE))?;
    // One buffered writer: the message and its framing leave together.
    let mut out = BufWriter::new(&stream);
    match args.framing {
        Framing::Eof => {
            out.write_all(&message)?;
            out.write_all(TOKEN)?;
        }
        Framing::Length => {
            out.write_all(&len.to_be_bytes())?;
            out.write_all(&message)?;
        }
    }
    out.flush()?;
    drop(out);

    let reply = match args.framing {
        Framing::Eof => read_until_token(&stream)?,
        Framing::Length => read_length_prefixed(&stream)?,
    };
    let mut stdout = io::stdout().lock();
    stdout.write_all(&reply)?;
    stdout.flush()
}

/// Reads until the `<EOF>` token, however the reply is split into reads, and returns
/// what came before it.
fn read_until_token(stream: &TcpStream) -> io::Result<Vec<u8>> {
    let mut reader = BufReader::with_capacity(256 * 1024, stream);
    let mut reply = Vec::new();
    loop {
        // Everything up to the next `>`, in as many reads as it takes: the end of the
        // token, or a `>` inside the reply.
        if reader.read_until(b'>', &mut reply).map_err(explain)? == 0 {
            return Err(closed_early());
        }
        if reply.ends_with(TOKEN) {
            reply.truncate(reply.len() - TOKEN.len());
            return Ok(reply);
        }
    }
}

/// Reads a 4-byte big-endian length, then exactly that many bytes.
fn read_length_prefixed(mut stream: &TcpStream) -> io::Result<Vec<u8>> {
    let mut header = [0u8; 4];
    stream.read_exact(&mut header).map_err(explain)?;
    let mut reply = vec![0u8; u32::from_be_bytes(header) as usize];
    // read_exact loops over read() until the buffer is full.
    stream.read_exact(&mut reply).map_err(explain)?;
    Ok(reply)
}

/// Says what a failed read means for the user.
fn explain(e: io::Error) -> io::Error {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
            io::Error::new(e.kind(), format!("no reply within {} s", PATIENCE.as_secs()))
        }
        io::ErrorKind::UnexpectedEof => closed_early(),
        _ => e,
    }
}

fn closed_early() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "the server closed the connection before the whole reply came")
}

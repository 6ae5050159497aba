//! calc-server: Assignment 3, item 3 (docs/labs/calc.md).
//!
//! A request is `<op> <a> <b>`: an operator out of `+ - * / % ^` and two decimal
//! numbers. The reply is the result (a whole result below 2^53 as an integer, `9`,
//! otherwise a decimal, `3.5`) or `ERR <reason>`. Over TCP (the default) a request is a
//! line, a connection carries any number of them, and every connection gets a thread of
//! its own. With `--udp` a request is a datagram, answered by one datagram to its sender.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::process::ExitCode;
use std::thread;

use clap::Parser;

/// The calculate server: answers `+ 4 5` with `9`.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on.
    #[arg(long, default_value_t = 50007)]
    port: u16,
    /// Serve UDP datagrams instead of TCP connections.
    #[arg(long)]
    udp: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let served = if args.udp { serve_udp(&args.host, args.port) } else { serve_tcp(&args.host, args.port) };
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let proto = if args.udp { "UDP" } else { "TCP" };
            eprintln!("calc-server: cannot serve {proto} on {}:{}: {e}", args.host, args.port);
            ExitCode::FAILURE
        }
    }
}

/// The longest request we accept, in bytes; `+ -1234.5678 9e3` is far shorter. A
/// longer line or datagram gets `ERR request too long` instead of our memory.
const MAX_REQUEST: usize = 1024;

// ---- TCP: one request per line, one thread per connection -------------------------

fn serve_tcp(host: &str, port: u16) -> io::Result<()> {
    let listener = TcpListener::bind((host, port))?;
    for stream in listener.incoming() {
        let stream = match stream {
            Ok(stream) => stream,
            Err(e) => {
                // A client that gave up while queued: not a reason to stop serving.
                eprintln!("calc-server: accept failed: {e}");
                continue;
            }
        };
        // A thread per connection, so that a slow or silent client delays nobody else.
        // Spawning can fail (too many threads): that costs one client, not the server.
        let spawned = thread::Builder::new().spawn(move || {
            let peer = stream.peer_addr().map(|a| a.to_string()).unwrap_or_default();
            if let Err(e) = serve_connection(stream) {
                eprintln!("calc-server: client {peer}: {e}");
            }
        });
        if let Err(e) = spawned {
            eprintln!("calc-server: cannot start a thread for a client: {e}");
        }
    }
    Ok(())
}

/// Answers every request line of one connection until the client closes it.
fn serve_connection(stream: TcpStream) -> io::Result<()> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    loop {
        line.clear();
        // TCP is a byte stream: a request ends at '\n', not at the end of a read().
        // read_until keeps reading until it has a whole line; take() bounds the line.
        let n = (&mut reader).take(MAX_REQUEST as u64 + 1).read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(()); // the client closed the connection
        }
        let reply = if line.len() > MAX_REQUEST {
            // Skip the rest of the long line, so the next request starts clean.
            if !line.ends_with(b"\n") {
                reader.skip_until(b'\n')?;
            }
            "ERR request too long".to_string()
        } else {
            answer_bytes(&line)
        };
        writer.write_all(format!("{reply}\n").as_bytes())?;
    }
}

// ---- UDP: one request per datagram, one reply to its sender ------------------------

fn serve_udp(host: &str, port: u16) -> io::Result<()> {
    let socket = UdpSocket::bind((host, port))?;
    // One byte more than the longest request: the kernel cuts a datagram to the size of
    // the buffer without telling, so a full buffer means the datagram was longer.
    let mut buf = [0u8; MAX_REQUEST + 1];
    loop {
        let (n, sender) = match socket.recv_from(&mut buf) {
            Ok(received) => received,
            Err(e) => {
                eprintln!("calc-server: receive failed: {e}");
                continue;
            }
        };
        let reply = if n > MAX_REQUEST { "ERR request too long".to_string() } else { answer_bytes(&buf[..n]) };
        // The reply goes to the address this datagram came from: each client has its
        // own port, and many clients share the one server socket.
        if let Err(e) = socket.send_to(reply.as_bytes(), sender) {
            eprintln!("calc-server: cannot reply to {sender}: {e}");
        }
    }
}

// ---- The arithmetic, shared by TCP and UDP -----------------------------------------

/// The reply to one request as it came off the wire (a trailing `\n` or `\r\n` is
/// fine: split_whitespace drops it).
fn answer_bytes(request: &[u8]) -> String {
    match std::str::from_utf8(request) {
        Ok(text) => answer(text),
        Err(_) => "ERR request is not UTF-8 text".to_string(),
    }
}

/// The reply to one request: the result, or `ERR <reason>`.
fn answer(request: &str) -> String {
    match calculate(request) {
        Ok(x) => format_number(x),
        Err(reason) => format!("ERR {reason}"),
    }
}

fn calculate(request: &str) -> Result<f64, String> {
    let tokens: Vec<&str> = request.split_whitespace().collect();
    let Some(&op) = tokens.first() else {
        return Err("empty request: send <op> <a> <b>, such as + 4 5".to_string());
    };
    if !["+", "-", "*", "/", "%", "^"].contains(&op) {
        return Err(format!("unknown operator: {op} (one of + - * / % ^ comes first)"));
    }
    let (a, b) = match tokens[1..] {
        [a, b] => (number(a)?, number(b)?),
        [] | [_] => return Err(format!("too few operands: {op} takes two numbers")),
        _ => return Err(format!("too many operands: {op} takes two numbers")),
    };
    let result = match op {
        "+" => a + b,
        "-" => a - b,
        "*" => a * b,
        "/" if b == 0.0 => return Err("division by zero".to_string()),
        "/" => a / b,
        "%" if b == 0.0 => return Err("remainder by zero".to_string()),
        // Rust's % keeps the sign of a (-7 % 3 is -1); Python's follows b (2).
        "%" => a % b,
        _ => a.powf(b),
    };
    if result.is_nan() {
        return Err("the result is not a real number".to_string());
    }
    if result.is_infinite() {
        return Err("the result is too large".to_string());
    }
    Ok(result)
}

/// A decimal number; `inf` and `nan` parse as floats, but are no numbers to a person.
fn number(token: &str) -> Result<f64, String> {
    match token.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(format!("not a number: {token}")),
    }
}

/// Every integer below 2^53 is exact in an f64; above it, floats skip integers.
const EXACT_INTEGERS: f64 = 9_007_199_254_740_992.0;

/// `9` rather than `9.0` for a whole result that is exact; a decimal otherwise.
fn format_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < EXACT_INTEGERS {
        // `as i64` is exact here, and turns -0.0 into 0.
        format!("{}", x as i64)
    } else if x.abs() >= 1e21 {
        format!("{x:e}") // 1e300 rather than a 1 and 300 zeros
    } else {
        format!("{x}")
    }
}

#[cfg(test)]
mod tests {
    use super::answer;

    #[test]
    fn answers_requests() {
        for (request, reply) in [
            ("+ 4 5", "9"),
            ("/ 7 2", "3.5"),
            ("^ 2 -1", "0.5"),
            ("- 3 10", "-7"),
            ("+ 0.5 0.5", "1"),
            ("* -3 0", "0"),
            ("^ 2 60", "1152921504606847000"),
            ("^ 10 30", "1e30"),
            ("% 17 5", "2"),
            ("+ 4 5\r\n", "9"),
        ] {
            assert_eq!(answer(request), reply, "{request}");
        }
        for request in ["/ 1 0", "% 1 0", "& 4 5", "+ four 5", "+ 4", "+ 4 5 6", "", "+ inf 1", "^ 10 400"] {
            assert!(answer(request).starts_with("ERR "), "{request}: {}", answer(request));
        }
    }
}

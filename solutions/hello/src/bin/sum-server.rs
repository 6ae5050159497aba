//! sum-server: Lab 1, exercise 4 (docs/labs/hello.md).
//!
//! One request per line: numbers separated by whitespace. The reply is one line, their
//! sum: an integer when every number is an integer (`ERR overflow` past i64), a decimal
//! when any is a decimal, `0` for an empty line, and `ERR not a number: <token>` for a
//! token that is not a number. A connection may carry any number of requests.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};

use clap::Parser;

/// The sum server: adds up the numbers on each line it receives.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on.
    #[arg(long, default_value_t = 65433)]
    port: u16,
}

fn main() {
    let args = Args::parse();
    let listener = match TcpListener::bind((args.host.as_str(), args.port)) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("sum-server: cannot listen on {}:{}: {e}", args.host, args.port);
            std::process::exit(1);
        }
    };
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                if let Err(e) = serve(stream) {
                    eprintln!("sum-server: client error: {e}");
                }
            }
            Err(e) => eprintln!("sum-server: accept failed: {e}"),
        }
    }
}

/// The longest request line we accept: a client cannot make us buffer without end.
const MAX_LINE: u64 = 64 * 1024;

fn serve(stream: TcpStream) -> io::Result<()> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    loop {
        line.clear();
        // TCP is a byte stream: a request ends at '\n', not at the end of a read.
        // read_until keeps reading until it has a whole line (or the client is gone).
        let n = (&mut reader).take(MAX_LINE).read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(());
        }
        if !line.ends_with(b"\n") && n as u64 == MAX_LINE {
            writer.write_all(b"ERR line too long\n")?;
            return Ok(());
        }
        // A last line without '\n' (the client closed mid-line) is answered too.
        let reply = match std::str::from_utf8(&line) {
            Ok(text) => sum(text),
            Err(_) => "ERR not UTF-8 text".to_string(),
        };
        writer.write_all(format!("{reply}\n").as_bytes())?;
    }
}

/// Adds up the whitespace-separated numbers of one request line.
fn sum(line: &str) -> String {
    // Integers are added as i64 so that large values stay exact; a float has only
    // 53 bits of precision and would round 9007199254740993 to ...992.
    let mut int_total: Option<i64> = Some(0); // None once it overflowed
    let mut float_total = 0.0_f64;
    let mut any_decimal = false;
    for token in line.split_whitespace() {
        if let Ok(n) = token.parse::<i64>() {
            int_total = int_total.and_then(|t| t.checked_add(n));
            float_total += n as f64;
        } else if let Some(x) = token.parse::<f64>().ok().filter(|x| x.is_finite()) {
            any_decimal = true;
            float_total += x;
        } else {
            return format!("ERR not a number: {token}");
        }
    }
    match (any_decimal, int_total) {
        (true, _) => float_total.to_string(),
        (false, Some(total)) => total.to_string(),
        (false, None) => "ERR overflow".to_string(),
    }
}

//! Throughput of the reference varsize-server, beside raw loopback measured in the same
//! run: `cargo bench -p varsize-solution --bench echo` (docs/benchmarks.md).
//!
//! One message of 1, 16 and 64 MiB goes to the server while a second thread reads the
//! reply; throughput is the message size over the round trip, from the first byte sent
//! to the last byte of the reply received. Beside it, on the same machine and in the
//! same run: a raw loopback echo (a thread copying bytes back, no framing: the limit
//! for any echo) and a raw one-way copy (the limit of one direction). MB/s are 10^6
//! bytes per second. The machine is shared, so the four are measured in turn, round
//! after round, and each figure is the best of its rounds: the run least disturbed by
//! everything else, the closest to what the code itself can do.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Message sizes, and how many rounds each.
const SIZES: [(usize, usize); 3] = [(1 << 20, 60), (16 << 20, 30), (64 << 20, 15)];
const TOKEN: &[u8] = b"<EOF>";
const CHUNK: usize = 1 << 20;

fn main() -> io::Result<()> {
    let eof = Reference::start(&[])?;
    let length = Reference::start(&["--framing", "length"])?;
    let raw_echo = raw_echo_server()?;
    println!("varsize echo throughput: MB/s = 10^6 bytes of message per second of round trip, best of N rounds");
    println!();
    println!("| message | rounds | varsize-server (eof) | varsize-server (length) | raw loopback echo | raw one-way copy | eof / raw echo | length / raw echo | eof / raw one-way |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (size, rounds) in SIZES {
        let payload = payload(size);
        let framed_eof = [&payload[..], TOKEN].concat();
        let framed_length = [&(size as u32).to_be_bytes()[..], &payload[..]].concat();
        // Receive buffers are made once: the client's page faults are not measured.
        let mut reply = vec![0u8; size + TOKEN.len()];
        let mut best = [0f64; 4];
        for _ in 0..rounds {
            let runs = [
                round_trip(eof.port, &framed_eof, &mut reply)?,
                round_trip(length.port, &framed_length, &mut reply)?,
                round_trip(raw_echo, &payload, &mut reply)?,
                one_way(&payload, &mut reply)?,
            ];
            for (best, took) in best.iter_mut().zip(runs) {
                *best = best.max(size as f64 / took.as_secs_f64() / 1e6);
            }
        }
        let [eof_rate, length_rate, echo_rate, copy_rate] = best;
        println!(
            "| {} MiB | {rounds} | {eof_rate:.0} | {length_rate:.0} | {echo_rate:.0} | {copy_rate:.0} | {:.2} | {:.2} | {:.2} |",
            size >> 20,
            eof_rate / echo_rate,
            length_rate / echo_rate,
            eof_rate / copy_rate
        );
    }
    Ok(())
}

/// Pseudo-random bytes without `>`, so that they never contain `<EOF>`.
fn payload(size: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    (0..size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            match state as u8 {
                b'>' => b'<',
                b => b,
            }
        })
        .collect()
}

/// Sends `framed` to the echo at `port` while reading the same number of bytes back;
/// checks that they came back unchanged. Returns the round trip's time.
fn round_trip(port: u16, framed: &[u8], reply: &mut [u8]) -> io::Result<Duration> {
    let stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_nodelay(true)?;
    let reply = &mut reply[..framed.len()];
    let started = Instant::now();
    thread::scope(|scope| -> io::Result<()> {
        let writer = scope.spawn(|| -> io::Result<()> {
            let mut out = &stream;
            for chunk in framed.chunks(CHUNK) {
                out.write_all(chunk)?;
            }
            Ok(())
        });
        (&stream).read_exact(reply)?;
        writer.join().expect("the writer does not panic")
    })?;
    let took = started.elapsed();
    if *reply != *framed {
        return Err(io::Error::other("the reply differs from the message"));
    }
    Ok(took)
}

/// Copies `data` one way through a loopback connection, reader and writer on two
/// threads, with the same buffer sizes as the echoes.
fn one_way(data: &[u8], got: &mut [u8]) -> io::Result<Duration> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let sender = TcpStream::connect(listener.local_addr()?)?;
    sender.set_nodelay(true)?;
    let (receiver, _) = listener.accept()?;
    let got = &mut got[..data.len()];
    let started = Instant::now();
    thread::scope(|scope| -> io::Result<()> {
        let writer = scope.spawn(|| -> io::Result<()> {
            for chunk in data.chunks(CHUNK) {
                (&sender).write_all(chunk)?;
            }
            Ok(())
        });
        (&receiver).read_exact(got)?;
        writer.join().expect("the writer does not panic")
    })?;
    Ok(started.elapsed())
}

/// An echo thread with no framing at all: every byte read is written back at once.
fn raw_echo_server() -> io::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match (&stream).read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if (&stream).write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                }
            }
            let _ = stream.shutdown(Shutdown::Both);
        }
    });
    Ok(port)
}

/// The reference server, built by cargo for this bench, on a free port.
struct Reference {
    child: Child,
    port: u16,
}

impl Reference {
    fn start(extra: &[&str]) -> io::Result<Reference> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(env!("CARGO_BIN_EXE_ref-varsize-server"))
            .args(["--port", &port.to_string()])
            .args(extra)
            .stderr(Stdio::null())
            .spawn()?;
        let reference = Reference { child, port };
        // Wait (boundedly) until it accepts connections.
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err(io::Error::other("the reference server did not start listening"));
            }
            thread::sleep(Duration::from_millis(10));
        }
        Ok(reference)
    }
}

impl Drop for Reference {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

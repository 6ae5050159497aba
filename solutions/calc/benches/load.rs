//! Requests per second of the reference calc-server, beside a Python calc server
//! written the way the lecture's examples suggest (tests/fixtures/calc/seed_server.py:
//! a thread per TCP client, one recv(1024) per request), measured in the same run:
//! `cargo bench -p calc-solution --bench load` (docs/benchmarks.md).
//!
//! Each client sends a request, waits for its reply, checks it, and sends the next
//! (closed loop: one request in flight per client), for a fixed time. TCP clients keep
//! one connection each; UDP clients have a socket each, and a request whose reply does
//! not come within 1 s is counted as lost and sent no more. Everything stays on
//! loopback, and every loop is bounded in time.
//!
//! The clients share the machine's cores with the server, and on a busy machine the
//! requests per second move with the load. The server's own CPU time per request (from
//! /proc/PID/stat, all its threads) moves much less: it is the steadier comparison.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

const CLIENTS: [usize; 3] = [1, 8, 64];
const RUN: Duration = Duration::from_secs(2);

fn main() -> io::Result<()> {
    let reference = [env!("CARGO_BIN_EXE_ref-calc-server")];
    let seed_file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/calc/seed_server.py");
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    let seed = [python.as_str(), seed_file.to_str().expect("a UTF-8 path")];
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "calc-server load: requests per second, closed loop (one request in flight per client), {} s per cell",
        RUN.as_secs()
    );
    println!("load average at the start: {}", load.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
    println!();
    println!("| transport | clients | reference calc-server (Rust) req/s | lecture-style Python server req/s | ratio | server CPU per request, µs (ref / py) | lost (ref / py) |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for udp in [false, true] {
        let rust = Server::start(&reference, udp)?;
        let py = Server::start(&seed, udp)?;
        for clients in CLIENTS {
            let (r, r_cpu, r_lost) = rust.measure(udp, clients)?;
            let (p, p_cpu, p_lost) = py.measure(udp, clients)?;
            println!(
                "| {} | {clients} | {r:.0} | {p:.0} | {:.1} | {r_cpu:.1} / {p_cpu:.1} | {r_lost} / {p_lost} |",
                if udp { "UDP" } else { "TCP" },
                r / p
            );
        }
    }
    Ok(())
}

/// Runs `clients` closed-loop clients for [`RUN`]; returns requests per second and the
/// number of requests lost (UDP) or failed.
fn measure(port: u16, udp: bool, clients: usize) -> io::Result<(f64, u64, u64)> {
    let started = Instant::now();
    let deadline = started + RUN;
    let results: Vec<io::Result<(u64, u64)>> = thread::scope(|scope| {
        let handles: Vec<_> = (0..clients)
            .map(|id| {
                scope.spawn(move || if udp { udp_client(port, id, deadline) } else { tcp_client(port, id, deadline) })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a client does not panic")).collect()
    });
    let elapsed = started.elapsed().as_secs_f64();
    let (mut done, mut lost) = (0, 0);
    for result in results {
        let (d, l) = result?;
        done += d;
        lost += l;
    }
    Ok((done as f64 / elapsed, done, lost))
}

/// The request number `n` of client `id`, and its answer.
fn request(id: usize, n: u64) -> (String, String) {
    let (a, b) = (id as u64 * 1_000_000, n);
    (format!("+ {a} {b}"), (a + b).to_string())
}

fn tcp_client(port: u16, id: usize, deadline: Instant) -> io::Result<(u64, u64)> {
    let stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let (mut done, mut wrong) = (0, 0);
    let mut line = String::new();
    while Instant::now() < deadline {
        let (req, want) = request(id, done + wrong);
        writer.write_all(format!("{req}\n").as_bytes())?;
        line.clear();
        reader.read_line(&mut line)?;
        if line.trim_end() == want {
            done += 1;
        } else {
            wrong += 1;
        }
    }
    Ok((done, wrong))
}

fn udp_client(port: u16, id: usize, deadline: Instant) -> io::Result<(u64, u64)> {
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    socket.connect(("127.0.0.1", port))?;
    socket.set_read_timeout(Some(Duration::from_secs(1)))?;
    let (mut done, mut lost) = (0, 0);
    let mut buf = [0u8; 1024];
    while Instant::now() < deadline {
        let (req, want) = request(id, done + lost);
        socket.send(req.as_bytes())?;
        // A late reply to a lost request would be taken for this one's: compared.
        match socket.recv(&mut buf) {
            Ok(n) if String::from_utf8_lossy(&buf[..n]).trim_end() == want => done += 1,
            Ok(_) => lost += 1,
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => lost += 1,
            Err(e) => return Err(e),
        }
    }
    Ok((done, lost))
}

/// A server under load, on a free port, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    /// Requests per second, server CPU µs per request, requests lost.
    fn measure(&self, udp: bool, clients: usize) -> io::Result<(f64, f64, u64)> {
        let before = self.cpu_seconds()?;
        let (rate, done, lost) = measure(self.port, udp, clients)?;
        let cpu = self.cpu_seconds()? - before;
        Ok((rate, cpu * 1e6 / done.max(1) as f64, lost))
    }

    /// User and system CPU time of the server process so far (all its threads).
    fn cpu_seconds(&self) -> io::Result<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))?;
        // The fields after the command name (which is in parentheses): utime is the
        // 14th field of the line, stime the 15th, in clock ticks of 1/100 s.
        let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default();
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
        Ok((ticks(11) + ticks(12)) / 100.0)
    }

    fn start(command: &[&str], udp: bool) -> io::Result<Server> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut cmd = Command::new(command[0]);
        cmd.args(&command[1..]).args(["--port", &port.to_string()]).stdout(Stdio::null()).stderr(Stdio::null());
        if udp {
            cmd.arg("--udp");
        }
        let server = Server { child: cmd.spawn()?, port };
        // Ready when its port is taken (binding it ourselves fails), within 10 s.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let taken = if udp {
                UdpSocket::bind(("127.0.0.1", port)).is_err()
            } else {
                TcpListener::bind(("127.0.0.1", port)).is_err()
            };
            if taken {
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err(io::Error::other(format!("{} did not bind port {port}", command.join(" "))));
            }
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

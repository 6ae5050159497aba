//! Deadlines and bounded polling.
//!
//! Every wait in the grader ends: either its condition becomes true or its deadline
//! passes. This module holds the one place that sleeps, as the step of a poll loop
//! whose condition is checked before and after every step.

use std::time::{Duration, Instant};

/// The first pause of a poll loop: short, because most conditions (a server listening)
/// hold within a few milliseconds.
const FIRST_STEP: Duration = Duration::from_millis(1);
/// The longest pause: the pauses double up to it, so a long wait (a slow interpreter
/// starting on a loaded machine) costs little CPU (reading /proc/net is not free with
/// thousands of sockets in TIME_WAIT), and the condition is still seen within 16 ms.
const LAST_STEP: Duration = Duration::from_millis(16);

/// Polls `probe` until it returns `Some`, or until `deadline`; the last probe runs at
/// or after the deadline, so a condition that became true just in time is seen.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// use harness::deadline::poll_until;
///
/// // A condition that holds from the third look on is found long before the deadline.
/// let mut looks = 0;
/// let found = poll_until(Instant::now() + Duration::from_secs(10), || {
///     looks += 1;
///     (looks >= 3).then_some(looks)
/// });
/// assert_eq!(found, Some(3));
///
/// // One that never holds: `None` once the deadline has passed, never a hang.
/// let started = Instant::now();
/// assert_eq!(poll_until(started + Duration::from_millis(20), || None::<()>), None);
/// assert!(started.elapsed() >= Duration::from_millis(20));
/// ```
pub fn poll_until<T>(deadline: Instant, mut probe: impl FnMut() -> Option<T>) -> Option<T> {
    let mut step = FIRST_STEP;
    loop {
        if let Some(value) = probe() {
            return Some(value);
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        std::thread::sleep(step.min(deadline - now));
        step = (step * 2).min(LAST_STEP);
    }
}

/// The time limits of one grading run. Every limit scales with `--timeout-scale`, for
/// slow or heavily loaded machines; none is a guess at how long a program needs: each
/// is a bound on a wait for a condition that a correct program meets at once.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// From starting a server to its port appearing in the kernel's socket table.
    pub startup: Duration,
    /// One connect, one read or one write on a socket.
    pub io: Duration,
    /// A client program from start to exit.
    pub client_run: Duration,
    /// Between SIGTERM and SIGKILL when a program is stopped.
    pub grace: Duration,
    /// Compiling a lab with cargo.
    pub build: Duration,
}

impl Timeouts {
    /// The default limits, each multiplied by `scale` (`--timeout-scale`).
    pub fn scaled(scale: f64) -> Self {
        let s = |ms: u64| Duration::from_millis(ms).mul_f64(scale);
        Timeouts { startup: s(10_000), io: s(3_000), client_run: s(10_000), grace: s(500), build: s(900_000) }
    }
}

//! Has the server accept()ed every connection yet? Read from the kernel (the listening
//! socket's accept queue), never by asking the server.
//!
//! A check of clients "at once" connects them all, then has them all send. Whether the
//! server's accept loop has caught up by then is a matter of timing: a server that
//! hands every thread the connection its accept loop stored last (a shared variable)
//! answers correctly when each client is served before the next is accepted, and sends
//! replies to the wrong client when they overlap. Waiting until the accept queue is
//! empty makes them overlap every time, so such a bug fails every run, not some.

use std::time::{Duration, Instant};

use crate::deadline::poll_until;
use crate::harness::Server;

impl Server {
    /// Waits, up to `within`, until the server has accepted every connection made to
    /// it; says in the transcript how that went. A server that accepts one client at a
    /// time never gets there: the wait ends at `within`, and the check goes on (its own
    /// exchanges then show what that server does). Without sock_diag there is nothing
    /// to wait for.
    pub fn wait_accepted(&self, within: Duration) {
        let port = self.port();
        let Ok(first) = crate::sockdiag::accept_queue(port) else { return };
        let started = Instant::now();
        let left = poll_until(started + within, || {
            let queued = crate::sockdiag::accept_queue(port).unwrap_or(0);
            (queued == 0).then_some(())
        });
        let transcript = self.transcript_handle();
        match left {
            Some(()) if first > 0 => transcript.note(format!(
                "the server accepted the {first} connection(s) still waiting, in {:.2} s",
                started.elapsed().as_secs_f64()
            )),
            Some(()) => {}
            None => transcript.note(format!(
                "{} connection(s) were still waiting for accept() after {:.1} s",
                crate::sockdiag::accept_queue(port).unwrap_or(0),
                within.as_secs_f64()
            )),
        }
    }
}

#!/usr/bin/env python3
"""CalcGui: Assignment 3, the calculator's GUI client (docs/labs/calc.md, "calc-gui").

A Tkinter window that asks the calculate server at --host:--port (default
127.0.0.1:50007) over TCP, or UDP with --udp (a switch in the window too): a display,
a keypad (the keyboard works too: Enter for =, Escape for C), a field for typing any
request, host and port fields, and a status line.

The rule that shapes it: the window never waits for the network. Tk redraws the window
and handles every click from one loop, mainloop(); a callback that blocks in connect()
or recv() freezes the window, and a dead server would freeze it for good. So = hands the
request to a worker thread and returns at once; the window looks for the answer with a
non-blocking queue read every POLL_MS (root.after()); the worker does the blocking I/O,
each wait with a deadline, and puts the answer on the queue. Tk itself is only ever
touched from the main thread.

The window is written for you (everything below "The window"); the network is yours:
follow the numbered TODO steps. Until they are done, = shows which step is next in the
status line.

Run it:   python3 labs/calc/python/CalcGui.py --port 50007   (and a calc-server on 50007)
"""
import argparse
import queue
import socket
import sys
import threading
import time
import tkinter as tk
import tkinter.font as tkfont
from dataclasses import dataclass
from typing import Optional

CONNECT_TIMEOUT = 2.0  # seconds to connect over TCP
REPLY_TIMEOUT = 5.0  # seconds for a TCP reply line to arrive, once connected
UDP_WAIT = 1.0  # seconds to wait for a UDP reply before sending again
UDP_TRIES = 4  # the first datagram and 3 retries
MAX_REPLY = 65536  # bytes of a reply line; a longer one is no calc reply
POLL_MS = 50  # how often the window looks for an answer


# --- The network: yours. It runs on worker threads, never on the window's -----------
#
# TODO 1: Network.submit(): start a threading.Thread (daemon=True, so that closing the
#         window ends the program) whose function calls ask_udp or ask_tcp and puts an
#         Answer on self.answers: the reply, or the error as describe(e) for any exception
#         (catch them all: an answer that never comes leaves the window waiting forever).
#         submit() returns at once: calling ask_tcp() here, on the window's thread, would
#         freeze the window until the server answers, and for good if it never does.
# TODO 2: Network.take(): return the answer that has come, or None at once when none has:
#         self.answers.get_nowait(), and queue.Empty. Never answers.get() without a
#         timeout here: the window calls take() from its loop every POLL_MS.
# TODO 3: ask_tcp(): socket.create_connection((host, port), timeout=CONNECT_TIMEOUT), send
#         the request and "\n", then recv() until the reply's "\n" has come, all of it
#         within REPLY_TIMEOUT (settimeout() with the time left before each recv(): one
#         reply may come in pieces). recv() returning b"" means the server closed: raise
#         ConnectionError. Return the reply line without its "\n" (or "\r\n").
# TODO 4: ask_udp(): a SOCK_DGRAM socket, connect()ed to (host, port) so that "no server"
#         comes back as ConnectionRefusedError; send the request as one datagram, wait
#         UDP_WAIT for the reply (settimeout), send again on socket.timeout, UDP_TRIES tries
#         in all, then raise TimeoutError. Return the reply without a trailing newline.


def ask_tcp(host, port, request):
    """Sends one request line and returns the reply line, each wait with a deadline."""
    raise NotImplementedError("CalcGui: TODO step 3: ask the server over TCP (see labs/calc/python/CalcGui.py)")


def ask_udp(host, port, request):
    """Sends one datagram, waits UDP_WAIT for the reply, sends again up to UDP_TRIES times."""
    raise NotImplementedError("CalcGui: TODO step 4: ask the server over UDP (see labs/calc/python/CalcGui.py)")


def describe(error):
    """One short line for the status line: what went wrong, not a traceback."""
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, (socket.timeout, TimeoutError)):
        return f"timeout: {error}" if str(error) else "timeout"
    if isinstance(error, socket.gaierror):
        return f"unknown host: {error.strerror}"
    return str(error) or type(error).__name__


@dataclass
class Answer:
    """What a worker found out about one request."""

    ticket: int
    reply: Optional[str]  # the server's reply line, an ERR reply too
    error: Optional[str]  # why there is no reply
    seconds: float


class Network:
    """The window's only way to the network: submit() starts a request on a worker
    thread and returns at once; take() returns an answer that has come, or None, at once."""

    def __init__(self):
        self.answers = queue.Queue()

    def submit(self, ticket, udp, host, port, request):
        raise NotImplementedError(
            "CalcGui: TODO step 1: ask on a worker thread, not the window's (see labs/calc/python/CalcGui.py)"
        )

    def take(self):
        raise NotImplementedError("CalcGui: TODO step 2: take an answer without waiting")


# --- The window: only the main thread touches Tk ------------------------------------

KEYS = [
    ["7", "8", "9", "/"],
    ["4", "5", "6", "*"],
    ["1", "2", "3", "-"],
    ["0", ".", "±", "+"],
    ["C", "%", "^", "="],
]
OPERATORS = "+-*/%^"
SPINNER = "◐◓◑◒"
DISPLAY_SIZES = (28, 20, 14)  # the result's font sizes, largest first: the first that fits
ERROR_COLOUR = "#c62828"


@dataclass
class Pending:
    ticket: int
    request: str
    where: str
    started: float


class CalcApp:
    """The calculator window. Its parts, by name: buttons (the keypad, by label),
    request_entry, protocol ("tcp" or "udp"), host, port, shown (the request asked,
    small), result (large), status (one line, normal size), keypad (their frame)."""

    def __init__(self, root, host, port, udp=False, network=None):
        self.root = root
        self.network = network or Network()
        self.pending = None  # the request being waited for, if any
        self.tickets = 0
        self.first, self.operator, self.second = "", "", ""
        self.fresh = False  # the display shows a result: a digit starts a new number

        root.title("calc-gui")
        root.resizable(False, False)
        self.protocol = tk.StringVar(value="udp" if udp else "tcp")
        self.host = tk.StringVar(value=host)
        self.port = tk.StringVar(value=str(port))
        self.request = tk.StringVar()

        self.base_font = tkfont.nametofont("TkDefaultFont")
        self.result_fonts = [tkfont.Font(family=self.base_font.actual("family"), size=s) for s in DISPLAY_SIZES]
        self._build()
        self._bind_keys()
        self.show_entry()
        self.root.after(POLL_MS, self.poll)

    def _build(self):
        outer = tk.Frame(self.root, padx=8, pady=8)
        outer.pack(fill="both", expand=True)

        server = tk.Frame(outer)
        server.pack(fill="x")
        for text, value in (("TCP", "tcp"), ("UDP", "udp")):
            tk.Radiobutton(server, text=text, value=value, variable=self.protocol).pack(side="left")
        tk.Label(server, text="host").pack(side="left", padx=(8, 2))
        tk.Entry(server, textvariable=self.host, width=13).pack(side="left")
        tk.Label(server, text="port").pack(side="left", padx=(8, 2))
        tk.Entry(server, textvariable=self.port, width=6).pack(side="left")

        # The display has a fixed size in pixels: no text, long or short, large or red,
        # can move the keypad below it.
        line = self.base_font.metrics("linespace")
        big = self.result_fonts[0].metrics("linespace")
        display = tk.Frame(outer, width=300, height=line + big + 12, bg="white", relief="sunken", bd=1)
        display.pack(fill="x", pady=6)
        display.pack_propagate(False)
        self.shown = tk.Label(display, anchor="e", bg="white", fg="#555555")
        self.shown.pack(fill="x", padx=6)
        self.result = tk.Label(display, anchor="e", bg="white", font=self.result_fonts[0])
        self.result.pack(fill="x", padx=6)

        self.keypad = tk.Frame(outer)
        self.keypad.pack()
        self.buttons = {}
        for r, row in enumerate(KEYS):
            for c, key in enumerate(row):
                button = tk.Button(self.keypad, text=key, width=4, height=1, command=lambda k=key: self.press(k))
                button.grid(row=r, column=c, padx=2, pady=2, sticky="nsew")
                self.buttons[key] = button

        typed = tk.Frame(outer)
        typed.pack(fill="x", pady=(6, 0))
        tk.Label(typed, text="request").pack(side="left")
        self.request_entry = tk.Entry(typed, textvariable=self.request)
        self.request_entry.pack(side="left", fill="x", expand=True, padx=4)
        self.request_entry.bind("<Return>", lambda _e: self.send_typed())
        tk.Button(typed, text="Send", command=self.send_typed).pack(side="left")

        # The status line: normal size, fixed height, one line; a long text is cut with
        # "…" (measured), so it never wraps and never grows the window.
        status = tk.Frame(outer, height=line + 4)
        status.pack(fill="x", pady=(6, 0))
        status.pack_propagate(False)
        self.status = tk.Label(status, anchor="w")
        self.status.pack(fill="both")
        self.status_width = 300

    def _bind_keys(self):
        def key(event):
            if isinstance(self.root.focus_get(), tk.Entry):
                return  # typing into a field, not on the keypad
            if event.char and event.char in "0123456789." + OPERATORS:
                self.press(event.char)
            elif event.keysym in ("Return", "KP_Enter") or event.char == "=":
                self.press("=")
            elif event.keysym == "Escape":
                self.press("C")
            elif event.keysym == "BackSpace":
                self.backspace()

        self.root.bind("<Key>", key)

    # -- the keypad ------------------------------------------------------------------

    def press(self, key):
        if key == "C":
            self.first, self.operator, self.second, self.fresh = "", "", "", False
        elif key == "=":
            if self.operator and self.second not in ("", "-"):
                self.send(f"{self.operator} {self.first} {self.second}")
                return
        elif key in OPERATORS:
            if self.first not in ("", "-"):
                self.operator, self.second, self.fresh = key, "", False
        elif key == "±":
            self._edit(lambda n: n[1:] if n.startswith("-") else "-" + n)
        else:  # a digit or the point
            self._edit(lambda n: n if key == "." and "." in n else n + key)
        self.show_entry()

    def _edit(self, change):
        """Applies `change` to the number being typed: the second once an operator is in."""
        if self.fresh:  # typing after a result starts a new calculation
            self.first, self.operator, self.second, self.fresh = "", "", "", False
        if self.operator:
            self.second = change(self.second)
        else:
            self.first = change(self.first)

    def backspace(self):
        if self.operator and self.second:
            self.second = self.second[:-1]
        elif self.operator:
            self.operator = ""
        else:
            self.first = self.first[:-1]
        self.show_entry()

    def show_entry(self):
        typed = " ".join(part for part in (self.first, self.operator, self.second) if part)
        if not self.fresh:
            self.shown.config(text="")
            self.show_result(typed or "0")

    def show_result(self, text, error=False):
        """The result in the largest size that fits the display."""
        width = max(self.result.winfo_width() - 12, 200)
        font = next((f for f in self.result_fonts if f.measure(text) <= width), self.result_fonts[-1])
        self.result.config(text=text, font=font, fg=ERROR_COLOUR if error else "black")

    def show_status(self, text, error=False):
        width = max(self.status.winfo_width(), self.status_width)
        if self.base_font.measure(text) > width:
            while text and self.base_font.measure(text + "…") > width:
                text = text[:-1]
            text += "…"
        self.status.config(text=text, fg=ERROR_COLOUR if error else "black")

    # -- asking the server -------------------------------------------------------------

    def send_typed(self):
        request = self.request.get().strip()
        if request:
            self.send(request)

    def send(self, request):
        """Hands the request to the network and returns at once."""
        host = self.host.get().strip()
        try:
            port = int(self.port.get())
            if not 0 < port < 65536:
                raise ValueError
        except ValueError:
            self.show_status(f"the port must be a number from 1 to 65535, not {self.port.get()!r}", error=True)
            return
        udp = self.protocol.get() == "udp"
        self.tickets += 1
        where = f"{'UDP' if udp else 'TCP'} {host}:{port}"
        try:
            self.network.submit(self.tickets, udp, host, port, request)
        except NotImplementedError as e:  # the skeleton's TODO steps
            self.show_status(f"not written yet: {e}", error=True)
            return
        # A newer request supersedes one still pending: its answer will be ignored.
        self.pending = Pending(self.tickets, request, where, time.monotonic())
        self.shown.config(text=request)
        self.show_waiting()

    def show_waiting(self):
        p = self.pending
        waited = time.monotonic() - p.started
        spin = SPINNER[int(waited * 8) % len(SPINNER)]
        self.show_status(f"{spin} waiting for {p.where} to answer {p.request!r}... {waited:.1f} s")

    def poll(self):
        """Every POLL_MS: takes what answers have come, without ever waiting for one."""
        try:
            while True:
                try:
                    answer = self.network.take()
                except NotImplementedError:
                    answer = None
                if answer is None:
                    break
                if self.pending and answer.ticket == self.pending.ticket:
                    self.show_answer(answer)
            if self.pending:
                self.show_waiting()
        finally:
            self.root.after(POLL_MS, self.poll)

    def show_answer(self, answer):
        p, self.pending = self.pending, None
        ms = f"{answer.seconds * 1000:.0f} ms"
        if answer.error is not None or answer.reply.startswith("ERR"):
            self.first, self.operator, self.second = "", "", ""  # nothing to go on from
        if answer.error is not None:
            self.show_result("no answer", error=True)
            self.show_status(f"{answer.error} · {p.where}, {ms}", error=True)
        elif answer.reply.startswith("ERR"):
            # The reason goes to the status line, at normal size: the display says ERR.
            self.show_result("ERR", error=True)
            self.show_status(f"{answer.reply} · {p.where}, {ms}", error=True)
        else:
            self.show_result(answer.reply)
            self.show_status(f"{p.where} answered in {ms}")
            self.first, self.operator, self.second = answer.reply, "", ""
        self.fresh = True


def parse_args():
    parser = argparse.ArgumentParser(description="The calculator window: asks a calculate server.")
    parser.add_argument("--host", default="127.0.0.1", help="server address (default: %(default)s)")
    parser.add_argument("--port", type=int, default=50007, help="server port (default: %(default)s)")
    parser.add_argument("--udp", action="store_true", help="start with UDP selected instead of TCP")
    return parser.parse_args()


def main():
    args = parse_args()
    try:
        root = tk.Tk()
    except tk.TclError as e:  # no display: one clear line, not a traceback
        print(f"CalcGui: cannot open a window: {e}", file=sys.stderr)
        return 1
    CalcApp(root, args.host, args.port, args.udp)
    root.mainloop()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)

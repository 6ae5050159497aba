//! The calculator window: what it shows and what its buttons do.
//!
//! It never touches the network itself. `=` hands the request to the network thread
//! (net.rs) and returns at once; every frame looks for an answer without waiting. So the
//! window keeps drawing, and says what it is waiting for, however slow the server is.

use std::time::{Duration, Instant};

use egui::{Color32, RichText};

use crate::net::{Job, Transport, Worker};

/// How long the window waits for the network thread before it gives up on it. The
/// thread's own deadlines (net.rs: 4 s at most) come first; this one only fires when
/// the thread is stuck or was never started.
pub const PATIENCE: Duration = Duration::from_secs(8);

/// The keypad, row by row.
const KEYPAD: [[&str; 4]; 5] =
    [["7", "8", "9", "/"], ["4", "5", "6", "*"], ["1", "2", "3", "-"], ["0", ".", "+/-", "+"], ["C", "%", "^", "="]];

const ERROR_RED: Color32 = Color32::from_rgb(220, 50, 50);

/// How many lines of text the status line has room for: an error such as "connection
/// refused: no calc-server on TCP 127.0.0.1:50007" takes two in a 340-point window.
const STATUS_LINES: f32 = 3.0;

/// The whole state of the window.
pub struct CalcApp {
    pub transport: Transport,
    pub host: String,
    /// As typed; checked when a request is sent.
    pub port: String,
    /// The free-form request field: `+ 4 5`, sent as it is.
    expression: String,
    /// What the keypad has built so far.
    entry: Entry,
    /// The last answer, shown until the keypad starts a new entry.
    answer: Option<Shown>,
    waiting: Option<Waiting>,
    next_id: u64,
    /// Started on the first frame, when the egui context (to wake the window) is known.
    worker: Option<Worker>,
}

/// The keypad's request being built: `4`, `4 +`, `4 + 5`.
#[derive(Default)]
struct Entry {
    a: String,
    op: Option<&'static str>,
    b: String,
}

/// A request in flight.
struct Waiting {
    id: u64,
    request: String,
    server: String,
    since: Instant,
}

/// An answer on the display.
struct Shown {
    request: String,
    server: String,
    took: Duration,
    reply: Reply,
}

enum Reply {
    /// A number from the server.
    Value(String),
    /// The server's `ERR <reason>`.
    ServerError(String),
    /// No reply: refused, timed out, a bad port.
    Failed(String),
}

impl CalcApp {
    pub fn new(transport: Transport, host: impl Into<String>, port: u16) -> CalcApp {
        CalcApp {
            transport,
            host: host.into(),
            port: port.to_string(),
            expression: String::new(),
            entry: Entry::default(),
            answer: None,
            waiting: None,
            next_id: 1,
            worker: None,
        }
    }

    /// Draws the window and handles what was clicked: called once per frame.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        if self.worker.is_none() {
            let ctx = ui.ctx().clone();
            self.worker = Some(Worker::start(move || ctx.request_repaint()));
        }
        self.collect_answer();
        // Typing works like the keypad, unless a text field has the keyboard.
        if ui.memory(|m| m.focused().is_none()) {
            self.keyboard(ui);
        }

        egui::Panel::top("server").show(ui, |ui| self.server_bar(ui));
        // The status line has room for three lines of text whatever it says, so that
        // an error never moves the keypad or hides the request field.
        let row = ui.text_style_height(&egui::TextStyle::Body);
        egui::Panel::bottom("status").exact_size(STATUS_LINES * row + 10.0).show(ui, |ui| self.status_line(ui));
        egui::CentralPanel::default().show(ui, |ui| {
            self.display(ui);
            ui.add_space(8.0);
            self.keypad(ui);
            ui.add_space(8.0);
            self.expression_field(ui);
        });

        if self.waiting.is_some() {
            // Redraw now and then while waiting: the status line counts the seconds,
            // and the patience deadline is checked on every frame.
            ui.ctx().request_repaint_after(Duration::from_millis(100));
        }
    }

    /// Whether a request is on its way.
    pub fn is_waiting(&self) -> bool {
        self.waiting.is_some()
    }

    fn server_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.transport, Transport::Tcp, "TCP");
            ui.selectable_value(&mut self.transport, Transport::Udp, "UDP");
            ui.separator();
            let label = ui.label("host");
            ui.add(egui::TextEdit::singleline(&mut self.host).desired_width(84.0)).labelled_by(label.id);
            let label = ui.label("port");
            ui.add(egui::TextEdit::singleline(&mut self.port).desired_width(52.0)).labelled_by(label.id);
        });
    }

    /// Two lines: what was asked (small), and the entry or the answer (large). Each is
    /// one line whatever its length (a longer one is cut with `…`), so the display
    /// keeps its height; what went wrong is told in the status line.
    fn display(&mut self, ui: &mut egui::Ui) {
        egui::Frame::group(ui.style()).fill(ui.visuals().extreme_bg_color).show(ui, |ui| {
            ui.set_min_width(ui.available_width());
            ui.with_layout(egui::Layout::top_down(egui::Align::Max), |ui| {
                let (small, large) = match (&self.answer, self.entry.is_empty()) {
                    (Some(shown), true) => {
                        let large = match &shown.reply {
                            Reply::Value(value) => RichText::new(value).strong(),
                            Reply::ServerError(_) | Reply::Failed(_) => RichText::new("Error").color(ERROR_RED),
                        };
                        (shown.request.clone(), large)
                    }
                    _ => (String::new(), RichText::new(self.entry.shown()).strong()),
                };
                ui.add(egui::Label::new(RichText::new(small).monospace().weak()).truncate());
                ui.add(egui::Label::new(large.size(28.0).monospace()).truncate());
            });
        });
    }

    fn keypad(&mut self, ui: &mut egui::Ui) {
        let busy = self.waiting.is_some();
        let gap = 6.0;
        let width = ((ui.available_width() - 3.0 * gap) / 4.0).max(40.0);
        egui::Grid::new("keypad").spacing([gap, gap]).show(ui, |ui| {
            for row in KEYPAD {
                for key in row {
                    let button = egui::Button::new(RichText::new(key).size(20.0)).min_size(egui::vec2(width, 40.0));
                    // While a request is out, `=` waits: one request at a time.
                    if ui.add_enabled(!(busy && key == "="), button).clicked() {
                        self.press(key);
                    }
                }
                ui.end_row();
            }
        });
    }

    /// Keys as on the keypad: digits, `.`, the operators; Enter is `=`, Escape is `C`.
    fn keyboard(&mut self, ui: &mut egui::Ui) {
        let events = ui.input(|i| i.events.clone());
        for event in events {
            match event {
                egui::Event::Text(text) => {
                    for c in text.chars() {
                        if let Some(key) = KEYPAD.iter().flatten().find(|k| k.len() == 1 && k.starts_with(c)) {
                            self.press(key);
                        }
                    }
                }
                egui::Event::Key { key: egui::Key::Enter, pressed: true, .. } => self.press("="),
                egui::Event::Key { key: egui::Key::Escape, pressed: true, .. } => self.press("C"),
                _ => {}
            }
        }
    }

    fn expression_field(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let label = ui.label("request");
            let field =
                ui.add(egui::TextEdit::singleline(&mut self.expression).hint_text("+ 4 5").desired_width(160.0));
            let field = field.labelled_by(label.id);
            let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let clicked = ui.add_enabled(self.waiting.is_none(), egui::Button::new("Send")).clicked();
            if (entered || clicked) && self.waiting.is_none() && !self.expression.trim().is_empty() {
                self.send(self.expression.trim().to_string());
            }
        });
    }

    fn status_line(&self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| match (&self.waiting, &self.answer) {
            (Some(waiting), _) => {
                ui.spinner();
                ui.label(format!(
                    "waiting for {} to answer {:?}... {:.1} s",
                    waiting.server,
                    waiting.request,
                    waiting.since.elapsed().as_secs_f32()
                ));
            }
            (None, Some(shown)) => {
                let text = match &shown.reply {
                    Reply::Failed(why) | Reply::ServerError(why) => RichText::new(why).color(ERROR_RED),
                    Reply::Value(_) => {
                        RichText::new(format!("{} answered in {} ms", shown.server, shown.took.as_millis()))
                    }
                };
                // Wrapped within the status line's three lines, never cut off.
                ui.add(egui::Label::new(text).wrap());
            }
            (None, None) => {
                ui.label(format!("ready: {} {}:{}", self.transport_name(), self.host, self.port));
            }
        });
    }

    fn transport_name(&self) -> &'static str {
        match self.transport {
            Transport::Tcp => "TCP",
            Transport::Udp => "UDP",
        }
    }

    /// What a key does.
    fn press(&mut self, key: &'static str) {
        match key {
            "C" => {
                self.entry = Entry::default();
                self.answer = None;
            }
            "=" => {
                if let Some(request) = self.entry.request().filter(|_| self.waiting.is_none()) {
                    self.send(request);
                }
            }
            "+/-" => self.entry.negate(),
            "+" | "-" | "*" | "/" | "%" | "^" => {
                // An operator right after an answer continues from it: 9, then `* 2`.
                if self.entry.is_empty() {
                    if let Some(Shown { reply: Reply::Value(value), .. }) = &self.answer {
                        self.entry.a = value.clone();
                    }
                }
                self.entry.operator(key);
            }
            digit => self.entry.digit(digit),
        }
    }

    /// Hands `request` to the network thread; the answer comes in a later frame.
    fn send(&mut self, request: String) {
        let server = format!("{} {}:{}", self.transport_name(), self.host.trim(), self.port.trim());
        let port = match self.port.trim().parse::<u16>() {
            Ok(port) if port > 0 => port,
            _ => {
                let why = format!("the port must be a number from 1 to 65535, not {:?}", self.port);
                self.finish(Shown { request, server, took: Duration::ZERO, reply: Reply::Failed(why) });
                return;
            }
        };
        let id = self.next_id;
        self.next_id += 1;
        let job =
            Job { id, transport: self.transport, host: self.host.trim().to_string(), port, request: request.clone() };
        let sent = match &self.worker {
            Some(worker) => worker.send(job),
            None => Err("the network thread is not running".to_string()),
        };
        match sent {
            Ok(()) => self.waiting = Some(Waiting { id, request, server, since: Instant::now() }),
            Err(why) => self.finish(Shown { request, server, took: Duration::ZERO, reply: Reply::Failed(why) }),
        }
    }

    /// Takes the answer to the request in flight, if it has come (never waits).
    fn collect_answer(&mut self) {
        let Some(waiting) = &self.waiting else {
            return;
        };
        let polled = self.worker.as_ref().map_or(Err("the network thread is not running".to_string()), Worker::poll);
        let reply = match polled {
            Ok(Some(answer)) if answer.id == waiting.id => match answer.reply {
                Ok(line) => match line.strip_prefix("ERR") {
                    Some(_) => Reply::ServerError(line),
                    None => Reply::Value(line),
                },
                Err(why) => Reply::Failed(why),
            },
            // An answer to a request given up on earlier: too late to matter.
            Ok(Some(_)) => return,
            Ok(None) if waiting.since.elapsed() < PATIENCE => return,
            Ok(None) => Reply::Failed(format!("timeout: no answer after {} s", PATIENCE.as_secs())),
            Err(why) => Reply::Failed(why),
        };
        let shown = Shown {
            request: waiting.request.clone(),
            server: waiting.server.clone(),
            took: waiting.since.elapsed(),
            reply,
        };
        self.finish(shown);
    }

    fn finish(&mut self, shown: Shown) {
        self.waiting = None;
        self.entry = Entry::default();
        self.answer = Some(shown);
    }
}

impl Entry {
    fn is_empty(&self) -> bool {
        self.a.is_empty() && self.op.is_none()
    }

    /// The operand being typed: the second once an operator is chosen.
    fn current(&mut self) -> &mut String {
        if self.op.is_some() {
            &mut self.b
        } else {
            &mut self.a
        }
    }

    fn digit(&mut self, digit: &str) {
        let operand = self.current();
        if digit == "." && operand.contains('.') {
            return;
        }
        operand.push_str(digit);
    }

    fn negate(&mut self) {
        let operand = self.current();
        match operand.strip_prefix('-') {
            Some(rest) => *operand = rest.to_string(),
            None => operand.insert(0, '-'),
        }
    }

    fn operator(&mut self, op: &'static str) {
        if !self.a.is_empty() && self.b.is_empty() {
            self.op = Some(op);
        }
    }

    /// The request in the protocol's order, once it is complete: `+ 4 5`.
    fn request(&self) -> Option<String> {
        let op = self.op?;
        (!self.a.is_empty() && !self.b.is_empty()).then(|| format!("{op} {} {}", self.a, self.b))
    }

    /// As a person writes it: `4 + 5`.
    fn shown(&self) -> String {
        match self.op {
            None if self.a.is_empty() => "0".to_string(),
            None => self.a.clone(),
            Some(op) => format!("{} {op} {}", self.a, self.b).trim_end().to_string(),
        }
    }
}

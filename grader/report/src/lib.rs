//! What a grading run found, and every way it is written: the result model
//! ([`Report`], one [`CheckReport`] per check), the human report a person reads
//! ([`human`]), the machine formats platforms read ([`formats`]: JSON, JUnit,
//! Gradescope, PrairieLearn, GitHub, Classroom, TAP, HTML), where each goes
//! ([`output`]), and the class's [`gradebook`].
//!
//! A reporter is a function of a report: it knows no lab and runs no program. What it
//! needs from the grader (the command that runs a check again, the sandbox's line,
//! where to learn more) is handed to it.

pub mod formats;
pub mod gradebook;
pub mod human;
pub mod output;
mod report;

pub use crate::report::{CheckReport, Report, Status, REPORT_VERSION};

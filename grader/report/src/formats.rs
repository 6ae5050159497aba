//! Reporters for the platforms courses use: plain functions from a [`Report`] to the
//! text of one format. `output.rs` chooses which ones run and where they write.
//!
//! [`Report`]: crate::report::Report

pub mod budget;
pub mod classroom;
pub mod github;
pub mod gradescope;
pub mod html;
pub mod junit;
pub mod prairielearn;
pub mod tap;
pub mod text;

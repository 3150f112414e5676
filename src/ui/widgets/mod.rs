//! Drawing pieces shared by the panels.

pub mod cell;
pub mod confirm;
pub mod gauge;
pub mod grid;
pub mod plan;
pub mod popup;
pub mod sql;

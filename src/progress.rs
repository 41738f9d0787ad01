//! Progress bars for long work: a sweep's runs, a long run's virtual time.
//!
//! A bar is drawn on standard error only when that is a terminal, so piped output, files
//! and the tests see nothing of it.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// A bar of `len` steps drawn with `template` (indicatif's syntax), or a hidden one unless
/// `wanted` and standard error is a terminal.
pub fn bar(len: u64, template: &str, wanted: bool) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if wanted && std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::stderr());
        bar.set_style(ProgressStyle::with_template(template).expect("valid template"));
    } else {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar
}

//! Virtual time: integer microseconds since the start of a run.
//!
//! Integers, not floats, so that event order never depends on rounding. Scenario files give
//! durations in seconds; they are converted once, on loading, by [`seconds`].

use serde::Serialize;
use std::fmt;
use std::ops::{Add, Sub};

/// An instant or a span of virtual time, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Time(pub u64);

impl Time {
    pub const ZERO: Time = Time(0);
    pub const MAX: Time = Time(u64::MAX);

    pub fn from_secs_f64(seconds: f64) -> Time {
        Time((seconds * 1e6).round() as u64)
    }

    pub const fn from_secs(seconds: u64) -> Time {
        Time(seconds * 1_000_000)
    }

    pub fn from_millis(millis: u64) -> Time {
        Time(millis * 1_000)
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }

    /// `self * factor`, saturating.
    pub fn times(self, factor: u64) -> Time {
        Time(self.0.saturating_mul(factor))
    }
}

impl Add for Time {
    type Output = Time;
    fn add(self, other: Time) -> Time {
        Time(self.0.saturating_add(other.0))
    }
}

impl Sub for Time {
    type Output = Time;
    fn sub(self, other: Time) -> Time {
        Time(self.0.saturating_sub(other.0))
    }
}

impl fmt::Display for Time {
    /// Seconds with millisecond precision, as logs print them: `12.345s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}s", self.0 / 1_000_000, (self.0 / 1_000) % 1_000)
    }
}

/// Serde for a [`Time`] written in a scenario file as a number of seconds, so a table such
/// as `[miner]` deserialises straight into the settings the actors read. A value that is
/// negative, not finite or beyond 10^12 seconds is refused with the value named; whether a
/// zero is allowed is the scenario check's business, which names the field.
pub mod seconds {
    use super::Time;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    /// The longest span a scenario may give: about 31,700 years.
    const MAX_SECONDS: f64 = 1e12;

    pub fn serialize<S: Serializer>(time: &Time, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(time.as_secs_f64())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Time, D::Error> {
        let value = f64::deserialize(deserializer)?;
        if value.is_finite() && (0.0..MAX_SECONDS).contains(&value) {
            Ok(Time::from_secs_f64(value))
        } else {
            Err(D::Error::custom(format!(
                "{value} is not a number of seconds between 0 and {MAX_SECONDS:e}"
            )))
        }
    }
}

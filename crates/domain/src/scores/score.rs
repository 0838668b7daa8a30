//! A score: an exact integer within ±2^53, so it survives every JSON parser and every double.

use serde::{Deserialize, Serialize};

/// The largest magnitude a score may have: 2^53, the last integer every double holds exactly.
pub const MAX_SCORE_MAGNITUDE: i64 = 1 << 53;

/// A validated score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct ScoreValue(i64);

impl ScoreValue {
    /// Accepts integers within ±2^53.
    pub fn new(value: i64) -> Result<Self, String> {
        if value.unsigned_abs() > MAX_SCORE_MAGNITUDE as u64 {
            return Err(format!("must be an integer between -{0} and {0}", MAX_SCORE_MAGNITUDE));
        }
        Ok(Self(value))
    }

    /// The score as an integer.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for ScoreValue {
    type Error = String;
    fn try_from(value: i64) -> Result<Self, String> {
        Self::new(value)
    }
}

impl From<ScoreValue> for i64 {
    fn from(score: ScoreValue) -> i64 {
        score.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_up_to_two_to_the_53_either_way_are_accepted() {
        assert!(ScoreValue::new(MAX_SCORE_MAGNITUDE).is_ok());
        assert!(ScoreValue::new(-MAX_SCORE_MAGNITUDE).is_ok());
    }

    #[test]
    fn a_score_one_past_two_to_the_53_is_rejected() {
        assert!(ScoreValue::new(MAX_SCORE_MAGNITUDE + 1).is_err());
        assert!(ScoreValue::new(-MAX_SCORE_MAGNITUDE - 1).is_err());
        assert!(ScoreValue::new(i64::MIN).is_err());
    }
}

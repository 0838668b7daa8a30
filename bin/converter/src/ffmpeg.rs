//! ffprobe and ffmpeg as child processes: the probe reads a video's duration, the conversion writes
//! an MP3 and reports progress from `-progress`. Both are killed when their future is dropped.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// Why a video could not be converted.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// The input is not something ffmpeg can read as a video with sound.
    #[error("{0}")]
    Unreadable(String),
    /// It took longer than allowed.
    #[error("the conversion took longer than {0:?}")]
    TimedOut(Duration),
    /// ffmpeg could not be run at all.
    #[error("ffmpeg could not run: {0}")]
    Tool(String),
}

/// The duration of a video with at least one audio stream, in seconds.
pub async fn probe(input: &Path) -> Result<f64, ConvertError> {
    let output = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "a:0", "-show_entries", "stream=codec_type:format=duration"])
        .args(["-of", "default=noprint_wrappers=1"])
        .arg(input)
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|error| ConvertError::Tool(format!("ffprobe: {error}")))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(ConvertError::Unreadable(format!("not a readable video: {}", last_line(&output.stderr))));
    }
    if !stdout.lines().any(|line| line.trim() == "codec_type=audio") {
        return Err(ConvertError::Unreadable("the video has no sound to make an MP3 of".to_owned()));
    }
    stdout
        .lines()
        .find_map(|line| line.trim().strip_prefix("duration=")?.parse::<f64>().ok())
        .filter(|seconds| seconds.is_finite() && *seconds > 0.0)
        .ok_or_else(|| ConvertError::Unreadable("not a readable video: it has no duration".to_owned()))
}

/// Converts `input` to an MP3 at `output` within `timeout`, calling `progress` with the position
/// ffmpeg reports (`out_time_us`) as it goes.
pub async fn convert(
    input: &Path,
    output: &Path,
    timeout: Duration,
    mut progress: impl FnMut(f64),
) -> Result<(), ConvertError> {
    let mut child = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-v", "error", "-y", "-i"])
        .arg(input)
        .args(["-vn", "-c:a", "libmp3lame", "-q:a", "4", "-progress", "pipe:1", "-nostats"])
        .arg(output)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| ConvertError::Tool(format!("ffmpeg: {error}")))?;
    let stdout = child.stdout.take().ok_or_else(|| ConvertError::Tool("no stdout".to_owned()))?;
    let mut stderr = child.stderr.take().ok_or_else(|| ConvertError::Tool("no stderr".to_owned()))?;
    let run = async {
        let mut lines = BufReader::new(stdout).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(micros) = line.strip_prefix("out_time_us=").and_then(|v| v.trim().parse::<f64>().ok())
            {
                progress(micros);
            }
        }
        let mut errors = Vec::new();
        let _ = tokio::io::AsyncReadExt::read_to_end(&mut stderr, &mut errors).await;
        let status = child.wait().await.map_err(|error| ConvertError::Tool(error.to_string()))?;
        if status.success() {
            Ok(())
        } else {
            Err(ConvertError::Unreadable(format!("ffmpeg failed: {}", last_line(&errors))))
        }
    };
    tokio::time::timeout(timeout, run).await.map_err(|_| ConvertError::TimedOut(timeout))?
}

/// The percentage a position (`out_time_us`) is of a duration, below 100 until ffmpeg ends.
pub fn percent_of(out_time_us: f64, duration_seconds: f64) -> Option<u8> {
    if duration_seconds <= 0.0 || out_time_us.is_nan() || out_time_us < 0.0 {
        return None;
    }
    Some(((out_time_us / 1e6 / duration_seconds) * 100.0).clamp(0.0, 99.0) as u8)
}

fn last_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let line = text.lines().rev().find(|line| !line.trim().is_empty()).unwrap_or("no reason given");
    line.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_become_percentages_that_stay_below_one_hundred() {
        assert_eq!(percent_of(15_000_000.0, 60.0), Some(25));
        assert_eq!(percent_of(90_000_000.0, 60.0), Some(99));
        assert_eq!(percent_of(f64::NAN, 60.0), None);
        assert_eq!(percent_of(1.0, 0.0), None);
    }
}

//! What the tests share: a local store in a directory of the test's own.

use std::path::{Path, PathBuf};

use blobs::{BlobError, Blobs};
use bytes::Bytes;
use futures::TryStreamExt;
use tempfile::TempDir;

/// A local store rooted in a fresh temporary directory, removed when the `TempDir` drops.
pub fn local_store() -> (Blobs, TempDir) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let settings = settings::BlobSettings {
        root: dir.path().join("blobs").to_str().expect("a UTF-8 path").to_owned(),
        ..settings::BlobSettings::default()
    };
    let blobs = Blobs::from_settings(&settings).expect("a local blob store");
    (blobs, dir)
}

/// Every file under `dir`, however deep.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a readable directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// A body that yields `chunks` and then ends.
pub fn body(chunks: Vec<Bytes>) -> impl futures::Stream<Item = Result<Bytes, String>> + Send + Unpin {
    futures::stream::iter(chunks.into_iter().map(Ok))
}

/// Everything `get` streams back, gathered (small blobs only).
pub async fn read(
    blobs: &Blobs,
    key: &str,
    range: Option<std::ops::Range<u64>>,
) -> Result<Vec<u8>, BlobError> {
    let chunks: Vec<Bytes> = blobs.get(key, range).await?.try_collect().await?;
    Ok(chunks.concat())
}

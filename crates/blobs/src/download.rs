//! Downloads: a blob streamed back, whole or by byte range, or into a local file.

use std::ops::Range;

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::{GetOptions, GetRange};
use tokio::io::{AsyncWriteExt, BufWriter};

use crate::blobs::location;
use crate::{BlobError, Blobs};

/// How much of a download is gathered before one write to the local file.
const FILE_WRITE_BYTES: usize = 1 << 20;

impl Blobs {
    /// The bytes of `range` (half-open, clamped to the blob, so a range past the end is empty),
    /// or the whole blob when `range` is `None`; streamed.
    pub async fn get(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> Result<BoxStream<'static, Result<Bytes, BlobError>>, BlobError> {
        let location = location(key)?;
        let range = match range {
            None => None,
            Some(range) => {
                // Stores refuse ranges that start past the end, so clamp against the real size.
                let size = self.head(key).await?.ok_or(BlobError::NotFound)?.bytes;
                let clamped = range.start.min(size)..range.end.min(size);
                if clamped.is_empty() {
                    return Ok(futures::stream::empty().boxed());
                }
                Some(GetRange::Bounded(clamped))
            }
        };
        let options = GetOptions { range, ..GetOptions::default() };
        let found = self.store.get_opts(&location, options).await?;
        Ok(found.into_stream().map_err(BlobError::from).boxed())
    }

    /// Copies the blob under `key` into the local file at `path` (streamed), returning its size;
    /// on failure the partial file is removed.
    pub async fn download_to(&self, key: &str, path: &std::path::Path) -> Result<u64, BlobError> {
        let chunks = self.get(key, None).await?;
        let copied = copy_into_file(chunks, path).await;
        if copied.is_err() {
            // Best effort: the error being returned matters more than a failed removal.
            let _ = tokio::fs::remove_file(path).await;
        }
        copied
    }
}

async fn copy_into_file(
    mut chunks: BoxStream<'static, Result<Bytes, BlobError>>,
    path: &std::path::Path,
) -> Result<u64, BlobError> {
    let shown = path.display();
    let local = |error: std::io::Error| BlobError::Store(format!("cannot write {shown}: {error}"));
    let file = tokio::fs::File::create(path).await.map_err(local)?;
    let mut file = BufWriter::with_capacity(FILE_WRITE_BYTES, file);
    let mut bytes: u64 = 0;
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk?;
        file.write_all(&chunk).await.map_err(local)?;
        bytes += chunk.len() as u64;
    }
    file.flush().await.map_err(local)?;
    Ok(bytes)
}

//! Uploads: a body streamed into a multipart upload while it is counted and hashed.

use std::fmt::Display;

use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};
use object_store::WriteMultipart;
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

use crate::blobs::location;
use crate::{BlobError, Blobs, Stored};

/// The size of one uploaded part; S3 wants at least 5 MiB for all but the last.
const PART_BYTES: usize = 8 << 20;
/// Parts uploading at once; with the part being filled this bounds an upload's buffers to
/// `(PARTS_IN_FLIGHT + 1) * PART_BYTES`.
const PARTS_IN_FLIGHT: usize = 2;
/// How much of a local file one read takes.
const FILE_READ_BYTES: usize = 1 << 20;

impl Blobs {
    /// Streams `body` into `key` (multipart upload, constant memory) while hashing it.
    ///
    /// Stops reading and aborts, leaving no blob and no partial file, as soon as more than
    /// `limit` bytes arrived ([`BlobError::TooLarge`]) or `body` yields an error
    /// ([`BlobError::Source`]). If the returned future is dropped midway, a local store removes
    /// its partial file, while S3 keeps the incomplete upload until a bucket lifecycle rule
    /// (`AbortIncompleteMultipartUpload`) removes it.
    pub async fn put_stream<S, E>(&self, key: &str, mut body: S, limit: u64) -> Result<Stored, BlobError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: Display,
    {
        let upload = self.store.put_multipart(&location(key)?).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut hasher = Sha256::new();
        let mut bytes: u64 = 0;
        let copied = loop {
            let chunk = match body.next().await {
                None => break Ok(()),
                Some(Err(error)) => break Err(BlobError::Source(error.to_string())),
                Some(Ok(chunk)) => chunk,
            };
            bytes += chunk.len() as u64;
            if bytes > limit {
                break Err(BlobError::TooLarge { limit });
            }
            hasher.update(&chunk);
            if let Err(error) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
                break Err(error.into());
            }
            // Copied rather than `put`: a small `Bytes` may pin a much larger buffer behind it.
            writer.write(&chunk);
        };
        if let Err(error) = copied {
            if let Err(abort) = writer.abort().await {
                tracing::warn!(key, error = %abort, "aborting a failed blob upload failed");
            }
            return Err(error);
        }
        writer.finish().await?;
        let sha256 = hex::encode(hasher.finalize());
        tracing::debug!(key, bytes, %sha256, "blob stored");
        Ok(Stored { bytes, etag: sha256.clone(), sha256 })
    }

    /// Stores the local file at `path` under `key`, streamed rather than read whole; a file that
    /// cannot be read is a [`BlobError::Source`].
    pub async fn put_file(&self, key: &str, path: &std::path::Path) -> Result<Stored, BlobError> {
        let shown = path.display().to_string();
        let file = tokio::fs::File::open(path)
            .await
            .map_err(|error| BlobError::Source(format!("cannot open {shown}: {error}")))?;
        let chunks = futures::stream::unfold(file, |mut file| async move {
            let mut buffer = BytesMut::with_capacity(FILE_READ_BYTES);
            match file.read_buf(&mut buffer).await {
                Ok(0) => None,
                Ok(_) => Some((Ok(buffer.freeze()), file)),
                Err(error) => Some((Err(error), file)),
            }
        });
        let chunks = chunks.map(|chunk| chunk.map_err(|error| format!("cannot read {shown}: {error}")));
        self.put_stream(key, Box::pin(chunks), u64::MAX).await
    }
}

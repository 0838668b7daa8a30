//! What can go wrong with a blob.

/// Why a blob operation failed.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// More than `limit` bytes arrived; the upload was aborted and nothing was stored.
    #[error("the upload is larger than {limit} bytes")]
    TooLarge {
        /// The most bytes the upload could have.
        limit: u64,
    },
    /// The incoming body (or local file) failed; the upload was aborted and nothing was stored.
    #[error("the upload was interrupted: {0}")]
    Source(String),
    /// No blob under that key.
    #[error("no such blob")]
    NotFound,
    /// The object store (or the local file being written) failed.
    #[error("the blob store failed: {0}")]
    Store(String),
}

impl From<object_store::Error> for BlobError {
    fn from(error: object_store::Error) -> Self {
        match error {
            object_store::Error::NotFound { .. } => Self::NotFound,
            other => Self::Store(other.to_string()),
        }
    }
}

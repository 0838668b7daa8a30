//! Blobs: uploaded videos and MP3s in an object store.
//!
//! A local directory by default, an S3-compatible bucket when configured ([`Blobs::from_settings`]).
//! Uploads stream in as multipart uploads of bounded parts while a SHA-256 is computed, so a file
//! of any size costs a few parts of memory; an upload over its size limit, or whose body fails,
//! is aborted and leaves nothing behind. Downloads stream back, whole or by byte range.
//!
//! HTTP callers answer with `Stored::sha256` as the `ETag`: it depends on the content alone, so it
//! stays the same whichever store holds the blob and however often it is re-uploaded.

mod blobs;
mod download;
mod error;
mod upload;

pub use blobs::Blobs;
pub use error::BlobError;

/// What [`Blobs::put_stream`] and [`Blobs::put_file`] stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The blob's size.
    pub bytes: u64,
    /// The SHA-256 of the content, lowercase hex.
    pub sha256: String,
    /// An entity tag for the content, unquoted: the same as `sha256`, so persist `sha256` and
    /// answer with it as the HTTP `ETag`.
    pub etag: String,
}

/// What [`Blobs::head`] knows about a stored blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobMeta {
    /// The blob's size.
    pub bytes: u64,
    /// The store's entity tag, unquoted (or size and modification time when the store has
    /// none). It changes when the blob is rewritten, even with the same content, and is not the
    /// SHA-256: prefer the `Stored::sha256` recorded at upload as the HTTP `ETag`.
    pub etag: String,
}

//! The store handle: which store, and the operations that need no streaming.

use std::fmt;
use std::sync::Arc;

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use secrecy::ExposeSecret;
use settings::BlobSettings;

use crate::{BlobError, BlobMeta};

/// A handle on the blob store; cheap to clone and share between requests.
#[derive(Clone)]
pub struct Blobs {
    pub(crate) store: Arc<dyn ObjectStore>,
    /// The directory of a local store, for readers that can open a blob in place.
    local_root: Option<std::path::PathBuf>,
}

impl fmt::Debug for Blobs {
    // The store's `Display` names it (directory or bucket) without any credential.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Blobs").field("store", &format_args!("{}", self.store)).finish()
    }
}

impl Blobs {
    /// The S3 bucket when `s3_bucket` is set, otherwise the local directory `root`, created when
    /// missing.
    pub fn from_settings(settings: &BlobSettings) -> Result<Self, BlobError> {
        match &settings.s3_bucket {
            Some(bucket) => Ok(Self { store: Arc::new(s3(bucket, settings)?), local_root: None }),
            None => {
                let store = local(&settings.root)?;
                let root = std::fs::canonicalize(&settings.root).ok();
                Ok(Self { store: Arc::new(store), local_root: root })
            }
        }
    }

    /// Where a blob of a local store lies on disk, for a reader (ffmpeg) to open it in place instead of
    /// copying it; `None` for other stores or an invalid key. The file is not to be written.
    pub fn local_path(&self, key: &str) -> Option<std::path::PathBuf> {
        let location = location(key).ok()?;
        let path = self.local_root.as_ref()?.join(location.as_ref());
        path.is_file().then_some(path)
    }

    /// A store in memory, for tests of callers.
    pub fn in_memory() -> Self {
        Self { store: Arc::new(InMemory::new()), local_root: None }
    }

    /// The blob's size and entity tag, or `None` when there is no blob under `key`.
    pub async fn head(&self, key: &str) -> Result<Option<BlobMeta>, BlobError> {
        let meta = match self.store.head(&location(key)?).await {
            Ok(meta) => meta,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        let etag = meta
            .e_tag
            .unwrap_or_else(|| format!("{:x}-{:x}", meta.size, meta.last_modified.timestamp_micros()));
        Ok(Some(BlobMeta { bytes: meta.size, etag }))
    }

    /// Removes the blob under `key`; a missing blob is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), BlobError> {
        match self.store.delete(&location(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }
}

/// The store's path for `key`, refusing keys that are not clean `/`-separated paths.
pub(crate) fn location(key: &str) -> Result<Path, BlobError> {
    Path::parse(key).map_err(|error| BlobError::Store(format!("invalid blob key {key:?}: {error}")))
}

fn local(root: &str) -> Result<LocalFileSystem, BlobError> {
    std::fs::create_dir_all(root)
        .map_err(|error| BlobError::Store(format!("cannot create the blob directory {root}: {error}")))?;
    // Automatic cleanup removes the directories a deleted blob leaves empty.
    Ok(LocalFileSystem::new_with_prefix(root)?.with_automatic_cleanup(true))
}

fn s3(bucket: &str, settings: &BlobSettings) -> Result<object_store::aws::AmazonS3, BlobError> {
    let mut builder = AmazonS3Builder::new().with_bucket_name(bucket);
    if let Some(endpoint) = &settings.s3_endpoint {
        builder = builder.with_endpoint(endpoint).with_allow_http(endpoint.starts_with("http://"));
    }
    if let Some(region) = &settings.s3_region {
        builder = builder.with_region(region);
    }
    if let Some(key_id) = &settings.s3_access_key_id {
        builder = builder.with_access_key_id(key_id);
    }
    if let Some(secret) = &settings.s3_secret_access_key {
        builder = builder.with_secret_access_key(secret.expose_secret());
    }
    Ok(builder.build()?)
}

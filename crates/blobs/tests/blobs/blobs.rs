//! The blob store's behaviour on a real local directory.

use blobs::{BlobError, Blobs};
use bytes::Bytes;
use futures::StreamExt;

use crate::common::{body, files_under, local_store, read};

const ABC_SHA256: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const MIB: usize = 1 << 20;

fn numbered(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

#[tokio::test]
async fn a_streamed_upload_is_stored_with_its_size_and_sha256() {
    let (blobs, _dir) = local_store();
    let chunks = vec![Bytes::from_static(b"a"), Bytes::from_static(b"bc")];

    let stored = blobs.put_stream("videos/v1/original", body(chunks), 3).await.unwrap();

    assert_eq!(stored.bytes, 3);
    assert_eq!(stored.sha256, ABC_SHA256);
    assert_eq!(stored.etag, ABC_SHA256);
    assert_eq!(read(&blobs, "videos/v1/original", None).await.unwrap(), b"abc");
    assert_eq!(blobs.head("videos/v1/original").await.unwrap().unwrap().bytes, 3);
}

#[tokio::test]
async fn an_upload_spanning_several_parts_comes_back_intact() {
    let (blobs, _dir) = local_store();
    let content = numbered(20 * MIB + 123);
    let chunks = content.chunks(MIB / 3).map(Bytes::copy_from_slice).collect();

    let stored = blobs.put_stream("big", body(chunks), u64::MAX).await.unwrap();

    assert_eq!(stored.bytes, content.len() as u64);
    assert!(read(&blobs, "big", None).await.unwrap() == content);
}

#[tokio::test]
async fn an_empty_upload_stores_an_empty_blob() {
    let (blobs, _dir) = local_store();

    let stored = blobs.put_stream("empty", body(vec![]), 0).await.unwrap();

    assert_eq!(stored.bytes, 0);
    assert_eq!(stored.sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_eq!(blobs.head("empty").await.unwrap().unwrap().bytes, 0);
}

#[tokio::test]
async fn an_upload_of_exactly_the_limit_is_accepted() {
    let (blobs, _dir) = local_store();

    let stored = blobs.put_stream("k", body(vec![Bytes::from_static(b"abc")]), 3).await.unwrap();

    assert_eq!(stored.bytes, 3);
}

#[tokio::test]
async fn an_endless_upload_stops_at_the_limit_and_leaves_nothing() {
    let (blobs, dir) = local_store();
    // Endless: only stopping at the limit lets this test finish; several parts are written first.
    let endless = futures::stream::repeat(Bytes::from(numbered(MIB))).map(Ok::<_, String>);

    let outcome = blobs.put_stream("videos/v2/original", endless, 20 * MIB as u64).await;

    assert!(matches!(outcome, Err(BlobError::TooLarge { limit }) if limit == 20 * MIB as u64));
    assert_eq!(blobs.head("videos/v2/original").await.unwrap(), None);
    assert_eq!(files_under(dir.path()), Vec::<std::path::PathBuf>::new());
}

#[tokio::test]
async fn a_failing_body_is_a_source_error_and_leaves_nothing() {
    let (blobs, dir) = local_store();
    let good = (0..12).map(|_| Ok(Bytes::from(numbered(MIB))));
    let failing = futures::stream::iter(good.chain([Err("connection reset".to_owned())]));

    let outcome = blobs.put_stream("videos/v3/original", failing, u64::MAX).await;

    assert!(matches!(&outcome, Err(BlobError::Source(message)) if message == "connection reset"));
    assert_eq!(blobs.head("videos/v3/original").await.unwrap(), None);
    assert_eq!(files_under(dir.path()), Vec::<std::path::PathBuf>::new());
}

#[tokio::test]
async fn a_range_returns_exactly_those_bytes() {
    let (blobs, _dir) = local_store();
    let content = numbered(1_000);
    blobs.put_stream("k", body(vec![Bytes::from(content.clone())]), 1_000).await.unwrap();

    assert_eq!(read(&blobs, "k", Some(10..20)).await.unwrap(), content[10..20]);
    assert_eq!(read(&blobs, "k", Some(0..1_000)).await.unwrap(), content);
}

#[tokio::test]
async fn a_range_past_the_end_is_clamped() {
    let (blobs, _dir) = local_store();
    let content = numbered(1_000);
    blobs.put_stream("k", body(vec![Bytes::from(content.clone())]), 1_000).await.unwrap();

    assert_eq!(read(&blobs, "k", Some(990..5_000)).await.unwrap(), content[990..]);
    assert_eq!(read(&blobs, "k", Some(1_000..2_000)).await.unwrap(), b"");
    assert_eq!(read(&blobs, "k", Some(5..5)).await.unwrap(), b"");
}

#[tokio::test]
async fn getting_a_missing_blob_is_not_found() {
    let (blobs, _dir) = local_store();

    assert!(matches!(blobs.get("missing", None).await, Err(BlobError::NotFound)));
    assert!(matches!(blobs.get("missing", Some(0..10)).await, Err(BlobError::NotFound)));
    assert_eq!(blobs.head("missing").await.unwrap(), None);
}

#[tokio::test]
async fn a_file_round_trips_through_the_store() {
    let (blobs, dir) = local_store();
    let content = numbered(3 * MIB + 7);
    let source = dir.path().join("source.mp3");
    std::fs::write(&source, &content).unwrap();

    let stored = blobs.put_file("audio/a1.mp3", &source).await.unwrap();
    let target = dir.path().join("copy.mp3");
    let bytes = blobs.download_to("audio/a1.mp3", &target).await.unwrap();

    assert_eq!(stored.bytes, content.len() as u64);
    assert_eq!(bytes, content.len() as u64);
    assert!(std::fs::read(&target).unwrap() == content);
}

#[tokio::test]
async fn storing_a_missing_file_is_a_source_error() {
    let (blobs, dir) = local_store();

    let outcome = blobs.put_file("k", &dir.path().join("missing")).await;

    assert!(matches!(outcome, Err(BlobError::Source(_))));
    assert_eq!(blobs.head("k").await.unwrap(), None);
}

#[tokio::test]
async fn downloading_a_missing_blob_creates_no_file() {
    let (blobs, dir) = local_store();
    let target = dir.path().join("copy");

    assert!(matches!(blobs.download_to("missing", &target).await, Err(BlobError::NotFound)));
    assert!(!target.exists());
}

#[tokio::test]
async fn a_deleted_blob_is_gone_and_deleting_it_again_is_fine() {
    let (blobs, dir) = local_store();
    blobs.put_stream("videos/v4/original", body(vec![Bytes::from_static(b"x")]), 1).await.unwrap();

    blobs.delete("videos/v4/original").await.unwrap();
    blobs.delete("videos/v4/original").await.unwrap();

    assert_eq!(blobs.head("videos/v4/original").await.unwrap(), None);
    assert_eq!(files_under(dir.path()), Vec::<std::path::PathBuf>::new());
}

#[tokio::test]
async fn the_same_content_has_the_same_sha256_and_etag() {
    let (blobs, _dir) = local_store();

    let first = blobs.put_stream("one", body(vec![Bytes::from_static(b"abc")]), 3).await.unwrap();
    let second = blobs.put_stream("two", body(vec![Bytes::from_static(b"abc")]), 3).await.unwrap();

    assert_eq!(first, second);
}

#[tokio::test]
async fn head_reports_the_size_and_an_etag() {
    let (blobs, _dir) = local_store();
    blobs.put_stream("k", body(vec![Bytes::from_static(b"hello")]), 5).await.unwrap();

    let meta = blobs.head("k").await.unwrap().unwrap();

    assert_eq!(meta.bytes, 5);
    assert!(!meta.etag.is_empty());
}

#[tokio::test]
async fn an_invalid_key_is_refused() {
    let (blobs, _dir) = local_store();

    let outcome = blobs.put_stream("../escape", body(vec![]), 0).await;

    assert!(matches!(outcome, Err(BlobError::Store(_))));
}

#[tokio::test]
async fn the_settings_root_is_created_when_missing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("var").join("blobs");
    let settings = settings::BlobSettings {
        root: root.to_str().unwrap().to_owned(),
        ..settings::BlobSettings::default()
    };

    Blobs::from_settings(&settings).unwrap();

    assert!(root.is_dir());
}

#[tokio::test]
async fn the_in_memory_store_round_trips() {
    let blobs = Blobs::in_memory();

    let stored = blobs.put_stream("k", body(vec![Bytes::from_static(b"abc")]), 3).await.unwrap();

    assert_eq!(stored.sha256, ABC_SHA256);
    assert_eq!(read(&blobs, "k", Some(1..9)).await.unwrap(), b"bc");
}

#[tokio::test]
async fn an_s3_store_is_built_from_settings_without_showing_its_secret() {
    let settings = settings::BlobSettings {
        s3_bucket: Some("reprise-blobs".to_owned()),
        s3_endpoint: Some("http://127.0.0.1:9000".to_owned()),
        s3_region: Some("us-east-1".to_owned()),
        s3_access_key_id: Some("reprise".to_owned()),
        s3_secret_access_key: Some("very-secret-key".to_owned().into()),
        ..settings::BlobSettings::default()
    };

    let blobs = Blobs::from_settings(&settings).unwrap();

    let shown = format!("{blobs:?}");
    assert!(shown.contains("reprise-blobs"), "{shown}");
    assert!(!shown.contains("very-secret-key"), "{shown}");
}

/// Handlers run on a multi-threaded runtime, so every operation's future must be `Send`.
#[test]
fn every_operation_can_run_in_a_spawned_task() {
    fn spawnable<F: std::future::Future + Send>(_: F) {}
    let blobs = Blobs::in_memory();
    let path = std::path::Path::new("unused");

    spawnable(blobs.put_stream("k", body(vec![]), 0));
    spawnable(blobs.put_file("k", path));
    spawnable(blobs.download_to("k", path));
    spawnable(blobs.get("k", Some(0..1)));
    spawnable(blobs.head("k"));
    spawnable(blobs.delete("k"));
}

#[tokio::test]
async fn a_local_blob_can_be_opened_in_place_and_no_other_can() {
    let (blobs, _dir) = local_store();
    blobs.put_stream("videos/v1", body(vec![Bytes::from_static(b"abc")]), 10).await.unwrap();
    let path = blobs.local_path("videos/v1").expect("a local blob has a path");
    assert_eq!(std::fs::read(path).unwrap(), b"abc");
    assert!(blobs.local_path("videos/missing").is_none());
    assert!(blobs.local_path("../escape").is_none());
    assert!(Blobs::in_memory().local_path("videos/v1").is_none());
}

//! A 300 MB upload in constant memory, measured by the process's peak RSS (`VmHWM`, which cannot be
//! reset). nextest runs every test in a process of its own, so no other test raises that peak first.

use bytes::Bytes;
use futures::StreamExt;
use sha2::{Digest, Sha256};

use crate::common::{files_under, local_store};

const CHUNK: usize = 1 << 20;
const CHUNKS: usize = 300;
const MB: u64 = 1_000_000;

/// Chunk `index` of the generated body: a fixed pattern stamped with its index, so chunks
/// written out of order or twice would change the hash.
fn chunk(pattern: &[u8], index: usize) -> Bytes {
    let mut chunk = pattern.to_vec();
    chunk[..8].copy_from_slice(&(index as u64).to_le_bytes());
    Bytes::from(chunk)
}

/// The process's peak resident set so far, in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status.lines().find(|line| line.starts_with("VmHWM:")).expect("a VmHWM line");
    let kib: u64 = line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()).expect("VmHWM in kB");
    kib * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_300_mb_upload_is_stored_in_constant_memory() {
    let (blobs, dir) = local_store();
    let pattern: Vec<u8> = (0..CHUNK).map(|i| (i % 251) as u8).collect();
    let mut expected = Sha256::new();
    for index in 0..CHUNKS {
        expected.update(chunk(&pattern, index));
    }
    let expected = hex::encode(expected.finalize());
    let generated = futures::stream::iter(0..CHUNKS).map(|index| Ok::<_, String>(chunk(&pattern, index)));
    let before = peak_rss();

    let stored = blobs.put_stream("videos/large/original", generated, u64::MAX).await.unwrap();

    let after = peak_rss();
    let grown = after.saturating_sub(before);
    println!("peak RSS before {} MB, after {} MB, grown {} MB", before / MB, after / MB, grown / MB);
    assert_eq!(stored.bytes, (CHUNK * CHUNKS) as u64);
    assert_eq!(stored.sha256, expected);
    assert_eq!(blobs.head("videos/large/original").await.unwrap().unwrap().bytes, stored.bytes);
    let on_disk = files_under(dir.path());
    assert_eq!(on_disk.len(), 1, "{on_disk:?}");
    assert_eq!(std::fs::metadata(&on_disk[0]).unwrap().len(), stored.bytes);
    assert!(grown < 100 * MB, "peak RSS grew by {} MB", grown / MB);
}

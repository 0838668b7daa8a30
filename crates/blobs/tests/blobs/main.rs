//! The blob store on a real local directory, each test in a temporary directory of its own.

mod blobs;
mod common;
mod large_upload;

//! What a test's stack or fleet leaves in the machine's shared services, removed when it is dropped.

use read_model::Keys;

/// Removes what a stack or fleet on `settings` left in the shared services: its Redis keys (the
/// projection's generations and pointers), its durable exchanges and queues, and its blob directory.
pub(crate) fn remove_keys_exchanges_and_blobs(settings: &settings::Settings) {
    let keys = Keys::new(settings.redis.key_prefix.clone());
    // The runtime may be shutting down, so each clean-up gets a thread and a runtime of its own.
    let _ = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
        runtime.block_on(async move {
            let settings = settings::RedisSettings::default();
            let redis = redis_store::client(&settings, redis_store::Resend::Allowed).ok()?;
            redis_store::start(&redis);
            redis_store::connected(&redis, std::time::Duration::from_secs(10)).await.ok()?;
            redis_store::generations::delete_everything(&redis, &keys).await.ok()
        })
    })
    .join();
    let rabbitmq = settings.rabbitmq.clone();
    let blobs = settings.blobs.root.clone();
    let _ = std::thread::spawn(move || {
        let _ = std::fs::remove_dir_all(&blobs);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
        runtime.block_on(async move {
            let connection = messaging::connect(&rabbitmq).await.ok()?;
            let channel = connection.create_channel().await.ok()?;
            messaging::Topology::new(rabbitmq.prefix.clone()).delete(&channel).await.ok()?;
            connection.close(200, "done".into()).await.ok()
        })
    })
    .join();
}

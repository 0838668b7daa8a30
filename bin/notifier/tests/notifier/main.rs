//! The notifier against a real RabbitMQ, Postgres and SMTP server, each test with its own.

mod app;
mod emails;
mod failures;
mod lifecycle;

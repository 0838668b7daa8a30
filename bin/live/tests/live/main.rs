//! `live` against a real Postgres, Redis and RabbitMQ, each test with a database, key prefix and broker
//! prefix of its own, events published by a real relay and received by real WebSocket clients.

mod app;
mod client;
mod operations;
mod pushes;
mod sessions;

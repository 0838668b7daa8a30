//! The relay against real Postgres and RabbitMQ: each test has its own database, its own exchange and
//! queue prefix, and a queue of its own bound to everything the relay publishes.

mod helpers;
mod outages;
mod publishing;
mod standby;

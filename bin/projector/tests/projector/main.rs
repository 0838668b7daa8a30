//! The projector against real Postgres and Redis: each test has its own database and key prefix, and
//! reaches Redis through a TCP proxy of its own when it cuts the link.

mod generations;
mod readiness;

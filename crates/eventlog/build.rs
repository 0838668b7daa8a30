//! `sqlx::migrate!` embeds `sql/` at compile time but only notices changes to files it already
//! embedded: rebuild whenever the folder changes, so a new migration is never silently left out.
fn main() {
    println!("cargo:rerun-if-changed=../../sql");
}

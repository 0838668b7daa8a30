//! `cargo run -p openapi` writes the contract, `openapi/openapi.json`, from the code.

fn main() -> std::io::Result<()> {
    let path = openapi::committed_path();
    std::fs::write(&path, openapi::pretty_json())?;
    println!("wrote {}", path.display());
    Ok(())
}

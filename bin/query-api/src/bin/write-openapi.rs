//! Writes `openapi/openapi.json` from the code.

fn main() -> std::io::Result<()> {
    let path = query_api::openapi::committed_path();
    if let Some(directory) = path.parent() {
        std::fs::create_dir_all(directory)?;
    }
    std::fs::write(&path, query_api::openapi::pretty_json())?;
    println!("wrote {}", path.display());
    Ok(())
}

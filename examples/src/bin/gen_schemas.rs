//! Regenerates the JSON Schemas of the run folder's files into `schemas/` at the root of the
//! repository (see `hf_extractor::schemas`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
    hf_extractor::schemas::write_all(&dir)?;
    println!(
        "{} schemas written to {}",
        hf_extractor::schemas::schemas().len(),
        dir.display()
    );
    Ok(())
}

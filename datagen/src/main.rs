//! `pingan-datagen`: writes Ping'an Map's data directory.
//!
//! ```text
//! pingan-datagen [--seed N] [--out DIR] [--boundaries DIR] [--now YYYY-MM-DD] [--cases N] [--quiet]
//! ```

use anyhow::{bail, Context, Result};
use pingan_datagen::{generate, parse_date, today_cst, Config, DEFAULT_CASES, DEFAULT_SEED};
use std::path::PathBuf;

const USAGE: &str = "usage: pingan-datagen [--seed N (default 2026)] [--out DIR (default data)] \
[--boundaries DIR (default data/boundaries)] [--now YYYY-MM-DD (default: today in CST; end of the case window, exclusive)] \
[--cases N (default 1000000)] [--quiet]";

fn main() -> Result<()> {
    let mut seed = DEFAULT_SEED;
    let mut out = PathBuf::from("data");
    let mut boundaries = PathBuf::from("data/boundaries");
    let mut now = None;
    let mut cases = DEFAULT_CASES;
    let mut verbose = true;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .with_context(|| format!("{name} needs a value\n{USAGE}"))
        };
        match a.as_str() {
            "--seed" => {
                seed = value("--seed")?
                    .parse()
                    .context("--seed must be an unsigned integer")?
            }
            "--out" => out = PathBuf::from(value("--out")?),
            "--boundaries" => boundaries = PathBuf::from(value("--boundaries")?),
            "--now" => now = Some(parse_date(&value("--now")?)?),
            "--cases" => {
                cases = value("--cases")?
                    .replace('_', "")
                    .parse()
                    .context("--cases must be an unsigned integer")?;
            }
            "--quiet" | "-q" => verbose = false,
            "--help" | "-h" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    let now = match now {
        Some(t) => t,
        None => {
            let unix = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .context("system clock before 1970")?
                .as_secs() as i64;
            today_cst(unix)
        }
    };
    let cfg = Config {
        seed,
        out: out.clone(),
        boundaries,
        now,
        cases,
        verbose,
    };
    if verbose {
        println!(
            "pingan-datagen: seed {seed}, {cases} cases up to {} (exclusive), into {}",
            pingan_model::time::iso_cst(now),
            out.display()
        );
    }
    let report = generate(&cfg).context("data generation failed")?;
    if verbose {
        let bytes: u64 = report.files.iter().map(|f| f.bytes).sum();
        println!(
            "done: {} files, {:.1} MB in {:.1} s",
            report.files.len(),
            bytes as f64 / 1e6,
            report.seconds
        );
    }
    Ok(())
}

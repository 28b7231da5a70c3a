//! The build hash of the app the server serves (issue 9, contract 4): the
//! first 16 hex digits of the SHA-256 of `dist/index.html` as served,
//! `None` when there is no build. `GET /api/health` and the stream's
//! `welcome` carry it; a wall that saw another one earlier reloads itself
//! (a deployment replaces `dist/`, the server keeps running).
//!
//! trunk names every other file of a build by its content hash and
//! `index.html` names them, so the page's hash changes with any part of the
//! build. Recomputed when the file changes: a `stat` per call (size and
//! modification time) and a read + hash of the ~2 KB page only when they
//! differ from the last, or when the file was modified within the last
//! [`RACY`] (git's "racily clean" rule: the file system's clock is coarser
//! than a write, so two writes of the same length within one tick have the
//! same key).

use crate::files::FileKey;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::Mutex;

/// Hex digits of the hash that are kept.
pub const BUILD_HEX: usize = 16;

/// A file modified this recently is read again whatever its key.
pub const RACY: std::time::Duration = std::time::Duration::from_secs(2);

/// The build hash of one `dist/`, cached per file version.
#[derive(Debug)]
pub struct BuildHash {
    index: PathBuf,
    last: Mutex<Option<(FileKey, Option<String>)>>,
}

impl BuildHash {
    /// Watches `<dist_dir>/index.html`.
    pub fn new(dist_dir: impl Into<PathBuf>) -> BuildHash {
        BuildHash {
            index: dist_dir.into().join("index.html"),
            last: Mutex::new(None),
        }
    }

    /// The hash of the page as it is now (blocking: a `stat`, and a read when
    /// it changed); `None` when there is no readable `index.html`.
    pub fn current(&self) -> Option<String> {
        let meta = std::fs::metadata(&self.index).ok().filter(|m| m.is_file());
        let Some(meta) = meta else {
            *self.last.lock().unwrap_or_else(|p| p.into_inner()) = None;
            return None;
        };
        let key = FileKey::of(&meta);
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let settled = key
            .mtime
            .and_then(|m| std::time::SystemTime::now().duration_since(m).ok())
            .is_some_and(|age| age > RACY);
        if let Some((k, hash)) = last.as_ref() {
            if *k == key && settled {
                return hash.clone();
            }
        }
        let hash = std::fs::read(&self.index).ok().map(|b| of_bytes(&b));
        // Keyed by what was stat'ed before the read: a change during the
        // read gives another key next time, so it is read again.
        *last = Some((key, hash.clone()));
        hash
    }

    /// [`BuildHash::current`] off the async runtime.
    pub async fn current_async(self: &std::sync::Arc<Self>) -> Option<String> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.current())
            .await
            .ok()
            .flatten()
    }
}

/// The build hash of a page's bytes.
pub fn of_bytes(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(BUILD_HEX);
    for b in digest.iter().take(BUILD_HEX / 2) {
        hex.push_str(&format!("{b:02x}"));
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_16_hex_of_sha256() {
        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223…
        assert_eq!(of_bytes(b"abc"), "ba7816bf8f01cfea");
    }

    #[test]
    fn it_follows_the_file() {
        let dir = std::env::temp_dir().join(format!("pingan-build-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let page = dir.join("index.html");
        let _ = std::fs::remove_file(&page);
        let b = BuildHash::new(&dir);
        assert_eq!(b.current(), None);
        std::fs::write(&page, "<html>one</html>").unwrap();
        let one = b.current().unwrap();
        assert_eq!(one, of_bytes(b"<html>one</html>"));
        assert_eq!(b.current().as_deref(), Some(one.as_str()));
        // Same length, other content.
        std::fs::write(&page, "<html>two</html>").unwrap();
        let two = b.current().unwrap();
        assert_eq!(two, of_bytes(b"<html>two</html>"));
        std::fs::remove_file(&page).unwrap();
        assert_eq!(b.current(), None);
        let _ = std::fs::remove_dir(&dir);
    }
}

//! A small promise-style face on IndexedDB (web-sys): open the database
//! (creating its object stores on first use), and put / get / delete / get
//! every value of one store, each in its own transaction that has completed
//! when the call returns. Hand-written on purpose: the `idb` crate's futures
//! feature depends on tokio, and in this workspace cargo unifies tokio's
//! features with the server's (`net`), which pulls `mio` into the wasm build
//! and fails it (tried: "This wasm target is unsupported by mio").

use futures_channel::oneshot;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{IdbDatabase, IdbRequest, IdbTransactionMode};

/// What went wrong, in words.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("IndexedDB: {0}")]
pub struct IdbError(pub String);

fn err(v: JsValue) -> IdbError {
    let text = v
        .dyn_ref::<web_sys::DomException>()
        .map(|e| format!("{}: {}", e.name(), e.message()))
        .or_else(|| v.as_string())
        .unwrap_or_else(|| format!("{v:?}"));
    IdbError(text)
}

/// Resolves when `target` fires `ok_event` (or fails on `error`/`abort`).
async fn wait(target: &web_sys::EventTarget, ok_event: &str) -> Result<(), IdbError> {
    let (tx, rx) = oneshot::channel::<Result<(), IdbError>>();
    let tx = Rc::new(RefCell::new(Some(tx)));
    let (t1, t2) = (tx.clone(), tx);
    let ok = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        if let Some(s) = t1.borrow_mut().take() {
            let _ = s.send(Ok(()));
        }
    });
    let bad = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
        let why = e
            .target()
            .and_then(|t| t.dyn_into::<IdbRequest>().ok())
            .and_then(|r| r.error().ok().flatten())
            .map(|d| format!("{}: {}", d.name(), d.message()))
            .unwrap_or_else(|| e.type_());
        if let Some(s) = t2.borrow_mut().take() {
            let _ = s.send(Err(IdbError(why)));
        }
    });
    target
        .add_event_listener_with_callback(ok_event, ok.as_ref().unchecked_ref())
        .map_err(err)?;
    for ev in ["error", "abort"] {
        target
            .add_event_listener_with_callback(ev, bad.as_ref().unchecked_ref())
            .map_err(err)?;
    }
    let out = rx
        .await
        .unwrap_or_else(|_| Err(IdbError("request dropped".into())));
    let _ = target.remove_event_listener_with_callback(ok_event, ok.as_ref().unchecked_ref());
    for ev in ["error", "abort"] {
        let _ = target.remove_event_listener_with_callback(ev, bad.as_ref().unchecked_ref());
    }
    out
}

/// A database with these object stores (out-of-line keys), version 1.
pub struct Db(IdbDatabase);

impl Drop for Db {
    fn drop(&mut self) {
        self.0.close();
    }
}

impl Db {
    pub async fn open(name: &str, stores: &'static [&'static str]) -> Result<Db, IdbError> {
        let factory = web_sys::window()
            .ok_or_else(|| IdbError("no window".into()))?
            .indexed_db()
            .map_err(err)?
            .ok_or_else(|| IdbError("not available (private mode?)".into()))?;
        let req = factory.open_with_u32(name, 1).map_err(err)?;
        let upgrade = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            let db = e
                .target()
                .and_then(|t| t.dyn_into::<IdbRequest>().ok())
                .and_then(|r| r.result().ok())
                .and_then(|r| r.dyn_into::<IdbDatabase>().ok());
            if let Some(db) = db {
                let have = db.object_store_names();
                for s in stores {
                    if !have.contains(s) {
                        let _ = db.create_object_store(s);
                    }
                }
            }
        });
        req.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
        let r = wait(&req, "success").await;
        req.set_onupgradeneeded(None);
        r?;
        let db = req
            .result()
            .map_err(err)?
            .dyn_into::<IdbDatabase>()
            .map_err(|_| IdbError("not a database".into()))?;
        Ok(Db(db))
    }

    fn store(
        &self,
        store: &str,
        mode: IdbTransactionMode,
    ) -> Result<(web_sys::IdbTransaction, web_sys::IdbObjectStore), IdbError> {
        let tx = self
            .0
            .transaction_with_str_and_mode(store, mode)
            .map_err(err)?;
        let s = tx.object_store(store).map_err(err)?;
        Ok((tx, s))
    }

    /// Stores `value` under `key` (replacing), durable when this returns.
    pub async fn put(&self, store: &str, key: &str, value: &JsValue) -> Result<(), IdbError> {
        let (tx, s) = self.store(store, IdbTransactionMode::Readwrite)?;
        s.put_with_key(value, &JsValue::from_str(key))
            .map_err(err)?;
        wait(&tx, "complete").await
    }

    pub async fn delete(&self, store: &str, key: &str) -> Result<(), IdbError> {
        let (tx, s) = self.store(store, IdbTransactionMode::Readwrite)?;
        s.delete(&JsValue::from_str(key)).map_err(err)?;
        wait(&tx, "complete").await
    }

    pub async fn get(&self, store: &str, key: &str) -> Result<Option<JsValue>, IdbError> {
        let (tx, s) = self.store(store, IdbTransactionMode::Readonly)?;
        let req = s.get(&JsValue::from_str(key)).map_err(err)?;
        wait(&req, "success").await?;
        let v = req.result().map_err(err)?;
        drop(tx);
        Ok((!v.is_undefined()).then_some(v))
    }

    pub async fn all(&self, store: &str) -> Result<Vec<JsValue>, IdbError> {
        let (_tx, s) = self.store(store, IdbTransactionMode::Readonly)?;
        let req = s.get_all().map_err(err)?;
        wait(&req, "success").await?;
        let v = req.result().map_err(err)?;
        Ok(js_sys::Array::from(&v).iter().collect())
    }
}

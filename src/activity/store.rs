//! The outbox's durable copy in IndexedDB: one record per CRM page origin, written whole after
//! every change and before any post leaves, read back when the widget starts (after a reload,
//! a crash or a closed tab). IndexedDB rather than `localStorage`: its writes are transactions
//! that have committed when they report complete, and it is not capped at a few megabytes.

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbRequest, IdbTransactionMode};

use super::CallLog;
use super::outbox::Outbox;
use crate::browser::describe;
use crate::i18n::{t, t_args};

const DATABASE: &str = "framephone";
const VERSION: u32 = 1;
const STORE: &str = "call-log-outbox";

/// Why the outbox could not be kept or read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreError {
    /// The browser offers no IndexedDB here (private browsing in some browsers, blocked
    /// storage for a framed page).
    Unavailable(String),
    /// A read or write failed.
    Failed(String),
    /// The stored copy does not read (written by another version): it was set aside, whole,
    /// under another key, so that writing this page's logs loses none of it.
    Unreadable {
        /// Why they do not read.
        reason: String,
        /// The key they are kept under now.
        kept_as: String,
    },
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            StoreError::Unavailable(reason) => {
                t_args("crm.store.unavailable", &[("api", "IndexedDB"), ("reason", reason)])
            }
            StoreError::Failed(reason) => t_args("crm.store.failed", &[("reason", reason)]),
            StoreError::Unreadable { reason, kept_as } => {
                let args = [
                    ("reason", reason.as_str()),
                    ("api", "IndexedDB"),
                    ("database", DATABASE),
                    ("store", STORE),
                    ("key", kept_as.as_str()),
                ];
                t_args("crm.store.unreadable", &args)
            }
        };
        f.write_str(&text)
    }
}

impl std::error::Error for StoreError {}

fn failed(error: JsValue) -> StoreError {
    StoreError::Failed(describe(&error))
}

/// Waits for an IndexedDB request (or transaction) to fire `success`/`complete` or `error`.
async fn settled(target: &web_sys::EventTarget, done: &str) -> Result<(), StoreError> {
    let promise = Promise::new(&mut |resolve, reject| {
        let _ = target.add_event_listener_with_callback(done, &resolve);
        let _ = target.add_event_listener_with_callback("error", &reject);
        let _ = target.add_event_listener_with_callback("abort", &reject);
    });
    JsFuture::from(promise).await.map(drop).map_err(|event| {
        // The event's target holds the DOMException that says why.
        let error = js_sys::Reflect::get(&event, &"target".into())
            .and_then(|target| js_sys::Reflect::get(&target, &"error".into()))
            .unwrap_or(event);
        failed(error)
    })
}

async fn open() -> Result<IdbDatabase, StoreError> {
    let unavailable = |e: JsValue| StoreError::Unavailable(describe(&e));
    let window = web_sys::window().ok_or_else(|| StoreError::Unavailable(t("crm.browser.no-window")))?;
    let no_indexed_db = || StoreError::Unavailable(t_args("crm.store.no-api", &[("api", "indexedDB")]));
    let factory = window.indexed_db().map_err(unavailable)?.ok_or_else(no_indexed_db)?;
    let request = factory.open_with_u32(DATABASE, VERSION).map_err(unavailable)?;
    let upgrade = Closure::<dyn FnMut()>::new({
        let request = request.clone();
        move || {
            if let Ok(db) = request.result().and_then(|db| db.dyn_into::<IdbDatabase>())
                && !db.object_store_names().contains(STORE)
            {
                let _ = db.create_object_store(STORE);
            }
        }
    });
    request.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
    settled(&request, "success").await?;
    request.set_onupgradeneeded(None);
    request.result().and_then(|db| db.dyn_into::<IdbDatabase>()).map_err(failed)
}

thread_local! {
    static DB: std::cell::RefCell<Option<IdbDatabase>> = const { std::cell::RefCell::new(None) };
}

async fn database() -> Result<IdbDatabase, StoreError> {
    if let Some(db) = DB.with(|db| db.borrow().clone()) {
        return Ok(db);
    }
    let db = open().await?;
    DB.with(|cell| *cell.borrow_mut() = Some(db.clone()));
    Ok(db)
}

/// Writes the outbox under `key`; resolves once the transaction has committed.
pub async fn save(key: &str, outbox: &Outbox<CallLog>) -> Result<(), StoreError> {
    let text = serde_json::to_string(outbox).map_err(|e| StoreError::Failed(e.to_string()))?;
    let db = database().await?;
    let transaction = db.transaction_with_str_and_mode(STORE, IdbTransactionMode::Readwrite).map_err(failed)?;
    let store = transaction.object_store(STORE).map_err(failed)?;
    store.put_with_key(&JsValue::from_str(&text), &JsValue::from_str(key)).map_err(failed)?;
    settled(&transaction, "complete").await
}

/// Reads the outbox stored under `key`; an empty one when none was. A stored copy that no
/// longer reads (written by another version) is reported, never silently dropped.
pub async fn load(key: &str) -> Result<Outbox<CallLog>, StoreError> {
    let db = database().await?;
    let transaction = db.transaction_with_str(STORE).map_err(failed)?;
    let store = transaction.object_store(STORE).map_err(failed)?;
    let request: IdbRequest = store.get(&JsValue::from_str(key)).map_err(failed)?;
    settled(&request, "success").await?;
    let value = request.result().map_err(failed)?;
    let Some(text) = value.as_string() else { return Ok(Outbox::default()) };
    match serde_json::from_str(&text) {
        Ok(outbox) => Ok(outbox),
        Err(error) => Err(set_aside(&db, key, &text, error.to_string()).await),
    }
}

/// Keeps a stored copy that does not read under a key of its own (`<key>|unreadable|<ms>`),
/// before anything is written over it.
async fn set_aside(db: &IdbDatabase, key: &str, text: &str, reason: String) -> StoreError {
    let kept_as = format!("{key}|unreadable|{}", js_sys::Date::now() as u64);
    let put = async {
        let transaction = db.transaction_with_str_and_mode(STORE, IdbTransactionMode::Readwrite).map_err(failed)?;
        let store = transaction.object_store(STORE).map_err(failed)?;
        store.put_with_key(&JsValue::from_str(text), &JsValue::from_str(&kept_as)).map_err(failed)?;
        settled(&transaction, "complete").await
    };
    match put.await {
        Ok(()) => StoreError::Unreadable { reason, kept_as },
        Err(error) => {
            let error = error.to_string();
            StoreError::Failed(t_args("crm.store.not-set-aside", &[("reason", &reason), ("error", &error)]))
        }
    }
}

//! Live heap of the wasm module, for memory diagnostics only (cargo feature `heap-count`,
//! e.g. `TRUNK_BUILD_FEATURES=heap-count scripts/build.sh`): every allocation is counted, and
//! the page reads `wasmBindings.live_heap()` as `[bytes, allocations]`. For one size at a time,
//! `wasmBindings.trace_size(n)` also notes where each live allocation was made, and
//! `traced_sites()` tells the places that hold the most (readable in a build that keeps the
//! wasm's names).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use wasm_bindgen::prelude::*;

struct Counting;

static BYTES: AtomicUsize = AtomicUsize::new(0);
static COUNT: AtomicUsize = AtomicUsize::new(0);

/// Live allocations by size in bytes (the last counts every size from there up): what kind of
/// value a growing heap is made of.
const SIZES: usize = 1025;
static BY_SIZE: [AtomicUsize; SIZES] = [const { AtomicUsize::new(0) }; SIZES];

fn size_class(size: usize) -> &'static AtomicUsize {
    &BY_SIZE[size.min(SIZES - 1)]
}

/// The size whose allocations' places are noted (0: none).
static TRACED: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Set while a place is being noted: the noting allocates too, and must not note itself.
    static NOTING: Cell<bool> = const { Cell::new(false) };
    /// Where each live allocation of the traced size was made, by its address.
    static PLACES: RefCell<BTreeMap<usize, String>> = const { RefCell::new(BTreeMap::new()) };
}

/// Runs `note` unless a note is already being taken.
fn noting(note: impl FnOnce()) {
    if NOTING.with(|busy| busy.replace(true)) {
        return;
    }
    note();
    NOTING.with(|busy| busy.set(false));
}

/// Notes where the allocation at `ptr` was made, if it has the traced size.
fn note_made(ptr: *mut u8, size: usize) {
    if size != TRACED.load(Ordering::Relaxed) || ptr.is_null() {
        return;
    }
    noting(|| {
        let error = js_sys::Error::new("");
        let stack = js_sys::Reflect::get(&error, &"stack".into()).ok().and_then(|s| s.as_string()).unwrap_or_default();
        PLACES.with(|places| places.borrow_mut().insert(ptr as usize, stack));
    });
}

/// Forgets the place of the allocation at `ptr`, if it has the traced size.
fn note_freed(ptr: *mut u8, size: usize) {
    if size == TRACED.load(Ordering::Relaxed) {
        noting(|| {
            PLACES.with(|places| places.borrow_mut().remove(&(ptr as usize)));
        });
    }
}

// SAFETY: every call is passed on to the system allocator unchanged; only counters (and, for
// the traced size, notes kept beside) are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        COUNT.fetch_add(1, Ordering::Relaxed);
        size_class(layout.size()).fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` is passed on as it is.
        let ptr = unsafe { System.alloc(layout) };
        note_made(ptr, layout.size());
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        COUNT.fetch_sub(1, Ordering::Relaxed);
        size_class(layout.size()).fetch_sub(1, Ordering::Relaxed);
        note_freed(ptr, layout.size());
        // SAFETY: the caller's contract for `dealloc` is passed on as it is.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        BYTES.fetch_add(new_size, Ordering::Relaxed);
        BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        size_class(new_size).fetch_add(1, Ordering::Relaxed);
        size_class(layout.size()).fetch_sub(1, Ordering::Relaxed);
        note_freed(ptr, layout.size());
        // SAFETY: the caller's contract for `realloc` is passed on as it is.
        let moved = unsafe { System.realloc(ptr, layout, new_size) };
        note_made(moved, new_size);
        moved
    }
}

/// From now on, notes where each allocation of `size` bytes is made (0: stops), forgetting
/// earlier notes.
#[wasm_bindgen]
pub fn trace_size(size: usize) {
    // Ten frames, the default, end inside the allocator.
    let _ = js_sys::Reflect::get(&js_sys::global(), &"Error".into())
        .and_then(|error| js_sys::Reflect::set(&error, &"stackTraceLimit".into(), &40.into()));
    noting(|| {
        TRACED.store(size, Ordering::Relaxed);
        PLACES.with(|places| places.borrow_mut().clear());
    });
}

/// The places holding the most live allocations of the traced size, most first: each with its
/// count and its stack, the allocator's own frames left out.
#[wasm_bindgen]
pub fn traced_sites() -> String {
    let mut text = String::new();
    noting(|| {
        let mut by_place: BTreeMap<String, usize> = BTreeMap::new();
        PLACES.with(|places| {
            for stack in places.borrow().values() {
                let frames: Vec<&str> = stack.lines().skip(1).filter(|f| !f.contains("heap_count")).take(30).collect();
                *by_place.entry(frames.join("\n")).or_default() += 1;
            }
        });
        let mut ranked: Vec<(String, usize)> = by_place.into_iter().collect();
        ranked.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
        for (stack, count) in ranked.into_iter().take(8) {
            text.push_str(&format!("{count} live from:\n{stack}\n\n"));
        }
    });
    text
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes and allocations live on the wasm heap right now.
#[wasm_bindgen]
pub fn live_heap() -> Vec<u32> {
    vec![BYTES.load(Ordering::Relaxed) as u32, COUNT.load(Ordering::Relaxed) as u32]
}

/// Live allocations by size: `[size, count, size, count, …]` for every size that has some
/// (1024 stands for 1024 bytes and more).
#[wasm_bindgen]
pub fn live_sizes() -> Vec<u32> {
    BY_SIZE
        .iter()
        .enumerate()
        .filter_map(|(size, count)| {
            let count = count.load(Ordering::Relaxed);
            (count > 0).then_some([size as u32, count as u32])
        })
        .flatten()
        .collect()
}

thread_local! {
    static PHONE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Notes what the phone holds (called by the shell once a second in this build).
pub fn note_phone(text: String) {
    PHONE.with(|phone| *phone.borrow_mut() = text);
}

/// What the phone held at its last once-a-second refresh: the agent's calls, transactions,
/// subscriptions, messages and timers, and the shell's maps.
#[wasm_bindgen]
pub fn phone_holds() -> String {
    PHONE.with(|phone| phone.borrow().clone())
}

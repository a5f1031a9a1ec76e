//! Live heap of the wasm module, for memory diagnostics only (cargo feature `heap-count`,
//! e.g. `TRUNK_BUILD_FEATURES=heap-count scripts/build.sh`): every allocation is counted, and
//! the page reads `wasmBindings.live_heap()` as `[bytes, allocations]`.

use std::alloc::{GlobalAlloc, Layout, System};
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

// SAFETY: every call is passed on to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        COUNT.fetch_add(1, Ordering::Relaxed);
        size_class(layout.size()).fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` is passed on as it is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        COUNT.fetch_sub(1, Ordering::Relaxed);
        size_class(layout.size()).fetch_sub(1, Ordering::Relaxed);
        // SAFETY: the caller's contract for `dealloc` is passed on as it is.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        BYTES.fetch_add(new_size, Ordering::Relaxed);
        BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        size_class(new_size).fetch_add(1, Ordering::Relaxed);
        size_class(layout.size()).fetch_sub(1, Ordering::Relaxed);
        // SAFETY: the caller's contract for `realloc` is passed on as it is.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
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

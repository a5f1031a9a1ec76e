//! The widget's origin serves the build's content-hashed files to be kept (a year, immutable)
//! and the wasm as `application/wasm` (streaming compilation, and the compiled code the
//! browser caches with it); the page and the configuration are asked for again at each load.

use devserver::Options;
use http_body_util::Empty;
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// `Cache-Control` and `Content-Type` of `path` on the widget's origin.
async fn headers(widget: &str, path: &str) -> (String, String) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let response = client.get(format!("{widget}{path}").parse().expect("uri")).await.expect("the origin answers");
    assert!(response.status().is_success(), "{path}: {}", response.status());
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (header("cache-control"), header("content-type"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hashed_files_are_kept_and_the_page_is_asked_again() {
    let dist = std::env::temp_dir().join(format!("framephone-caching-{}", std::process::id()));
    std::fs::create_dir_all(&dist).expect("a build directory");
    std::fs::write(dist.join("index.html"), "<!doctype html><title>Framephone</title>").expect("the page");
    std::fs::write(dist.join("framephone-0123456789abcdef.js"), "export default 1;").expect("the JS");
    std::fs::write(dist.join("framephone-0123456789abcdef_bg.wasm"), b"\0asm\x01\0\0\0").expect("the wasm");
    std::fs::create_dir_all(dist.join("locales")).expect("the catalogs' directory");
    std::fs::write(dist.join("locales/ja-0123456789abcdef.txt"), "tab.history = 履歴\n").expect("a catalog");
    let running = devserver::start(Options::ephemeral(dist.clone())).await.expect("starts");

    let kept = "public, max-age=31536000, immutable";
    let (cache, kind) = headers(&running.widget, "/framephone-0123456789abcdef_bg.wasm").await;
    assert_eq!((cache.as_str(), kind.as_str()), (kept, "application/wasm"));
    let (cache, _) = headers(&running.widget, "/framephone-0123456789abcdef.js").await;
    assert_eq!(cache, kept);
    let (cache, kind) = headers(&running.widget, "/locales/ja-0123456789abcdef.txt").await;
    assert_eq!(cache, kept);
    assert!(kind.starts_with("text/plain"), "{kind}");
    for path in ["/", "/index.html"] {
        assert_eq!(headers(&running.widget, path).await.0, "no-cache", "{path}");
    }
    assert_eq!(headers(&running.widget, "/framephone.json").await.0, "no-store");
    let _ = std::fs::remove_dir_all(dist);
}

// Loads the admin UI's wasm (a file, so that the page needs no inline script under its CSP).
import init from "/admin/pkg/admin.js";
init({ module_or_path: "/admin/pkg/admin_bg.wasm" });

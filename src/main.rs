fn main() {
    framephone::browser::mark("started");
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(framephone::app::App);
}

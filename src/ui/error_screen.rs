//! The screen shown instead of the phone when it must not or cannot start.

use leptos::prelude::*;

/// A full-panel error: a heading and every line that explains it.
#[component]
pub fn ErrorScreen(
    /// What went wrong, in one sentence.
    title: String,
    /// Each problem on its own line.
    lines: Vec<String>,
    /// What the agent can do about it.
    #[prop(optional, into)]
    hint: Option<String>,
) -> impl IntoView {
    view! {
        <section class="fp-error" role="alert" aria-labelledby="fp-error-title">
            <h1 id="fp-error-title" class="fp-error__title">{title}</h1>
            <ul class="fp-error__lines">
                {lines.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
            </ul>
            {hint.map(|hint| view! { <p class="fp-error__hint">{hint}</p> })}
        </section>
    }
}

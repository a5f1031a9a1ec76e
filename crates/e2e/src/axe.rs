//! axe-core's accessibility rules (WCAG 2.0, 2.1 and 2.2, levels A and AA, contrast included)
//! run inside the current frame. axe-core comes from npm, installed by `scripts/bootstrap.sh`
//! into `~/.cache/framephone/tools` (`$FRAMEPHONE_AXE` names another copy of `axe.min.js`).

use std::path::PathBuf;
use std::sync::OnceLock;

use fantoccini::Client;

/// The rule sets run: every WCAG success criterion of levels A and AA that axe checks.
const TAGS: &str = "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']";

/// axe-core's script, read once.
fn source() -> &'static str {
    static SOURCE: OnceLock<String> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let path = std::env::var_os("FRAMEPHONE_AXE").map(PathBuf::from).unwrap_or_else(|| {
            let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
            home.join(".cache/framephone/tools/node_modules/axe-core/axe.min.js")
        });
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("axe-core at {}: {e}: run scripts/bootstrap.sh", path.display()))
    })
}

/// What axe-core finds wrong in the current frame's document, one line per rule broken: the
/// rule, its impact, what it asks and where (CSS selectors). Empty when nothing is.
pub async fn violations(client: &Client) -> Vec<String> {
    let loaded = client.execute(&format!("{}\n;return typeof window.axe", source()), vec![]).await;
    assert_eq!(loaded.ok().and_then(|v| v.as_str().map(str::to_owned)).as_deref(), Some("object"), "axe-core loads");
    let run = format!(
        "const done = arguments[arguments.length - 1];
         axe.run(document, {{ runOnly: {{ type: 'tag', values: {TAGS} }}, resultTypes: ['violations'] }})
           .then(r => done(r.violations.map(v => `${{v.id}} (${{v.impact}}): ${{v.help}}: ` +
             v.nodes.map(n => n.target.join(' ') + (n.failureSummary ? ` [${{n.failureSummary.replace(/\\s+/g, ' ')}}]` : '')).join('; '))))
           .catch(e => done([`axe-core failed: ${{e}}`]));"
    );
    // First a button with no name, which axe-core must find, so that a check that finds
    // nothing is known to look.
    let probe = format!(
        "const done = arguments[arguments.length - 1];
         const probe = document.createElement('div'); probe.innerHTML = '<button type=\"button\"></button>';
         document.body.append(probe);
         axe.run(probe, {{ runOnly: {{ type: 'tag', values: {TAGS} }} }})
           .then(r => {{ probe.remove(); done(r.violations.map(v => v.id)); }})
           .catch(e => {{ probe.remove(); done([`axe-core failed: ${{e}}`]); }});"
    );
    let probed = client.execute_async(&probe, vec![]).await.expect("run axe-core on its probe");
    assert!(
        probed.as_array().is_some_and(|ids| ids.iter().any(|id| id == "button-name")),
        "axe-core must find a nameless button: {probed}"
    );
    let found = client.execute_async(&run, vec![]).await.expect("run axe-core");
    found.as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_owned)).collect()
}

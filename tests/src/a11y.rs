//! The accessibility check the browser and end-to-end tests run in every
//! page they photograph: axe-core (pinned and fetched by `.ci/install.sh`,
//! path in `ODNOWA_AXE`) injected into the rendered page, run with the
//! WCAG 2.0, 2.1 and 2.2 A and AA rules (contrast of text ≥ 4.5:1, of
//! control edges ≥ 3:1, names of controls, target sizes, ...). Each
//! violation comes back as one line naming the rule and the elements.

use std::path::PathBuf;
use std::sync::OnceLock;

use anyhow::{Context, Result, anyhow};
use fantoccini::Client;

use crate::app::step;

/// The rule sets checked: WCAG 2.2 level AA and everything below it.
/// One rule is left to the tests themselves: axe's `target-size` (24 px,
/// WCAG 2.5.8) counts a control scrolled under the always-visible Save
/// bar as too small; the field app's own check asks 48 px of every
/// control instead (`targets_fit` in `field_app.rs`).
const TAGS: &str = "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']";

/// axe-core's source, read once.
fn axe_source() -> Result<&'static str> {
    static SOURCE: OnceLock<Result<String, String>> = OnceLock::new();
    SOURCE
        .get_or_init(|| {
            let path = std::env::var("ODNOWA_AXE").map(PathBuf::from).map_err(|_| {
                "ODNOWA_AXE is not set: source .ci/env.sh (bash .ci/install.sh fetches axe-core)"
                    .to_string()
            })?;
            std::fs::read_to_string(&path)
                .map_err(|e| format!("{}: {e} (bash .ci/install.sh fetches it)", path.display()))
        })
        .as_ref()
        .map(String::as_str)
        .map_err(|e| anyhow!("{e}"))
}

/// The WCAG A/AA violations axe-core finds in `client`'s page now, one
/// line each; empty when the page passes.
pub async fn violations(client: &Client, name: &str) -> Result<Vec<String>> {
    let loaded = step(
        format!("{name}: is axe-core in the page"),
        client.execute("return typeof window.axe === 'object';", vec![]),
    )
    .await?;
    if loaded.as_bool() != Some(true) {
        // Run as a function body: axe-core's UMD wrapper sets window.axe.
        let source = format!("{}\nreturn typeof window.axe === 'object';", axe_source()?);
        let injected = step(
            format!("{name}: inject axe-core"),
            client.execute(&source, vec![]),
        )
        .await?;
        anyhow::ensure!(
            injected.as_bool() == Some(true),
            "{name}: axe-core did not load into the page"
        );
    }
    let script = format!(
        "const done = arguments[arguments.length - 1];
         window.axe.run(document, {{
             runOnly: {{ type: 'tag', values: {TAGS} }},
             rules: {{ 'target-size': {{ enabled: false }} }},
             resultTypes: ['violations'],
         }}).then(result => done(result.violations.map(v =>
             v.id + ' (' + v.impact + '): ' + v.help + ' — ' +
             v.nodes.slice(0, 6).map(n => n.target.join(' ') +
                 (n.any.length ? ' [' + n.any[0].message + ']' : '')).join('; '))))
           .catch(error => done(['axe-core failed: ' + error]));"
    );
    let found = step(
        format!("{name}: run axe-core"),
        client.execute_async(&script, vec![]),
    )
    .await?;
    let lines = found
        .as_array()
        .context("axe-core answered without a list")?
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .collect();
    Ok(lines)
}

/// Fails with every violation [`violations`] finds, `screen` named.
pub async fn check(client: &Client, name: &str, screen: &str) -> Result<()> {
    let found = violations(client, name).await?;
    anyhow::ensure!(
        found.is_empty(),
        "{screen}: {} accessibility violation(s):\n{}",
        found.len(),
        found.join("\n")
    );
    Ok(())
}

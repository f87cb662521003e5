//! Odnowa on the device.
//!
//! [`engine`] is the local replica: documents in SQLite, the typed API the
//! screens call, and the sync client. It is a plain library: with
//! `default-features = false` it builds without Tauri or WebKit, and the
//! tests and benchmarks use it that way. The `shell` feature (on by default)
//! adds the Tauri 2 window and thin commands over the engine.

pub mod engine;

#[cfg(feature = "shell")]
mod shell;

#[cfg(feature = "shell")]
pub use shell::run;

#[cfg(test)]
mod tests {
    //! The command lists must agree: `api::cmd::ALL`, the permissions that
    //! `build.rs` generates, the grants in `capabilities/default.json`, and
    //! the handler in `shell/mod.rs`. A command missing from one of them is
    //! either uncallable or callable without a grant.

    use std::collections::BTreeSet;

    use odnowa_shared::api::cmd;

    fn source(path: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// The quoted words between `start` and the next `end`.
    fn quoted(text: &str, start: &str, end: &str) -> BTreeSet<String> {
        let (_, rest) = text.split_once(start).expect("the list's start");
        let (list, _) = rest.split_once(end).expect("the list's end");
        list.split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn every_command_is_declared_granted_and_registered() {
        let api: BTreeSet<String> = cmd::ALL.iter().map(|c| c.to_string()).collect();
        assert_eq!(api.len(), cmd::ALL.len(), "a command is listed twice");

        let declared = quoted(&source("build.rs"), "const COMMANDS: &[&str] = &[", "];");
        assert_eq!(declared, api, "build.rs COMMANDS");

        let capability: serde_json::Value =
            serde_json::from_str(&source("capabilities/default.json")).expect("json");
        let granted: BTreeSet<String> = capability["permissions"]
            .as_array()
            .expect("permissions")
            .iter()
            .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
            .map(|p| p.replace('-', "_"))
            .collect();
        assert_eq!(granted, api, "capabilities/default.json");

        let shell = source("src/shell/mod.rs");
        let (_, handler) = shell.split_once("generate_handler![").expect("the handler");
        let (handler, _) = handler.split_once(']').expect("the handler's end");
        let registered: BTreeSet<String> = handler
            .split(',')
            .filter_map(|c| c.trim().strip_prefix("commands::"))
            .map(str::to_string)
            .collect();
        assert_eq!(registered, api, "shell::handler");

        for write in cmd::WRITES {
            assert!(
                api.contains(write),
                "cmd::WRITES lists {write}, not a command"
            );
        }
    }
}

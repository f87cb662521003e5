//! With the `shell` feature, runs `tauri-build`: checks `tauri.conf.json`,
//! the capabilities and the icons, and generates the permissions of the
//! app's own commands. Without it (the engine alone) there is nothing to do.
//!
//! `tauri-build` is an optional build-dependency enabled by `shell`, so the
//! code that names it is compiled only under `cfg(feature = "shell")`, which
//! cargo sets for build scripts exactly when `CARGO_FEATURE_SHELL` is set.

fn main() {
    view_shapes();
    #[cfg(feature = "shell")]
    shell::build();
    #[cfg(not(feature = "shell"))]
    println!("cargo::rerun-if-changed=build.rs");
}

/// The sources that decide how a record is read into the views the device
/// keeps sealed on disk (the records, their reading from Automerge, the
/// view's own shape). Their hash goes into `ODNOWA_VIEW_SHAPES`, and from
/// there into each sealed view's associated data: after an update that
/// changes any of them, old views do not open and records are decoded
/// again from their bytes, never read in an old shape.
fn view_shapes() {
    use std::hash::{Hash, Hasher};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<std::path::PathBuf> = [
        "../shared/src/document.rs",
        "../shared/src/read_once.rs",
        "../shared/src/conflicts.rs",
        "src/engine/replica.rs",
    ]
    .iter()
    .map(|f| root.join(f))
    .collect();
    let records = root.join("../shared/src/records");
    println!("cargo::rerun-if-changed={}", records.display());
    if let Ok(dir) = std::fs::read_dir(&records) {
        files.extend(dir.filter_map(|e| e.ok()).map(|e| e.path()));
    }
    files.sort();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for file in &files {
        println!("cargo::rerun-if-changed={}", file.display());
        // A file that cannot be read still changes the hash (by its name).
        file.file_name().hash(&mut hasher);
        std::fs::read(file).unwrap_or_default().hash(&mut hasher);
    }
    println!(
        "cargo::rustc-env=ODNOWA_VIEW_SHAPES={:016x}",
        hasher.finish()
    );
}

#[cfg(feature = "shell")]
mod shell {
    /// The app's own commands, as registered in `src/shell/mod.rs`. Each gets
    /// an `allow-<name>` permission (kebab case), granted in `capabilities/`;
    /// a command left out here is callable by no window.
    const COMMANDS: &[&str] = &[
        "app_version",
        "app_info",
        "enrol",
        "sync_status",
        "sync_now",
        "catalogue",
        "search_persons",
        "similar_persons",
        "create_person",
        "contacts_on",
        "contact",
        "save_contact",
        "link_contact_person",
        "link_new_person",
        "recent_places",
        "recent_persons",
        "today_session",
        "set_present",
        "check_out",
        "add_walk_in",
        "add_meals",
        "workshops",
        "workshop",
        "save_workshop",
        "record_meta",
        "resolve_conflict",
        "unlock",
        "lock",
        "reset_device",
        "give_consent",
        "withdraw_consent",
        "person_file",
        "add_note",
        "diagnosis",
        "save_diagnosis",
        "programme",
        "open_programme",
        "save_step",
        "save_review",
        "close_programme",
        "referral_targets",
        "send_referral",
        "answer_referral",
        "referrals",
        "due",
    ];

    pub fn build() {
        debug_assert!(std::env::var_os("CARGO_FEATURE_SHELL").is_some());
        let attributes = tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
        if let Err(error) = tauri_build::try_build(attributes) {
            panic!("tauri-build failed: {error:#}");
        }
    }
}

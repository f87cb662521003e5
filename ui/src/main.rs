//! The entry point: in the Tauri shell it mounts the field app on
//! `<body>`, in a plain browser the consortium office; on the
//! host it prints the translation table (key, Polish, English) as TSV for
//! review, since the app itself only runs as wasm32.

#[cfg(target_arch = "wasm32")]
fn main() {
    // In the Tauri shell: the field app. In a plain browser: the office.
    if odnowa_ui::tauri::is_tauri() {
        yew::Renderer::<odnowa_ui::app::App>::new().render();
    } else {
        yew::Renderer::<odnowa_ui::office::OfficeApp>::new().render();
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    use odnowa_ui::i18n::{Key, Lang, t};

    // `odnowa-ui en` prints the notice in English; Polish otherwise.
    let lang = std::env::args()
        .nth(1)
        .and_then(|code| Lang::from_code(&code))
        .unwrap_or_default();
    eprintln!("{}", t(lang, Key::HostBuildNotice));
    println!("key\t{}\t{}", Lang::Pl.code(), Lang::En.code());
    for &key in Key::ALL {
        println!("{key:?}\t{}\t{}", t(Lang::Pl, key), t(Lang::En, key));
    }
}

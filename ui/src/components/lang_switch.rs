//! [`LangSwitch`]: one button per language, each named in its own language
//! so that a person who cannot read the current one still finds theirs.

use yew::prelude::*;

use crate::i18n::{Key, Lang, t};

#[derive(Properties, PartialEq)]
pub struct LangSwitchProps {
    pub lang: Lang,
    pub on_change: Callback<Lang>,
    /// Show the codes ("PL", "EN") instead of the names, for the header of
    /// a narrow phone; the names stay as accessible labels.
    #[prop_or_default]
    pub compact: bool,
}

#[function_component(LangSwitch)]
pub fn lang_switch(props: &LangSwitchProps) -> Html {
    let compact = props.compact;
    let buttons = Lang::ALL.into_iter().map(|option| {
        let selected = option == props.lang;
        let onclick = props.on_change.reform(move |_: MouseEvent| option);
        html! {
            <button
                type="button"
                class={classes!("lang-option", selected.then_some("is-selected"))}
                lang={option.code()}
                aria-pressed={if selected { "true" } else { "false" }}
                data-testid={format!("lang-{}", option.code())}
                {onclick}
            >
                if compact {
                    // The name read aloud starts with the code shown
                    // (WCAG 2.5.3, label in name).
                    { option.code().to_uppercase() }
                    <span class="visually-hidden">{ " — " }{ option.name(option) }</span>
                } else {
                    { option.name(option) }
                }
            </button>
        }
    });
    html! {
        <div class="lang-switch" role="group" aria-label={t(props.lang, Key::LanguageSwitchLabel)}>
            { for buttons }
        </div>
    }
}

//! The app's state in one reducer: every change goes through an [`Action`].

use std::rc::Rc;

use yew::Reducible;

use crate::i18n::Lang;

/// What the whole app shares. Screens read it; only [`Action`]s change it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AppState {
    pub lang: Lang,
}

/// Everything that can change [`AppState`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Action {
    SetLang(Lang),
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        match action {
            Action::SetLang(lang) if lang == self.lang => self,
            Action::SetLang(lang) => Rc::new(AppState { lang }),
        }
    }
}

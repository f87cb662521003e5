//! The app's state in one reducer: every change goes through an [`Action`].
//! Pages read it through the [`AppHandle`] context.

use std::rc::Rc;

use odnowa_shared::api::{Access, AppInfo, CatalogueView, SyncView};
use odnowa_shared::ids::{DocId, PersonId};
use yew::{Reducible, UseReducerHandle};

use crate::i18n::Lang;

/// Which screen is shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Route {
    /// Asking the shell who we are.
    #[default]
    Loading,
    /// A plain browser: the notice that the app is needed.
    NeedsApp,
    /// First run: server address and code.
    Enrol,
    /// First run: the first sync's progress.
    FirstSync,
    /// Today's contacts.
    Outreach,
    NewContact,
    /// A new contact with this person picked and their last services ticked.
    NewContactWith(PersonId),
    EditContact(DocId),
    Contact(DocId),
    DayRoom,
    Workshops,
    NewWorkshop,
    EditWorkshop(DocId),
    Workshop(DocId),
    /// A person's file.
    Person(PersonId),
    NewDiagnosis(PersonId),
    NewProgramme(PersonId),
    Programme(DocId),
    NewReferral(PersonId),
    Referrals,
    /// The device screen: sync status, what waits, display settings.
    Device,
}

/// The three parts of the field app, as the navigation shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Outreach,
    DayRoom,
    Workshops,
}

impl Section {
    pub const ALL: [Section; 3] = [Section::Outreach, Section::DayRoom, Section::Workshops];

    /// The screen a tap on the section opens.
    pub fn home(self) -> Route {
        match self {
            Section::Outreach => Route::Outreach,
            Section::DayRoom => Route::DayRoom,
            Section::Workshops => Route::Workshops,
        }
    }

    /// A stable name, remembered between launches and used in test ids.
    pub fn code(self) -> &'static str {
        match self {
            Section::Outreach => "outreach",
            Section::DayRoom => "day-room",
            Section::Workshops => "workshops",
        }
    }

    pub fn from_code(code: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.code() == code)
    }
}

impl Route {
    /// The section this screen belongs to; `None` for the first-run screens.
    pub fn section(self) -> Option<Section> {
        match self {
            Route::Outreach
            | Route::NewContact
            | Route::NewContactWith(_)
            | Route::EditContact(_)
            | Route::Contact(_)
            | Route::Person(_)
            | Route::NewDiagnosis(_)
            | Route::NewProgramme(_)
            | Route::Programme(_)
            | Route::NewReferral(_)
            | Route::Referrals => Some(Section::Outreach),
            Route::DayRoom => Some(Section::DayRoom),
            Route::Workshops | Route::NewWorkshop | Route::EditWorkshop(_) | Route::Workshop(_) => {
                Some(Section::Workshops)
            }
            Route::Loading | Route::NeedsApp | Route::Enrol | Route::FirstSync | Route::Device => {
                None
            }
        }
    }
}

/// What the whole app shares. Screens read it; only [`Action`]s change it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AppState {
    pub lang: Lang,
    pub route: Route,
    /// The screen before the current one (where the device screen's "Back"
    /// returns).
    pub previous: Route,
    pub info: Option<AppInfo>,
    pub sync: SyncView,
    /// The person's own "sync now" is running.
    pub syncing: bool,
    /// Bumped whenever sync brought or confirmed something, so open screens
    /// reload (ticks from the other tablet appear).
    pub sync_generation: u64,
    pub catalogue: Rc<CatalogueView>,
    /// Whether records may be shown (from the last app info or sync view).
    pub access: Access,
}

/// Everything that can change [`AppState`].
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    SetLang(Lang),
    Navigate(Route),
    SetInfo(AppInfo),
    SetSync(SyncView),
    SetSyncing(bool),
    SetCatalogue(CatalogueView),
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::SetLang(lang) => next.lang = lang,
            Action::Navigate(route) => {
                if route != self.route {
                    next.previous = self.route;
                }
                next.route = route;
            }
            Action::SetInfo(info) => {
                next.access = info.lock.access;
                next.info = Some(info);
            }
            Action::SetSync(view) => {
                if sync_moved(&self.sync, &view) {
                    next.sync_generation += 1;
                }
                next.access = view.access;
                next.sync = view;
            }
            Action::SetSyncing(syncing) => next.syncing = syncing,
            Action::SetCatalogue(catalogue) => next.catalogue = Rc::new(catalogue),
        }
        // Screens that failed while locked load again once open.
        if next.access == Access::Open && self.access != Access::Open {
            next.sync_generation += 1;
        }
        if next == *self { self } else { Rc::new(next) }
    }
}

/// Whether a new sync view means records may have changed on the device.
fn sync_moved(before: &SyncView, after: &SyncView) -> bool {
    before.last_sync != after.last_sync
        || before.records != after.records
        || before.pending != after.pending
}

/// The state as pages get it from the context.
pub type AppHandle = UseReducerHandle<AppState>;

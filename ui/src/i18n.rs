//! Every text the screens show, in Polish and English.
//!
//! Components never hold string literals: they ask [`t`] for a [`Key`] in the
//! current [`Lang`]. One table keeps the two languages side by side, so a
//! missing translation is a compile error, not a blank on a phone at night.

use std::fmt;

/// The interface language. Polish first: it is what the field workers speak.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    #[default]
    Pl,
    En,
}

impl Lang {
    /// Every language, in the order the language switch shows them.
    pub const ALL: [Lang; 2] = [Lang::Pl, Lang::En];

    /// The BCP 47 code, for `<html lang>` and for remembering the choice.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Pl => "pl",
            Lang::En => "en",
        }
    }

    /// The language for a code from [`Lang::code`]; `None` for anything else.
    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|lang| lang.code() == code)
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Declares [`Key`], [`Key::ALL`] and [`t`] from one table, so a key cannot
/// exist without both texts nor be left out of the list the tests walk.
macro_rules! translations {
    ($($(#[$doc:meta])* $key:ident => pl: $pl:literal, en: $en:literal;)+) => {
        /// One text of the interface.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Key {
            $($(#[$doc])* $key,)+
        }

        impl Key {
            /// Every key, in table order.
            pub const ALL: &'static [Key] = &[$(Key::$key,)+];
        }

        /// The text of `key` in `lang`.
        pub fn t(lang: Lang, key: Key) -> &'static str {
            match key {
                $(Key::$key => match lang {
                    Lang::Pl => $pl,
                    Lang::En => $en,
                },)+
            }
        }
    };
}

translations! {
    /// The product name, in the header and the window title.
    AppName => pl: "Odnowa", en: "Odnowa";
    /// Accessible label of the language switch.
    LanguageSwitchLabel => pl: "Język", en: "Language";
    /// Name of Polish, written in the current language.
    LangPolish => pl: "Polski", en: "Polish";
    /// Name of English, written in the current language.
    LangEnglish => pl: "Angielski", en: "English";
    /// Label before the app version.
    AppVersionLabel => pl: "Wersja aplikacji", en: "App version";
    /// Shown instead of a value that is not available (for example the app
    /// version in a plain browser, outside the Tauri shell).
    NotAvailable => pl: "—", en: "—";
    // --- Units and shared words -------------------------------------------
    /// After a number of hours in a duration.
    UnitHours => pl: "godz.", en: "h";
    /// After a number of minutes in a duration.
    UnitMinutes => pl: "min", en: "min";
    /// While a screen waits for the app.
    Loading => pl: "Wczytuję…", en: "Loading…";
    /// Button that repeats what failed.
    Retry => pl: "Spróbuj ponownie", en: "Try again";
    /// Button that goes back to the previous screen.
    Back => pl: "Wróć", en: "Back";
    /// Saves a form.
    Save => pl: "Zapisz", en: "Save";
    /// The save button while saving.
    Saving => pl: "Zapisuję…", en: "Saving…";
    /// Shown after a save.
    Saved => pl: "Zapisano", en: "Saved";
    /// Opens a record for editing.
    Edit => pl: "Edytuj", en: "Edit";
    /// Accessible label of a button that removes {name} from a list.
    RemoveNamed => pl: "Usuń: {name}", en: "Remove: {name}";
    /// Mark of a record the server has confirmed.
    ConfirmedMark => pl: "Potwierdzone przez serwer", en: "Confirmed by the server";
    /// The word beside the mark of a confirmed record.
    ConfirmedWord => pl: "wysłane", en: "sent";
    /// The word beside the mark of a record waiting for the server.
    PendingWord => pl: "czeka", en: "waiting";
    /// Mark of a record the server has not confirmed yet.
    PendingMark => pl: "Jeszcze nie potwierdzone przez serwer", en: "Not yet confirmed by the server";
    /// A field with one concurrent value (Polish plural: 1).
    VersionsOne => pl: "{n} wersja", en: "{n} version";
    /// A field with 2–4 concurrent values (Polish plural: few).
    VersionsFew => pl: "{n} wersje", en: "{n} versions";
    /// A field with 5 or more concurrent values (Polish plural: many).
    VersionsMany => pl: "{n} wersji", en: "{n} versions";
    /// An empty value in the versions panel.
    EmptyValue => pl: "(puste)", en: "(empty)";

    // --- Errors: forms ------------------------------------------------------
    ErrNobodyMet => pl: "Wybierz osobę albo zaznacz kontakt anonimowy.", en: "Pick a person or mark the contact as anonymous.";
    ErrAliasRequired => pl: "Wpisz pseudonim.", en: "Type an alias.";
    ErrBadBirthYear => pl: "Rok urodzenia: cztery cyfry, od 1900 do dziś, albo puste.", en: "Birth year: four digits from 1900 to this year, or empty.";
    ErrBadDuration => pl: "Czas trwania: liczba minut od 0 do 1440, albo puste.", en: "Duration: minutes from 0 to 1440, or empty.";
    ErrBadDate => pl: "Wybierz poprawną datę.", en: "Pick a valid date.";
    ErrSiteRequired => pl: "Wybierz miejsce.", en: "Pick a site.";
    ErrThemeRequired => pl: "Wpisz temat warsztatu.", en: "Type the workshop's theme.";
    ErrBadHours => pl: "Godziny: liczba od 0 do 24 (np. 1,5).", en: "Hours: a number from 0 to 24 (e.g. 1.5).";
    ErrBadCount => pl: "Liczba przedmiotów: liczba całkowita od 0.", en: "Item count: a whole number from 0.";
    ErrItemNameRequired => pl: "Wpisz, co powstało, albo usuń pusty wiersz.", en: "Type what was made, or remove the empty row.";
    ErrServerRequired => pl: "Wpisz adres serwera (np. sync.odnowa.pl).", en: "Type the server address (e.g. sync.odnowa.pl).";
    ErrCodeRequired => pl: "Wpisz jednorazowy kod z biura.", en: "Type the one-time code from the office.";
    ErrPinTooShort => pl: "PIN ma od 6 do 64 znaków (same cyfry wystarczą), bez spacji na początku i końcu.", en: "The PIN has 6 to 64 characters (digits are enough), with no spaces around it.";
    ErrPinMismatch => pl: "Oba wpisane PIN-y muszą być takie same.", en: "The two PINs typed must be the same.";

    // --- Errors: commands ---------------------------------------------------
    ErrNotEnrolled => pl: "To urządzenie nie jest jeszcze połączone z serwerem.", en: "This device is not enrolled yet.";
    ErrBadCode => pl: "Kod jest błędny, zużyty albo wygasł. Poproś biuro o nowy.", en: "The code is wrong, used or expired. Ask the office for a new one.";
    ErrTooManyAttempts => pl: "Zbyt wiele błędnych kodów z tej sieci. Spróbuj ponownie za kwadrans.", en: "Too many wrong codes from this network. Try again in a quarter of an hour.";
    ErrUnreachable => pl: "Nie mogę połączyć się z serwerem. Sprawdź adres i internet.", en: "Cannot reach the server. Check the address and the network.";
    ErrInvalid => pl: "Tego nie da się zapisać: popraw dane i spróbuj ponownie.", en: "This cannot be saved: correct it and try again.";
    ErrNotFound => pl: "Tego rekordu nie ma na urządzeniu.", en: "This record is not on the device.";
    ErrRevoked => pl: "Biuro odłączyło to urządzenie. Połącz je ponownie nowym kodem.", en: "The office revoked this device. Enrol it again with a new code.";
    ErrLocked => pl: "Aplikacja jest zablokowana: wpisz PIN.", en: "The app is locked: enter the PIN.";
    ErrWrongPin => pl: "Błędny PIN.", en: "Wrong PIN.";
    ErrWiped => pl: "Zbyt wiele błędnych PIN-ów: dane na tym urządzeniu zostały usunięte. Połącz je ponownie nowym kodem.", en: "Too many wrong PINs: the data on this device was erased. Enrol it again with a new code.";
    ErrStale => pl: "To urządzenie zbyt długo nie łączyło się z serwerem. Połącz się z internetem i zsynchronizuj.", en: "This device has not reached the server for too long. Connect to the network and sync.";
    ErrPossibleDuplicate => pl: "Ta osoba jest podobna do kogoś z rejestru. Odpowiedz najpierw: to ta osoba czy ktoś inny?", en: "This person is like someone already registered. Answer first: is it them, or someone else?";
    ErrMerged => pl: "Biuro połączyło tę osobę z inną. Wyszukaj ją jeszcze raz i wybierz zachowany wpis.", en: "The office merged this person with another. Search again and pick the record that was kept.";
    ErrSettled => pl: "Ktoś już wybrał wersję tego pola (tu lub na innym urządzeniu). Pokazujemy obecną wartość; nic nie zostało utracone.", en: "Someone already picked a version of this field (here or on another device). Showing its value now; nothing was lost.";
    ErrPersonGone => pl: "Tej osoby nie ma już w rejestrze na tym urządzeniu (usunięta lub jeszcze niezsynchronizowana). Wyszukaj ponownie.", en: "This person is no longer in the registry on this device (erased, or not synced yet). Search again.";
    ErrInternal => pl: "Coś poszło nie tak w aplikacji. Nic nie zostało utracone; spróbuj ponownie.", en: "Something went wrong in the app. Nothing was lost; try again.";
    ErrUnexpected => pl: "Aplikacja odpowiedziała w nieoczekiwany sposób.", en: "The app answered in an unexpected way.";
    /// Title of the notice in a plain browser.
    NeedsAppTitle => pl: "Potrzebna aplikacja Odnowa", en: "This screen needs the Odnowa app";
    /// Text of the notice in a plain browser.
    NeedsAppText => pl: "Ten ekran działa tylko w aplikacji Odnowa na telefonie, tablecie lub komputerze. Otwórz ją zamiast przeglądarki.", en: "This screen works only in the Odnowa app on a phone, tablet or computer. Open the app instead of a browser.";

    // --- Sync indicator -----------------------------------------------------
    SyncNotEnrolled => pl: "Niepołączone", en: "Not enrolled";
    SyncRevoked => pl: "Urządzenie odłączone", en: "Device revoked";
    SyncSyncing => pl: "Synchronizuję…", en: "Syncing…";
    /// No network, nothing waiting: normal work, not a failure.
    SyncOffline => pl: "Bez sieci · wszystko wysłane", en: "No network · everything sent";
    /// Records saved on the device that the server has not confirmed (1);
    /// {where} is [`Key::SyncWherePhone`] or [`Key::SyncWhereTablet`].
    SyncWaitingOne => pl: "Zapisane {where} · {n} czeka na wysłanie", en: "Saved {where} · {n} waiting to be sent";
    /// … (Polish plural: few).
    SyncWaitingFew => pl: "Zapisane {where} · {n} czekają na wysłanie", en: "Saved {where} · {n} waiting to be sent";
    /// … (Polish plural: many).
    SyncWaitingMany => pl: "Zapisane {where} · {n} czeka na wysłanie", en: "Saved {where} · {n} waiting to be sent";
    SyncWherePhone => pl: "w telefonie", en: "on this phone";
    SyncWhereTablet => pl: "na tablecie", en: "on this tablet";
    SyncRefused => pl: "Odrzucone: {n}", en: "Refused: {n}";
    SyncAllConfirmed => pl: "Wszystko wysłane", en: "Everything sent";
    /// Accessible label of the sync indicator (a button).
    SyncNowLabel => pl: "Stan synchronizacji. Dotknij, aby zobaczyć szczegóły.", en: "Sync status. Tap for details.";

    // --- The device screen ---------------------------------------------------
    DeviceTitle => pl: "To urządzenie", en: "This device";
    DeviceLastSync => pl: "Ostatnia udana synchronizacja", en: "Last successful sync";
    DeviceNeverSynced => pl: "jeszcze żadnej", en: "none yet";
    DeviceLastAttempt => pl: "Ostatnia próba", en: "Last attempt";
    DeviceNoServer => pl: "serwer poza zasięgiem", en: "server out of reach";
    DeviceRecords => pl: "Rekordy na urządzeniu", en: "Records on the device";
    DeviceWaitingTitle => pl: "Czeka na wysłanie", en: "Waiting to be sent";
    DeviceNothingWaiting => pl: "Nic nie czeka: wszystko dotarło do serwera.", en: "Nothing waits: everything reached the server.";
    DeviceWaitingHint => pl: "To jest zapisane na tym urządzeniu i nie zginie. Wyśle się samo, gdy będzie sieć.", en: "This is saved on the device and will not be lost. It is sent by itself when there is a network.";
    DeviceWaitingCount => pl: "czeka: {n}", en: "waiting: {n}";
    DisplayTitle => pl: "Wygląd", en: "Display";
    DisplayLargeText => pl: "Większy tekst", en: "Larger text";
    DisplayContrast => pl: "Wysoki kontrast", en: "High contrast";
    SwitchOn => pl: "Włączone", en: "On";
    SwitchOff => pl: "Wyłączone", en: "Off";
    KindPersons => pl: "Osoby", en: "Persons";
    KindNotes => pl: "Notatki", en: "Notes";
    KindContacts => pl: "Kontakty", en: "Contacts";
    KindDaySessions => pl: "Obecności w świetlicy", en: "Day-room attendance";
    KindWorkshops => pl: "Warsztaty", en: "Workshops";
    KindDiagnoses => pl: "Diagnozy potrzeb", en: "Needs assessments";
    KindProgrammes => pl: "Programy (IPWB)", en: "Programmes (IPWB)";
    KindReferrals => pl: "Skierowania", en: "Referrals";
    KindOther => pl: "Inne", en: "Other";

    // --- Navigation ---------------------------------------------------------
    NavLabel => pl: "Sekcje", en: "Sections";
    NavOutreach => pl: "Ulica", en: "Outreach";
    NavDayRoom => pl: "Świetlica", en: "Day room";
    NavWorkshops => pl: "Warsztaty", en: "Workshops";

    // --- First run ----------------------------------------------------------
    EnrolTitle => pl: "Połącz to urządzenie", en: "Enrol this device";
    EnrolIntro => pl: "Wpisz adres serwera i jednorazowy kod, który dało ci biuro.", en: "Type the server address and the one-time code the office gave you.";
    EnrolServer => pl: "Adres serwera", en: "Server address";
    EnrolServerHint => pl: "np. sync.odnowa.pl", en: "e.g. sync.odnowa.pl";
    EnrolCode => pl: "Jednorazowy kod", en: "One-time code";
    /// Example of an enrolment code, as the office prints it.
    EnrolCodeHint => pl: "ABCDE-FGHJK", en: "ABCDE-FGHJK";
    EnrolPaste => pl: "Wklej", en: "Paste";
    EnrolDeviceName => pl: "Nazwa urządzenia (opcjonalnie)", en: "Device name (optional)";
    EnrolDeviceNameDefault => pl: "Urządzenie terenowe", en: "Field device";
    EnrolPin => pl: "PIN do aplikacji", en: "App PIN";
    EnrolPinHint => pl: "Co najmniej 6 cyfr. Bez niego nikt nie otworzy danych na tym urządzeniu.", en: "At least 6 digits. Without it nobody can open the data on this device.";
    EnrolPinRepeat => pl: "Powtórz PIN", en: "Repeat the PIN";
    EnrolSubmit => pl: "Połącz", en: "Enrol";
    EnrolWorking => pl: "Łączę…", en: "Enrolling…";
    // --- Lock ---------------------------------------------------------------
    LockTitle => pl: "Wpisz PIN", en: "Enter the PIN";
    LockIntro => pl: "Dane na tym urządzeniu są zaszyfrowane. PIN je otwiera.", en: "The data on this device is encrypted. The PIN opens it.";
    LockPin => pl: "PIN", en: "PIN";
    LockSubmit => pl: "Otwórz", en: "Unlock";
    LockWorking => pl: "Sprawdzam…", en: "Checking…";
    LockAttemptsLeft => pl: "Pozostałe próby: {n}. Po ostatniej dane z tego urządzenia zostaną usunięte.", en: "Attempts left: {n}. After the last one the data on this device is erased.";
    LockUnsyncedWarning => pl: "Uwaga: {n} rekordów nie zostało jeszcze wysłanych. Zostaną utracone, jeśli dane zostaną usunięte.", en: "Careful: {n} records have not been sent yet. They will be lost if the data is erased.";
    LockNow => pl: "Zablokuj", en: "Lock";
    LockNowLabel => pl: "Zablokuj aplikację teraz", en: "Lock the app now";
    StaleTitle => pl: "Dawno bez połączenia", en: "No connection for a long time";
    StaleIntro => pl: "To urządzenie nie łączyło się z serwerem od {n} dni. Zapisuj dalej kontakty, obecności i notatki; wpisy innych osób są ukryte, dopóki synchronizacja się nie uda.", en: "This device has not reached the server for {n} days. Go on recording contacts, attendance and notes; what others recorded stays hidden until a sync succeeds.";
    StaleSync => pl: "Synchronizuj teraz", en: "Sync now";
    RevokedTitle => pl: "Urządzenie odłączone", en: "Device revoked";
    RevokedIntro => pl: "Biuro odłączyło to urządzenie. Dane na nim są zablokowane i nie da się ich już wysłać.", en: "The office revoked this device. Its data is locked and can no longer be sent.";
    /// Unsent records a revoked device will lose (1).
    RevokedLossOne => pl: "{n} rekord nie został wysłany. Przepadnie, gdy usuniesz dane.", en: "{n} record was not sent. It will be lost when you erase the data.";
    /// … (Polish plural: few).
    RevokedLossFew => pl: "{n} rekordy nie zostały wysłane. Przepadną, gdy usuniesz dane.", en: "{n} records were not sent. They will be lost when you erase the data.";
    /// … (Polish plural: many).
    RevokedLossMany => pl: "{n} rekordów nie zostało wysłanych. Przepadną, gdy usuniesz dane.", en: "{n} records were not sent. They will be lost when you erase the data.";
    RevokedNothingLost => pl: "Wszystko z tego urządzenia dotarło do serwera: usunięcie danych niczego nie utraci.", en: "Everything on this device reached the server: erasing the data loses nothing.";
    RevokedCall => pl: "Zanim usuniesz dane, zadzwoń do koordynatora swojej organizacji. Powiedz, co było na tym urządzeniu niewysłane: trzeba to będzie wpisać ponownie.", en: "Before you erase the data, call your organisation's coordinator. Tell them what was not sent from this device: it will have to be entered again.";
    RevokedErase => pl: "Usuń dane i połącz ponownie", en: "Erase the data and enrol again";
    RevokedConfirmTitle => pl: "Na pewno usunąć wszystkie dane z tego urządzenia?", en: "Erase all the data on this device?";
    RevokedConfirmYes => pl: "Tak, usuń dane", en: "Yes, erase the data";
    RevokedConfirmNo => pl: "Nie, jeszcze nie", en: "No, not yet";
    /// Under the PIN pad.
    LockForgotPin => pl: "Nie pamiętasz PIN-u? Zadzwoń do koordynatora swojej organizacji. Nie zgaduj: po 10 błędnych próbach dane z urządzenia zostaną usunięte.", en: "Forgot the PIN? Call your organisation's coordinator. Do not guess: after 10 wrong attempts the data on this device is erased.";
    /// Accessible label of the PIN pad's delete key.
    LockDeleteDigit => pl: "Usuń cyfrę", en: "Delete a digit";
    /// Accessible label of the PIN pad.
    LockPadLabel => pl: "Klawiatura PIN", en: "PIN pad";
    LanguageChoice => pl: "Język aplikacji", en: "App language";
    FirstSyncTitle => pl: "Pierwsza synchronizacja", en: "First sync";
    FirstSyncIntro => pl: "Pobieram rekordy twojego zespołu. Możesz już pracować; reszta dojdzie w tle.", en: "Fetching your team's records. You can start working; the rest arrives in the background.";
    FirstSyncProgress => pl: "Pobrano {done} z {total}", en: "{done} of {total} received";
    FirstSyncRecords => pl: "Rekordy na urządzeniu: {n}", en: "Records on the device: {n}";
    FirstSyncWaiting => pl: "Czekam na serwer…", en: "Waiting for the server…";
    FirstSyncDone => pl: "Gotowe: wszystko pobrane.", en: "Done: everything received.";
    FirstSyncContinue => pl: "Zaczynam pracę", en: "Start working";

    // --- Outreach -----------------------------------------------------------
    OutreachTitle => pl: "Kontakty dzisiaj", en: "Today's contacts";
    NewContact => pl: "Nowy kontakt", en: "New contact";
    /// Above the persons this worker met most recently.
    RecentPersonsTitle => pl: "Ostatnio spotkani", en: "Met recently";
    /// The Save button of a contact form that repeats the person's last contact.
    SaveAsLastTime => pl: "Zapisz jak ostatnio", en: "Save as last time";
    NoContactsToday => pl: "Dziś jeszcze żadnego kontaktu.", en: "No contacts yet today.";
    AnonymousCount => pl: "Anonimowo: {n}", en: "Anonymous: {n}";
    NewContactTitle => pl: "Nowy kontakt", en: "New contact";
    EditContactTitle => pl: "Zmiana kontaktu", en: "Edit contact";
    WhoLabel => pl: "Z kim", en: "With whom";
    WhoKnown => pl: "Znana osoba", en: "Known person";
    WhoNew => pl: "Nowa osoba", en: "New person";
    WhoAnonymous => pl: "Anonimowo", en: "Anonymous";
    SearchLabel => pl: "Szukaj po pseudonimie", en: "Search by alias";
    SearchPlaceholder => pl: "Pseudonim…", en: "Alias…";
    NoResults => pl: "Nikogo takiego. Dodaj jako nową osobę.", en: "Nobody found. Add as a new person.";
    AliasLabel => pl: "Pseudonim", en: "Alias";
    BirthYearLabel => pl: "Rok urodzenia (opcjonalnie)", en: "Birth year (optional)";
    GenderLabel => pl: "Płeć", en: "Gender";
    GenderF => pl: "Kobieta", en: "Woman";
    GenderM => pl: "Mężczyzna", en: "Man";
    GenderX => pl: "Inna", en: "Other";
    GenderUnknown => pl: "Nie wiem", en: "Not known";
    DuplicateWarning => pl: "Podobna osoba już jest w rejestrze. Czy to ona?", en: "A similar person is already registered. Is it them?";
    UseThisPerson => pl: "To ta osoba", en: "That's them";
    HeadCount => pl: "Liczba osób", en: "Head count";
    Decrease => pl: "Mniej", en: "Fewer";
    Increase => pl: "Więcej", en: "More";
    ServicesLabel => pl: "Co dano lub zrobiono", en: "What was given or done";
    SameAsLastTime => pl: "Jak ostatnio: {services}", en: "Same as last time: {services}";
    PlaceLabel => pl: "Miejsce", en: "Place";
    RecentPlaces => pl: "Ostatnie miejsca", en: "Recent places";
    DurationLabel => pl: "Czas trwania (minuty)", en: "Duration (minutes)";
    NoteLabel => pl: "Notatka", en: "Note";
    FollowUpLabel => pl: "Co dalej (opcjonalnie)", en: "Follow-up (optional)";
    FollowUpDueLabel => pl: "Do kiedy", en: "Due by";
    ContactTitle => pl: "Kontakt", en: "Contact";
    FieldWhen => pl: "Kiedy", en: "When";
    FieldPersons => pl: "Osoby", en: "Persons";
    FieldServices => pl: "Usługi", en: "Services";
    FieldPlace => pl: "Miejsce", en: "Place";
    FieldDuration => pl: "Czas trwania", en: "Duration";
    FieldNote => pl: "Notatka", en: "Note";
    FieldFollowUp => pl: "Co dalej", en: "Follow-up";
    LinkPersonTitle => pl: "Przypisz osobę", en: "Link a person";
    LinkPersonIntro => pl: "Kontakt był anonimowy. Wyszukaj osobę i dotknij jej, aby ją przypisać, albo zarejestruj ją teraz.", en: "The contact was anonymous. Search for the person and tap them to link them, or register them now.";
    RegisterNewPerson => pl: "Zarejestruj nową osobę", en: "Register a new person";
    RegisterAndLink => pl: "Zarejestruj i przypisz", en: "Register and link";
    LinkedPerson => pl: "Przypisano: {name}", en: "Linked: {name}";

    // --- Versions and history -----------------------------------------------
    VersionsNotice => pl: "Niektóre pola mają kilka wersji — wybierz właściwą", en: "Some fields have several versions — pick the right one";
    VersionsTitle => pl: "Pola z kilkoma wersjami", en: "Fields with several versions";
    VersionsIntro => pl: "Dwa urządzenia zmieniły to samo pole, zanim się zsynchronizowały. Wybierz właściwą wartość albo dotknij „Edytuj” i wpisz inną.", en: "Two devices changed the same field before they synced. Pick the right value, or tap “Edit” and write another.";
    KeepThisVersion => pl: "Zostaw tę", en: "Keep this";
    VersionBy => pl: "{device}, {when}", en: "{device}, {when}";
    HistoryTitle => pl: "Historia zmian", en: "History";
    HistoryGenesis => pl: "utworzenie rekordu", en: "record created";
    HistoryNoMessage => pl: "zmiana", en: "change";
    /// A history entry: the record was created on a device.
    HistoryCreate => pl: "utworzono", en: "created";
    /// A history entry: the record was edited.
    HistoryEdit => pl: "zmieniono", en: "edited";
    /// A history entry: someone picked one of a field's versions.
    HistoryPick => pl: "wybrano wersję pola {field}", en: "picked a version of {field}";

    // --- Day room -----------------------------------------------------------
    DayRoomTitle => pl: "Świetlica dzisiaj", en: "Day room today";
    ChooseSite => pl: "Wybierz świetlicę", en: "Choose the day room";
    ChangeSite => pl: "Zmień świetlicę", en: "Change day room";
    NoDayRooms => pl: "Katalog nie zawiera jeszcze żadnej świetlicy.", en: "The catalogue has no day room yet.";
    Present => pl: "Obecna/y", en: "Present";
    NotPresent => pl: "Dotknij: obecna/y", en: "Tap: present";
    CheckOut => pl: "Wyjście", en: "Check out";
    CheckedIn => pl: "Wejście {time}", en: "In {time}";
    CheckedOut => pl: "Wyjście {time}", en: "Out {time}";
    UndoPresent => pl: "Cofnij", en: "Undo";
    /// The undo bar after a tick.
    MarkedPresent => pl: "{name}: obecność zaznaczona", en: "{name}: marked present";
    /// Read to a screen reader beside every date field.
    DateFormatHint => pl: "Dzień, miesiąc i rok, np. 30.11.2026", en: "Day, month and year, e.g. 30/11/2026";
    DayToday => pl: "Dziś", en: "Today";
    DayYesterday => pl: "Wczoraj", en: "Yesterday";
    DayTomorrow => pl: "Jutro", en: "Tomorrow";
    DayInAWeek => pl: "Za tydzień", en: "In a week";
    DayInTwoWeeks => pl: "Za 2 tygodnie", en: "In 2 weeks";
    DayInAMonth => pl: "Za miesiąc", en: "In a month";
    /// The duplicate warning: when a similar person was registered.
    SimilarRegistered => pl: "w rejestrze od {date}", en: "registered {date}";
    SimilarLastContact => pl: "ostatni kontakt {when}", en: "last met {when}";
    SimilarContacts => pl: "kontakty: {n}", en: "contacts: {n}";
    SimilarNoContact => pl: "bez kontaktów na tym urządzeniu", en: "no contacts on this device";
    /// The duplicate warning: the proposed person is not the one met.
    SomeoneElse => pl: "Nie, to ktoś inny", en: "No, this is someone else";
    SetupTitle => pl: "Pierwsze uruchomienie: administrator biura", en: "First run: the office administrator";
    SetupIntro => pl: "Na tym serwerze nie ma jeszcze użytkownika biura. Załóż pierwszego administratora. Jednorazowy kod serwer wypisał w swoim dzienniku (w oknie, w którym go uruchomiono).", en: "This server has no office user yet. Set up the first administrator. The server printed a one-time code in its log (in the window where it was started).";
    SetupPassword => pl: "Hasło (co najmniej 10 znaków)", en: "Password (at least 10 characters)";
    SetupPasswordRepeat => pl: "Powtórz hasło", en: "Repeat the password";
    SetupCode => pl: "Kod z dziennika serwera", en: "Code from the server's log";
    SetupSubmit => pl: "Załóż administratora i zaloguj", en: "Set up the administrator and log in";
    SetupPasswordsDiffer => pl: "Hasła się różnią.", en: "The passwords differ.";
    SetupInvalid => pl: "Sprawdź kod z dziennika serwera, nazwę i hasło (co najmniej 10 znaków).", en: "Check the code from the server's log, the name and the password (at least 10 characters).";
    EraseTitleOf => pl: "Usunięcie danych osoby: {alias}", en: "Erasing the data of: {alias}";
    EraseTypeAlias => pl: "Wpisz pseudonim tej osoby, aby potwierdzić", en: "Type this person's alias to confirm";
    EraseTypeYear => pl: "Wpisz jej rok urodzenia", en: "Type their birth year";
    ErasureRevokedDevices => pl: "Odłączone urządzenia (nie muszą potwierdzać: nie zsynchronizują się już, ich kopia pozostaje zablokowana PIN-em):", en: "Revoked devices (need not confirm: they never sync again, their copy stays locked under the PIN):";
    TechnicalDetails => pl: "Szczegóły techniczne", en: "Technical details";
    ErasureRequestId => pl: "Identyfikator wymazania:", en: "Erasure id:";
    ErasedPersonId => pl: "Identyfikator osoby:", en: "Person id:";
    ContractFrom => pl: "Umowa od", en: "Contract from";
    ContractTo => pl: "Umowa do", en: "Contract to";
    ServiceCodeHint => pl: "Tworzony z nazwy; można go zmienić. Nie zmieniaj kodu usługi, która ma już wpisy.", en: "Made from the name; it can be changed. Do not change the code of a service that has records.";
    RecordsOne => pl: "{n} wpis", en: "{n} record";
    RecordsFew => pl: "{n} wpisy", en: "{n} records";
    RecordsMany => pl: "{n} wpisów", en: "{n} records";
    PersonsOne => pl: "{n} osoba", en: "{n} person";
    PersonsFew => pl: "{n} osoby", en: "{n} persons";
    PersonsMany => pl: "{n} osób", en: "{n} persons";
    CaseWorkOne => pl: "{n} element pracy z osobą", en: "{n} piece of case work";
    CaseWorkFew => pl: "{n} elementy pracy z osobą", en: "{n} pieces of case work";
    CaseWorkMany => pl: "{n} elementów pracy z osobą", en: "{n} pieces of case work";
    AuditPlanDetail => pl: "wpisy w rejestrze: {entries}, zapiski: {notes}, kontakty: {contacts}", en: "registry entries: {entries}, notes: {notes}, contacts: {contacts}";
    AuditOfPerson => pl: "dziennik dostępu osoby", en: "a person's access log";
    AuditOfUser => pl: "dziennik dostępu użytkownika", en: "a user's access log";
    ReportOfOrg => pl: "Tylko wpisy organizacji: {org} (nie raport konsorcjum dla miasta).", en: "Only the records of: {org} (not the consortium's report to the city).";
    RefusedNotWritable => pl: "Ten użytkownik nie może zapisywać w tej przestrzeni (albo zmiana narusza zasady: cudza zgoda, scalanie, cudza placówka).", en: "This user may not write there (or the change breaks a rule: another organisation's consent, merging, another's site).";
    RefusedUnknownSpace => pl: "Nieznana przestrzeń.", en: "An unknown space.";
    RefusedSpaceMismatch => pl: "Rekord należy do innej przestrzeni.", en: "The record belongs to another space.";
    RefusedUndecodable => pl: "Uszkodzone dane zmiany.", en: "The change's data is damaged.";
    RefusedMissingDependencies => pl: "Brakuje wcześniejszych zmian; urządzenie wyśle rekord w całości.", en: "Earlier changes are missing; the device sends the whole record again.";
    RefusedSchema => pl: "Rekord nie zgadza się ze swoim wzorem (np. nieznany kod usługi).", en: "The record does not fit its schema (e.g. an unknown service code).";
    RefusedHeaderChanged => pl: "Zmiana próbowała zmienić rodzaj, przestrzeń lub identyfikator rekordu.", en: "The change tried to alter the record's kind, space or id.";
    RefusedTooLarge => pl: "Rekord przekroczyłby dopuszczalny rozmiar.", en: "The record would grow past the size limit.";
    RefusedErased => pl: "Rekord został wymazany (prawo do bycia zapomnianym).", en: "The record was erased (the right to be forgotten).";
    RefusedOldGeneration => pl: "Urządzenie miało starszą wersję rekordu (po wymazaniu lub wycofaniu zgody).", en: "The device held an older version of the record (after an erasure or a withdrawn consent).";
    RefusedForeignAuthor => pl: "Zmiana podpisana przez inne urządzenie.", en: "A change signed by another device.";
    RefusedOther => pl: "Odrzucone przez serwer.", en: "Refused by the server.";
    /// Accessible label of a button that closes a bar.
    Close => pl: "Zamknij", en: "Close";
    BoardSearchLabel => pl: "Szukaj na liście", en: "Find on the list";
    UndoPresentLabel => pl: "Cofnij obecność: {name}", en: "Undo present: {name}";
    CheckOutLabel => pl: "Wyjście: {name}", en: "Check out: {name}";
    PresentCount => pl: "Obecni: {n} z {total}", en: "Present: {n} of {total}";
    BoardEmpty => pl: "Nikt nie jest jeszcze zapisany. Dodaj osobę spoza listy.", en: "Nobody is registered yet. Add a walk-in.";
    AddWalkIn => pl: "Dodaj osobę spoza listy", en: "Add a walk-in";
    WalkInAdd => pl: "Dodaj i zaznacz obecność", en: "Add and mark present";
    MarkPresent => pl: "Zaznacz obecność", en: "Mark present";
    Meals => pl: "Posiłki", en: "Meals";
    MealsLess => pl: "Jeden posiłek mniej", en: "One meal fewer";
    MealsMore => pl: "Jeden posiłek więcej", en: "One meal more";

    // --- Workshops ----------------------------------------------------------
    WorkshopsTitle => pl: "Warsztaty", en: "Workshops";
    NewWorkshop => pl: "Nowy warsztat", en: "New workshop";
    EditWorkshopTitle => pl: "Zmiana warsztatu", en: "Edit workshop";
    NoWorkshops => pl: "Nie ma jeszcze warsztatów.", en: "No workshops yet.";
    WorkshopTitle => pl: "Warsztat", en: "Workshop";
    WorkshopDate => pl: "Data", en: "Date";
    WorkshopSite => pl: "Miejsce", en: "Site";
    ChooseOption => pl: "— wybierz —", en: "— choose —";
    WorkshopTheme => pl: "Temat", en: "Theme";
    WorkshopMotif => pl: "Motyw lokalny", en: "Local motif";
    WorkshopMaterials => pl: "Materiały", en: "Materials";
    Participants => pl: "Uczestnicy", en: "Participants";
    ParticipantsCount => pl: "Uczestnicy: {n}", en: "Participants: {n}";
    HoursLabel => pl: "Godziny: {name}", en: "Hours: {name}";
    HoursShort => pl: "godz.", en: "h";
    ItemsMade => pl: "Co powstało", en: "Items made";
    ItemName => pl: "Przedmiot", en: "Item";
    ItemCount => pl: "Liczba sztuk", en: "Number of pieces";
    /// The unit after a count of things made.
    ItemUnit => pl: "szt.", en: "pcs";
    AddItem => pl: "Dodaj przedmiot", en: "Add an item";
    /// Printed by the host build, which is not the app.
    // ---- the consortium office (desktop browser) ----
    /// The office's name in its header.
    OfficeTitle => pl: "Biuro konsorcjum", en: "Consortium office";
    LoginTitle => pl: "Logowanie do biura konsorcjum", en: "Consortium office login";
    LoginUser => pl: "Nazwa użytkownika", en: "User name";
    LoginPassword => pl: "Hasło", en: "Password";
    LoginSubmit => pl: "Zaloguj się", en: "Log in";
    Logout => pl: "Wyloguj", en: "Log out";
    /// `{name}`: the user's name.
    SignedInAs => pl: "Zalogowano: {name}", en: "Signed in: {name}";
    SessionEnded => pl: "Sesja wygasła. Zaloguj się ponownie.", en: "Your session has ended. Please log in again.";
    ErrBadLogin => pl: "Nieprawidłowa nazwa użytkownika lub hasło.", en: "Wrong user name or password.";
    ErrTooManyLogins => pl: "Zbyt wiele błędnych prób logowania. Spróbuj ponownie za kilka minut.", en: "Too many wrong attempts. Try again in a few minutes.";
    ErrForbidden => pl: "Nie masz uprawnień do tych danych.", en: "You are not allowed to see this.";
    ErrOfficeNetwork => pl: "Brak połączenia z serwerem. Spróbuj ponownie.", en: "The server cannot be reached. Try again.";
    ErrBadPeriod => pl: "Nieprawidłowy okres: wpisz np. 2026-10, 2026-Q4 lub 2026-01-01..2026-12-31.", en: "Not a period: enter e.g. 2026-10, 2026-Q4 or 2026-01-01..2026-12-31.";
    OfficeNavLabel => pl: "Sekcje biura", en: "Office sections";
    NavDashboard => pl: "Pulpit", en: "Dashboard";
    NavRecords => pl: "Rejestr działań", en: "Records";
    NavPersons => pl: "Osoby", en: "Persons";
    NavDuplicates => pl: "Duplikaty", en: "Duplicates";
    NavReport => pl: "Raport dla miasta", en: "City report";
    /// `{month}`: e.g. "2026-11".
    DashboardTitle => pl: "Miesiąc {month}", en: "Month {month}";
    PrevMonth => pl: "Poprzedni miesiąc", en: "Previous month";
    NextMonth => pl: "Następny miesiąc", en: "Next month";
    ChartTitle => pl: "Ostatnie 12 miesięcy: kontakty i sesje (konsorcjum ogółem, każdy raz)", en: "Last 12 months: contacts and sessions (consortium total, each once)";
    ColService => pl: "Usługa", en: "Service";
    ColMember => pl: "Organizacja członkowska", en: "Member organisation";
    ColRecords => pl: "Kontakty / sesje", en: "Contacts / sessions";
    ColUnique => pl: "Unikalne osoby", en: "Unique persons";
    ColNew => pl: "Nowe osoby", en: "New persons";
    ColAnonymous => pl: "Osoby anonimowe", en: "Anonymous";
    ColHours => pl: "Godziny", en: "Hours";
    ColGender => pl: "Płeć (unikalne osoby)", en: "Gender (unique persons)";
    ColAge => pl: "Wiek (unikalne osoby)", en: "Age (unique persons)";
    GenderFemaleShort => pl: "K", en: "F";
    GenderMaleShort => pl: "M", en: "M";
    GenderOtherShort => pl: "inna", en: "other";
    /// Not known (a column of the report).
    UnknownShort => pl: "b.d.", en: "n/k";
    PeriodMonth => pl: "Miesiąc", en: "Month";
    PeriodQuarter => pl: "Kwartał", en: "Quarter";
    PeriodRange => pl: "Zakres dni", en: "Range of days";
    PeriodYear => pl: "Rok", en: "Year";
    /// Under the report when the service rows add up to more than the total.
    ReportTotalsNote => pl: "Wiersze usług sumują się do {rows} kontaktów i sesji ({rows_hours} h), a „Konsorcjum ogółem” podaje {total} ({total_hours} h): kontakt, w którym dano kilka usług, liczy się w wierszu każdej z nich, a w sumie ogólnej raz. Tak samo osoby.", en: "The service rows add up to {rows} contacts and sessions ({rows_hours} h) while “Consortium total” gives {total} ({total_hours} h): a contact with several services counts in each of their rows, and once in the total. Persons likewise.";
    ColDate => pl: "Data", en: "Date";
    ColKind => pl: "Rodzaj", en: "Kind";
    ColTeam => pl: "Zespół", en: "Team";
    ColWorker => pl: "Pracownik", en: "Worker";
    ColWhere => pl: "Miejsce", en: "Where";
    ColPersons => pl: "Osoby", en: "Persons";
    ColWho => pl: "Kto", en: "Who";
    ColChange => pl: "Zmiana", en: "Change";
    NoData => pl: "Brak danych w tym okresie.", en: "No data in this period.";
    KindContact => pl: "Kontakt", en: "Contact";
    KindDaySession => pl: "Świetlica", en: "Day room";
    KindWorkshop => pl: "Warsztat", en: "Workshop";
    KindPerson => pl: "Osoba", en: "Person";
    FilterAll => pl: "Wszystkie", en: "All";
    FilterSite => pl: "Placówka", en: "Site";
    FilterFrom => pl: "Od dnia", en: "From";
    FilterTo => pl: "Do dnia", en: "To";
    FilterApply => pl: "Filtruj", en: "Filter";
    PagePrev => pl: "Poprzednia strona", en: "Previous page";
    PageNext => pl: "Następna strona", en: "Next page";
    /// `{n}`: how many records match.
    RecordsCount => pl: "Pasujących rekordów: {n}", en: "Matching records: {n}";
    RecordTitle => pl: "Rekord", en: "Record";
    PersonsTitle => pl: "Znajdź osobę", en: "Find a person";
    /// `{alias}`: the person's alias.
    TimelineTitle => pl: "Wszystko, co zrobiliśmy z: {alias}", en: "Everything we did with: {alias}";
    MergedPersons => pl: "Połączone duplikaty", en: "Merged duplicates";
    OpenTimeline => pl: "Oś czasu", en: "Timeline";
    DuplicatesTitle => pl: "Możliwe duplikaty", en: "Likely duplicates";
    NoDuplicates => pl: "Nie znaleziono możliwych duplikatów.", en: "No likely duplicates found.";
    ScorePercent => pl: "Podobieństwo {n}%", en: "Similarity {n}%";
    PairRegistered => pl: "W rejestrze od", en: "Registered";
    PairOrgs => pl: "Wpisy organizacji", en: "Records of";
    PairLastRecord => pl: "Ostatni wpis", en: "Latest record";
    PairRecords => pl: "Wpisy", en: "Records";
    PairTimeline => pl: "Historia: {alias}", en: "Timeline: {alias}";
    MergeInto => pl: "Połącz: {from} → {into}", en: "Merge: {from} → {into}";
    DifferentPeople => pl: "To różne osoby", en: "These are different people";
    /// `{alias}`: the person who stays.
    /// `{from}` is merged into `{into}`.
    ConfirmMerge => pl: "Połączyć „{from}” w „{into}”? „{from}” zniknie z list, a wszystkie jego wpisy będą liczone jako wpisy „{into}”; raporty policzą ich jako jedną osobę. Można to cofnąć.", en: "Merge “{from}” into “{into}”? “{from}” leaves the lists and all their records count as “{into}”'s; reports count them as one person. This can be undone.";
    UndoMerge => pl: "Cofnij połączenie", en: "Undo merge";
    /// `{alias}`: who the person was merged into.
    MergedInto => pl: "połączono z: {alias}", en: "merged into: {alias}";
    ReasonSameAlias => pl: "ten sam pseudonim", en: "same alias";
    ReasonSimilarAlias => pl: "podobny pseudonim", en: "similar alias";
    ReasonSameBirthYear => pl: "ten sam rok urodzenia", en: "same birth year";
    ReasonNearBirthYear => pl: "rok urodzenia różni się o 1", en: "birth years one apart";
    ReasonSameGender => pl: "ta sama płeć", en: "same gender";
    /// `{places}`: places where both were met.
    ReasonSharedPlaces => pl: "spotkani w tych samych miejscach: {places}", en: "met at the same places: {places}";
    ReportTitle => pl: "Raport dla miasta", en: "Report for the city";
    ReportPeriod => pl: "Okres", en: "Period";
    ReportShow => pl: "Pokaż", en: "Show";
    ReportServiceTotal => pl: "Razem (konsorcjum)", en: "Total (consortium)";
    ConsortiumTotal => pl: "Konsorcjum ogółem", en: "Consortium total";
    ReportFreeze => pl: "Zamroź jako złożony", en: "Freeze as submitted";
    /// `{period}`: the report's period.
    ConfirmFreeze => pl: "Zamrozić raport za {period}? Złożone liczby nie będą się już zmieniać; dane, które przyjdą później, pokażą się osobno jako zmiana.", en: "Freeze the report of {period}? Submitted figures will not change again; data that arrives later shows apart, as a change.";
    /// `{when}` and `{by}`: when the report was frozen and by whom.
    ReportFrozen => pl: "Złożony {when}, zamroził(a): {by}. Liczby poniżej są liczbami złożonymi.", en: "Submitted {when} by {by}. The figures below are the submitted ones.";
    ReportDelta => pl: "Zmiana po złożeniu", en: "Change after submission";
    DownloadXlsx => pl: "Pobierz XLSX", en: "Download XLSX";
    DownloadCsv => pl: "Pobierz CSV", en: "Download CSV";
    TargetsTitle => pl: "Cele umowy", en: "Contract targets";
    /// `{achieved}` of `{target}`.
    TargetLine => pl: "{achieved} z {target}", en: "{achieved} of {target}";
    NavCatalogue => pl: "Katalog usług", en: "Service catalogue";
    NavTeam => pl: "Urządzenia", en: "Devices";
    QuarantineTitle => pl: "Odrzucone zapisy", en: "Refused changes";
    QuarantineIntro => pl: "Zmiany, których serwer nie przyjął, z powodem. Nic z nich nie trafiło do danych; telefon może je wysłać ponownie po poprawce.", en: "Changes the server did not accept, with the reason. None of them reached the data; the phone can send them again once fixed.";
    QuarantineEmpty => pl: "Brak odrzuconych zapisów", en: "No refused changes";
    ColReason => pl: "Powód", en: "Reason";
    DetailsHidden => pl: "osoba (dane ukryte)", en: "person (details hidden)";
    ConsentTitle => pl: "Zgoda na przetwarzanie danych", en: "Consent to processing";
    ConsentScopeServices => pl: "usługi i rejestr konsorcjum", en: "services and the consortium registry";
    /// `{date}` and `{scope}`.
    ConsentGiven => pl: "zgoda od {date}: {scope}", en: "consent since {date}: {scope}";
    /// `{date}`: when consent was withdrawn.
    ConsentWithdrawn => pl: "zgoda wycofana {date}", en: "consent withdrawn {date}";
    ConsentNone => pl: "brak zapisanej zgody", en: "no consent recorded";
    RecordConsent => pl: "Zapisz zgodę", en: "Record consent";
    Cancel => pl: "Anuluj", en: "Cancel";
    WithdrawConsent => pl: "Wycofaj zgodę", en: "Withdraw consent";
    /// `{name}`: the person.
    ConfirmWithdrawConsent => pl: "Wycofać zgodę: {name}? Dane tej osoby zostaną ukryte poza Twoją organizacją i w biurze konsorcjum.", en: "Withdraw consent of {name}? Their details are then hidden outside your organisation and in the consortium office.";
    ConsentAtRegistration => pl: "Osoba zgadza się na zapis usług w rejestrze konsorcjum", en: "The person agrees to services being recorded in the consortium registry";
    AuditTitle => pl: "Dziennik dostępu", en: "Access log";
    AuditIntro => pl: "Kto co zmienił i kto otwierał dane — najnowsze najpierw.", en: "Who changed what and who opened the data — newest first.";
    ShowAudit => pl: "Dziennik", en: "Log";
    AuditEmpty => pl: "Brak wpisów", en: "No entries";
    ColWhen => pl: "Kiedy", en: "When";
    ColWhat => pl: "Co", en: "What";
    ColDetail => pl: "Szczegóły", en: "Details";
    AuditChange => pl: "zmiana zapisana", en: "change stored";
    AuditDeviceRead => pl: "otwarte na urządzeniu", en: "opened on a device";
    AuditViewTimeline => pl: "otwarta historia osoby", en: "person's timeline opened";
    AuditViewAudit => pl: "przegląd dziennika", en: "log viewed";
    AuditRefused => pl: "odmowa dostępu", en: "access refused";
    AuditLogin => pl: "logowanie", en: "login";
    AuditEnrolCode => pl: "wydany kod rejestracji", en: "enrolment code issued";
    AuditRevoke => pl: "odebrany dostęp urządzenia", en: "device revoked";
    /// `{org}`: the coordinator's member organisation.
    TeamTitle => pl: "Urządzenia — {org}", en: "Devices — {org}";
    TeamIntro => pl: "Wydaj kod, by dodać telefon lub tablet pracownika; odbierz dostęp zgubionemu urządzeniu — jego połączenie zostanie zerwane w ciągu sekundy, a aplikacja zablokuje dane.", en: "Issue a code to add a worker's phone or tablet; revoke a lost device — its connection is cut within a second and the app locks its data.";
    RoleOutreach => pl: "Streetworker", en: "Outreach worker";
    RoleDayRoom => pl: "Personel świetlicy", en: "Day-room staff";
    RoleFacilitator => pl: "Prowadzący warsztaty", en: "Workshop facilitator";
    RoleWorker => pl: "Pracownik terenowy", en: "Field worker";
    RoleCoordinator => pl: "Koordynator", en: "Coordinator";
    RoleOffice => pl: "Biuro konsorcjum", en: "Consortium office";
    RoleAdmin => pl: "Administrator serwera", en: "Server administrator";
    UserDisabled => pl: "konto wyłączone", en: "account disabled";
    NoDevices => pl: "Brak urządzeń", en: "No devices";
    /// `{date}`: when the device was enrolled.
    DeviceEnrolled => pl: "dodane {date}", en: "enrolled {date}";
    /// `{when}`: the device's last sync.
    DeviceLastSeen => pl: "ostatnia synchronizacja {when}", en: "last synced {when}";
    DeviceNeverSeen => pl: "jeszcze nie synchronizowało", en: "not synced yet";
    /// `{date}`: when access was revoked.
    DeviceRevoked => pl: "dostęp odebrany {date}", en: "revoked {date}";
    RevokeDevice => pl: "Odbierz dostęp", en: "Revoke";
    /// `{device}` and `{user}`.
    ConfirmRevoke => pl: "Odebrać dostęp urządzeniu „{device}” ({user})? Połączenie zostanie zerwane, a aplikacja zablokuje dane; zmian niezsynchronizowanych nie da się już wysłać.", en: "Revoke “{device}” ({user})? Its connection is cut and the app locks its data; changes not yet synced can no longer be sent.";
    NewEnrolCode => pl: "Nowy kod rejestracji", en: "New enrolment code";
    /// `{user}` and `{until}`.
    EnrolCodeFor => pl: "Kod dla: {user}. Wpisz go w aplikacji na nowym urządzeniu. Działa raz, do {until}.", en: "Code for {user}. Type it into the app on the new device. It works once, until {until}.";
    CatalogueServices => pl: "Usługi zamówionego pakietu", en: "Services of the commissioned package";
    CatalogueSites => pl: "Placówki", en: "Sites";
    ColCode => pl: "Kod", en: "Code";
    ColNamePl => pl: "Nazwa po polsku", en: "Polish name";
    ColNameEn => pl: "Nazwa po angielsku", en: "English name";
    ColContract => pl: "Okres umowy", en: "Contract period";
    ColTargets => pl: "Cele", en: "Targets";
    ColSiteKind => pl: "Rodzaj placówki", en: "Kind of site";
    ColName => pl: "Nazwa", en: "Name";
    Retired => pl: "wycofana (nie pojawia się na telefonach)", en: "retired (not offered on phones)";
    TargetUnique => pl: "Cel: unikalne osoby", en: "Target: unique persons";
    TargetRecords => pl: "Cel: kontakty / sesje", en: "Target: contacts / sessions";
    TargetHours => pl: "Cel: godziny", en: "Target: hours";
    SaveService => pl: "Zapisz usługę", en: "Save the service";
    SaveSite => pl: "Zapisz placówkę", en: "Save the site";
    NewEntry => pl: "Nowa", en: "New";
    CatalogueSaved => pl: "Zapisano. Telefony dostaną zmianę przy następnej synchronizacji.", en: "Saved. Phones get the change at their next sync.";
    SiteKindDayRoom => pl: "świetlica", en: "day room";
    SiteKindDayCentre => pl: "centrum dzienne", en: "day centre";
    SiteKindWorkshop => pl: "pracownia", en: "workshop room";
    SiteKindStreet => pl: "teren (streetworking)", en: "street";
    AuditErase => pl: "osoba wymazana", en: "person erased";
    AuditErasurePlan => pl: "otwarty plan wymazania", en: "erasure plan opened";
    AuditEraseDelete => pl: "rekord usunięty (wymazanie)", en: "record deleted (erasure)";
    AuditEraseRewrite => pl: "rekord przepisany bez notatek (wymazanie)", en: "record rewritten without notes (erasure)";
    NavErasures => pl: "Wymazania", en: "Erasures";
    ErasedPerson => pl: "osoba wymazana (zostało tylko id)", en: "erased person (only the id is left)";
    ErasedOn => pl: "Dane tej osoby wymazano. Kontakty z nią zostały w raportach jako nienazwane id.", en: "This person's data was erased. Their contacts stay in the reports as an unnamed id.";
    EraseIntro => pl: "Na wniosek osoby (prawo do bycia zapomnianym). Nie da się tego cofnąć.", en: "At the person's request (the right to be forgotten). This cannot be undone.";
    EraseShowPlan => pl: "Wymaż dane osoby…", en: "Erase this person's data…";
    /// `{persons}`, `{notes}`: counts.
    ErasePlanDeleted => pl: "Usunięte z historią: wpisy w rejestrze: {persons}, zapiski prowadzenia: {notes}.", en: "Deleted with their history: registry entries: {persons}, case notes: {notes}.";
    /// `{contacts}`: a count.
    ErasePlanRewritten => pl: "Kontakty z tą osobą przepisane bez notatek i zadań, bez historii: {contacts}.", en: "Contacts with this person rewritten without notes and follow-ups, without history: {contacts}.";
    /// `{records}`: a count.
    EraseHeldElsewhere => pl: "Zapisy lub wpisy rejestru tej osoby mają też inne organizacje (liczba: {n}): wymazać ją może tylko biuro konsorcjum.", en: "Other organisations also hold records or registry entries of this person ({n}): only the consortium office can erase them.";
    ErasePlanKept => pl: "Sesje świetlicy i warsztaty z tą osobą zachowają tylko id: {records}.", en: "Day-room sessions and workshops with this person keep only the id: {records}.";
    ErasePlanDevices => pl: "Każde urządzenie usunie te dane przy najbliższej synchronizacji i to potwierdzi; lista niepotwierdzonych jest na stronie „Wymazania”.", en: "Every device deletes this data at its next sync and confirms it; the devices that have not are listed under “Erasures”.";
    EraseReason => pl: "Podstawa (numer wniosku, bez nazwiska osoby)", en: "Reason (the request's reference, not the person's name)";
    EraseConfirmButton => pl: "Wymaż na zawsze", en: "Erase for good";
    EraseConfirm => pl: "Dane tej osoby zostaną wymazane na zawsze, na serwerze i na wszystkich urządzeniach. Tego nie da się cofnąć.", en: "This person's data will be erased for good, on the server and on every device. This cannot be undone.";
    ErasuresTitle => pl: "Wymazania danych osób", en: "Erasures of persons' data";
    ErasuresIntro => pl: "Urządzenia, które jeszcze nie potwierdziły usunięcia, trzymają kopię zaszyfrowaną PIN-em; usuną ją przy najbliższej synchronizacji.", en: "Devices that have not confirmed yet still hold a copy, encrypted under their PIN; they delete it at their next sync.";
    ErasuresEmpty => pl: "Nikogo nie wymazano.", en: "Nobody was erased.";
    /// `{by}`, `{reason}`, `{deleted}`, `{rewritten}`.
    ErasureLine => pl: "{by} · {reason} · usunięte: {deleted}, przepisane: {rewritten}", en: "{by} · {reason} · deleted: {deleted}, rewritten: {rewritten}";
    ErasureAllConfirmed => pl: "Wszystkie urządzenia potwierdziły.", en: "Every device confirmed.";
    /// `{n}`: how many documents.
    ErasurePendingDocs => pl: "nie potwierdziło ({n} rek.)", en: "not confirmed ({n} rec.)";
    // --- Case work: the person's file ---------------------------------------
    PersonFileTitle => pl: "Teczka osoby", en: "Person's file";
    /// A button that opens a person's file.
    OpenFile => pl: "Teczka", en: "File";
    /// Accessible label: open {name}'s file.
    OpenFileOf => pl: "Teczka: {name}", en: "File: {name}";
    FindPersonTitle => pl: "Znajdź osobę", en: "Find a person";
    DueTitle => pl: "Na dziś i zaległe", en: "Due today and overdue";
    DueOverdue => pl: "Zaległe", en: "Overdue";
    DueToday => pl: "Na dziś", en: "Due today";
    NothingDue => pl: "Nic zaległego ani na dziś.", en: "Nothing overdue or due today.";
    DueFollowUp => pl: "Ustalenie z kontaktu", en: "Follow-up";
    DueStep => pl: "Krok programu", en: "Programme step";
    DueReview => pl: "Przegląd programu", en: "Programme review";
    DueReferral => pl: "Skierowanie czeka na odpowiedź", en: "Referral awaiting an answer";
    /// `{date}`: since when it is overdue.
    DueSince => pl: "termin minął {date}", en: "was due {date}";
    FileHistory => pl: "Przebieg", en: "History";
    FileEmpty => pl: "Nic jeszcze nie zapisano.", en: "Nothing recorded yet.";
    EventContact => pl: "Kontakt", en: "Contact";
    EventAttendance => pl: "Świetlica", en: "Day room";
    EventWorkshop => pl: "Warsztat", en: "Workshop";
    EventNote => pl: "Notatka", en: "Note";
    AddNote => pl: "Dodaj notatkę", en: "Add a note";
    NoteHint => pl: "Notatkę widzi tylko Twoja organizacja.", en: "Only your organisation sees the note.";
    ErrNoteEmpty => pl: "Wpisz treść notatki.", en: "Type the note.";
    StaleFileHidden => pl: "Urządzenie dawno nie łączyło się z serwerem: widać tylko to, co sam(a) zapisałeś/aś.", en: "This device has not reached the server for long: only what you recorded is shown.";
    NoCaseWorkSpace => pl: "To urządzenie nie może prowadzić spraw (brak przestrzeni zespołu): poproś koordynatora.", en: "This device cannot keep case work (no team space): ask your coordinator.";

    // --- Case work: needs assessment ----------------------------------------
    DiagnosesTitle => pl: "Diagnoza potrzeb", en: "Needs assessment";
    NewDiagnosis => pl: "Nowa diagnoza", en: "New assessment";
    /// `{date}`.
    DiagnosisOf => pl: "Diagnoza z {date}", en: "Assessment of {date}";
    /// `{date}`: the assessment compared with.
    ChangeSince => pl: "zmiana od {date}", en: "change since {date}";
    NoDiagnosis => pl: "Bez diagnozy.", en: "No assessment yet.";
    AssessedOn => pl: "Data diagnozy", en: "Date of the assessment";
    Wishes => pl: "Czego chce sama osoba", en: "What the person wants";
    DomainNote => pl: "Uwagi", en: "Notes";
    NotAssessed => pl: "nie oceniono", en: "not assessed";
    ErrNoDomain => pl: "Oceń przynajmniej jedną sferę.", en: "Assess at least one domain.";
    /// `{who}`: the author.
    WrittenBy => pl: "zapisał(a): {who}", en: "written by {who}";
    DomainHousing => pl: "Mieszkanie", en: "Housing";
    DomainIncome => pl: "Dochód i świadczenia", en: "Income and benefits";
    DomainHealth => pl: "Zdrowie", en: "Health";
    DomainMentalHealth => pl: "Zdrowie psychiczne", en: "Mental health";
    DomainAddiction => pl: "Uzależnienia", en: "Addiction";
    DomainDocuments => pl: "Dokumenty i tożsamość", en: "Documents and identity";
    DomainWork => pl: "Praca i umiejętności", en: "Work and skills";
    DomainFamily => pl: "Rodzina i relacje", en: "Family and relations";
    DomainLegal => pl: "Sprawy prawne", en: "Legal matters";
    DomainDailyLiving => pl: "Codzienne funkcjonowanie", en: "Daily living";
    Level1 => pl: "1 · kryzys", en: "1 · crisis";
    Level2 => pl: "2 · poważne trudności", en: "2 · serious difficulties";
    Level3 => pl: "3 · częściowo radzi sobie", en: "3 · copes partly";
    Level4 => pl: "4 · radzi sobie ze wsparciem", en: "4 · copes with support";
    Level5 => pl: "5 · samodzielnie", en: "5 · on their own";

    // --- Case work: individual programme ------------------------------------
    ProgrammesTitle => pl: "Indywidualny program wychodzenia z bezdomności", en: "Individual programme for leaving homelessness";
    ProgrammeShort => pl: "Program (IPWB)", en: "Programme (IPWB)";
    NewProgramme => pl: "Otwórz program", en: "Open a programme";
    NoProgramme => pl: "Bez programu.", en: "No programme.";
    OpenedOn => pl: "Data otwarcia", en: "Opened on";
    AgreedOn => pl: "Data podpisania przez osobę", en: "Agreed by the person on";
    Goals => pl: "Cele", en: "Goals";
    GoalPlaceholder => pl: "Cel, słowami osoby", en: "A goal, in the person's words";
    AddGoal => pl: "Dodaj cel", en: "Add a goal";
    ErrGoalRequired => pl: "Wpisz przynajmniej jeden cel.", en: "Type at least one goal.";
    Steps => pl: "Kroki", en: "Steps";
    NoSteps => pl: "Bez kroków.", en: "No steps yet.";
    AddStep => pl: "Dodaj krok", en: "Add a step";
    StepText => pl: "Co trzeba zrobić", en: "What is to be done";
    StepDue => pl: "Termin", en: "Due";
    Carrier => pl: "Kto realizuje", en: "Who carries it";
    CarrierMe => pl: "Ja", en: "Me";
    CarrierPerson => pl: "Sama osoba", en: "The person";
    CarrierWorker => pl: "Pracownik", en: "A worker";
    ErrStepText => pl: "Wpisz, co trzeba zrobić.", en: "Type what is to be done.";
    StatusPlanned => pl: "zaplanowany", en: "planned";
    StatusInProgress => pl: "w toku", en: "in progress";
    StatusDone => pl: "zrobiony", en: "done";
    StatusDropped => pl: "porzucony", en: "dropped";
    OverdueMark => pl: "po terminie", en: "overdue";
    Reviews => pl: "Przeglądy", en: "Reviews";
    PlanReview => pl: "Zaplanuj przegląd", en: "Plan a review";
    ReviewTookPlace => pl: "Odbył się dziś", en: "Took place today";
    /// `{date}`.
    ReviewDoneOn => pl: "odbył się {date}", en: "took place {date}";
    CloseProgramme => pl: "Zamknij program", en: "Close the programme";
    ClosedOn => pl: "Data zamknięcia", en: "Closed on";
    Outcome => pl: "Wynik", en: "Outcome";
    /// `{date}`, `{outcome}`.
    ProgrammeClosed => pl: "Zamknięty {date}: {outcome}", en: "Closed {date}: {outcome}";
    ErrClosingDay => pl: "Podaj datę zamknięcia i wynik.", en: "Give the closing date and the outcome.";
    OutcomeOwnHousing => pl: "własne mieszkanie", en: "own housing";
    OutcomeSupportedFlat => pl: "mieszkanie wspierane lub treningowe", en: "supported or training flat";
    OutcomeFamily => pl: "powrót do rodziny", en: "back with family";
    OutcomeInstitution => pl: "instytucja (DPS, leczenie)", en: "an institution (care home, treatment)";
    OutcomeLeft => pl: "rezygnacja z programu", en: "left the programme";
    OutcomeDied => pl: "zgon", en: "died";
    OutcomeOther => pl: "inny", en: "other";

    // --- Case work: referrals -----------------------------------------------
    ReferralsTitle => pl: "Skierowania", en: "Referrals";
    ReferralsIncoming => pl: "Do nas", en: "To us";
    ReferralsOutgoing => pl: "Od nas", en: "From us";
    NoReferrals => pl: "Brak skierowań.", en: "No referrals.";
    NewReferral => pl: "Skieruj", en: "Refer";
    ReferToOrg => pl: "Do organizacji członkowskiej", en: "To a member organisation";
    ReferToInstitution => pl: "Do instytucji", en: "To an institution";
    ReferralOrg => pl: "Organizacja", en: "Organisation";
    ReferralService => pl: "Usługa", en: "Service";
    AnyService => pl: "— dowolna —", en: "— any —";
    ReferralInstitution => pl: "Instytucja", en: "Institution";
    ReferralReason => pl: "Powód skierowania", en: "Reason for the referral";
    ShareFile => pl: "Przekaż to, na co osoba się zgodziła (diagnoza, cele programu)", en: "Share what the person consented to (assessment, programme goals)";
    ShareHint => pl: "Bez zgody organizacja dostaje tylko pseudonim i powód.", en: "Without consent the organisation gets only the alias and the reason.";
    ErrReasonRequired => pl: "Wpisz powód skierowania.", en: "Type the reason for the referral.";
    ErrChooseTarget => pl: "Wybierz organizację albo instytucję.", en: "Choose an organisation or an institution.";
    ReferralSent => pl: "wysłane", en: "sent";
    ReferralAccepted => pl: "przyjęte", en: "accepted";
    ReferralDeclined => pl: "odrzucone", en: "declined";
    ReferralDone => pl: "zrealizowane", en: "done";
    /// `{org}`.
    ReferralFrom => pl: "od: {org}", en: "from: {org}";
    /// `{org}`.
    ReferralTo => pl: "do: {org}", en: "to: {org}";
    /// `{date}`.
    ReferralSentOn => pl: "wysłane {date}", en: "sent {date}";
    Accept => pl: "Przyjmij", en: "Accept";
    Decline => pl: "Odrzuć", en: "Decline";
    MarkDone => pl: "Zrealizowane", en: "Mark done";
    DeclineReason => pl: "Powód odrzucenia", en: "Reason for declining";
    ErrDeclineReason => pl: "Wpisz powód odrzucenia.", en: "Type why it is declined.";
    /// The office timeline's section of assessments, programmes and referrals.
    CaseWorkTitle => pl: "Praca z osobą: diagnozy, programy, skierowania", en: "Case work: assessments, programmes, referrals";
    /// `{opened}`, `{reviewed}`, `{closed}`: counts of the period.
    ReportProgrammes => pl: "Otwarte: {opened} · z przeglądem: {reviewed} · zamknięte: {closed}", en: "Opened: {opened} · reviewed: {reviewed} · closed: {closed}";
    ColMonth => pl: "Miesiąc", en: "Month";
    ColFrom => pl: "Od", en: "From";
    ColTo => pl: "Do", en: "To";
    ColMedianDays => pl: "Mediana dni do przyjęcia", en: "Median days to acceptance";
    CatalogueInstitutions => pl: "Instytucje spoza konsorcjum (do skierowań)", en: "Outside institutions (for referrals)";
    ColInstitutionKind => pl: "Rodzaj", en: "Kind";
    ColAddress => pl: "Adres", en: "Address";
    ColPhone => pl: "Telefon", en: "Phone";
    SaveInstitution => pl: "Zapisz instytucję", en: "Save the institution";
    InstSocialAssistance => pl: "pomoc społeczna (OPS/MOPS)", en: "social assistance centre";
    InstLabourOffice => pl: "urząd pracy (PUP)", en: "labour office";
    InstHealth => pl: "ochrona zdrowia", en: "health care";
    InstAddiction => pl: "leczenie uzależnień", en: "addiction treatment";
    InstMentalHealth => pl: "zdrowie psychiczne", en: "mental health";
    InstHousing => pl: "mieszkalnictwo", en: "housing";
    InstJustice => pl: "policja, sąd, kuratela", en: "police, courts, probation";
    InstEducation => pl: "szkoła, edukacja", en: "school, education";
    InstOther => pl: "inna", en: "other";
    Household => pl: "Gospodarstwo domowe", en: "Household";
    HouseholdHint => pl: "Osoby ocenione razem z tą osobą (np. partner, dzieci).", en: "Persons assessed together with this person (a partner, children).";
    HouseholdRelation => pl: "Pokrewieństwo", en: "Relation";
    SharedWithConsent => pl: "Przekazane za zgodą osoby", en: "Shared with the person's consent";
    HostBuildNotice => pl: "Interfejs Odnowy działa w przeglądarce: zbuduj go poleceniem `trunk build` w katalogu ui/.",
                       en: "The Odnowa interface runs in a browser: build it with `trunk build` in ui/.";
}

impl Lang {
    /// The name of this language, written in `lang`.
    pub fn name(self, lang: Lang) -> &'static str {
        match self {
            Lang::Pl => t(lang, Key::LangPolish),
            Lang::En => t(lang, Key::LangEnglish),
        }
    }
}

/// `template` with every `{name}` replaced by its value from `args`.
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut text = template.to_string();
    for (name, value) in args {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// The text of `key` in `lang` with its placeholders filled.
pub fn tf(lang: Lang, key: Key, args: &[(&str, &str)]) -> String {
    fill(t(lang, key), args)
}

/// Which of the three keys fits `n` (Polish has three plural forms: 1;
/// 2–4, 22–24 …; the rest). English uses the second and third alike.
pub fn plural_key(n: u64, [one, few, many]: [Key; 3]) -> Key {
    match (n, n % 10, n % 100) {
        (1, _, _) => one,
        (_, 2..=4, tens) if !(12..=14).contains(&tens) => few,
        _ => many,
    }
}

/// The text of the plural form of `keys` for `n`, with `{n}` and `args`
/// filled.
pub fn plural(lang: Lang, n: u64, keys: [Key; 3], args: &[(&str, &str)]) -> String {
    let count = n.to_string();
    let mut all = vec![("n", count.as_str())];
    all.extend_from_slice(args);
    tf(lang, plural_key(n, keys), &all)
}

/// "{n} versions" with the right plural form (Polish has three).
pub fn versions(lang: Lang, n: usize) -> String {
    plural(
        lang,
        n as u64,
        [Key::VersionsOne, Key::VersionsFew, Key::VersionsMany],
        &[],
    )
}

/// The placeholders (`{name}`) in `text`, sorted.
#[cfg(test)]
fn placeholders(text: &str) -> Vec<String> {
    let mut found: Vec<String> = text
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_string()))
        .collect();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_a_text_in_every_language() {
        for &key in Key::ALL {
            for lang in Lang::ALL {
                assert!(
                    !t(lang, key).trim().is_empty(),
                    "{key:?} has no text in {lang}"
                );
            }
        }
    }

    #[test]
    fn polish_is_the_default() {
        assert_eq!(Lang::default(), Lang::Pl);
    }

    #[test]
    fn codes_round_trip() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
        }
        assert_eq!(Lang::from_code("de"), None);
        assert_eq!(Lang::from_code(""), None);
    }

    #[test]
    fn texts_differ_between_languages_where_they_should() {
        // Proper names and symbols are the same in both languages; every
        // other text left equal is probably an untranslated copy.
        let same_on_purpose = [
            Key::AppName,
            Key::NotAvailable,
            Key::UnitMinutes,
            Key::EnrolCodeHint,
            Key::GenderMaleShort,
            Key::LockPin,
            // Who and when: the words are the placeholders'.
            Key::VersionBy,
        ];
        for &key in Key::ALL {
            if !same_on_purpose.contains(&key) {
                assert_ne!(
                    t(Lang::Pl, key),
                    t(Lang::En, key),
                    "{key:?} is not translated"
                );
            }
        }
    }

    #[test]
    fn both_languages_have_the_same_placeholders() {
        for &key in Key::ALL {
            assert_eq!(
                placeholders(t(Lang::Pl, key)),
                placeholders(t(Lang::En, key)),
                "{key:?}"
            );
        }
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(tf(Lang::En, Key::SyncRefused, &[("n", "3")]), "Refused: 3");
        assert_eq!(fill("{a}{a}{b}", &[("a", "x")]), "xx{b}");
    }

    #[test]
    fn polish_plurals_of_versions() {
        assert_eq!(versions(Lang::Pl, 1), "1 wersja");
        assert_eq!(versions(Lang::Pl, 2), "2 wersje");
        assert_eq!(versions(Lang::Pl, 5), "5 wersji");
        assert_eq!(versions(Lang::Pl, 12), "12 wersji");
        assert_eq!(versions(Lang::Pl, 22), "22 wersje");
        assert_eq!(versions(Lang::En, 2), "2 versions");
    }

    #[test]
    fn waiting_records_in_polish_plural_forms() {
        let keys = [
            Key::SyncWaitingOne,
            Key::SyncWaitingFew,
            Key::SyncWaitingMany,
        ];
        let phone = [("where", t(Lang::Pl, Key::SyncWherePhone))];
        for (n, text) in [
            (1, "Zapisane w telefonie · 1 czeka na wysłanie"),
            (3, "Zapisane w telefonie · 3 czekają na wysłanie"),
            (5, "Zapisane w telefonie · 5 czeka na wysłanie"),
            (13, "Zapisane w telefonie · 13 czeka na wysłanie"),
            (24, "Zapisane w telefonie · 24 czekają na wysłanie"),
        ] {
            assert_eq!(plural(Lang::Pl, n, keys, &phone), text);
        }
    }
}

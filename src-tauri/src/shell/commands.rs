//! Thin Tauri commands, one per name in [`odnowa_shared::api::cmd`]: take
//! the arguments, call the engine, return its answer. No logic lives here
//! (it is in `engine::field`, where it is tested without a window). Each
//! command is listed in `build.rs` (which generates its `allow-…`
//! permission), granted in `capabilities/default.json`, and registered in
//! [`super::handler`].
//!
//! Parameter names are single words, so the camelCase keys Tauri 2 expects
//! from JavaScript are the same as the Rust names.

use tauri::State;

use odnowa_shared::api::{
    AppInfo, CatalogueView, ClosingDraft, ContactDraft, ContactView, DaySessionView,
    DiagnosisDraft, DiagnosisView, DueView, EnrolRequest, NoteDraft, PersonDraft, PersonFile,
    PersonView, ProgrammeDraft, ProgrammeView, RecentPerson, RecordMeta, ReferralAnswer,
    ReferralDraft, ReferralTargets, ReferralView, ReferralsView, ReviewDraft, SimilarPerson,
    StepDraft, SyncView, WorkshopDraft, WorkshopView,
};
use odnowa_shared::ids::{DocId, PersonId, SiteId};
use odnowa_shared::time::Date;

use super::{Device, Error};

type Answer<T> = Result<T, Error>;

/// The app's version (the crate version). Kept for the first screens;
/// [`app_info`] carries it too.
#[tauri::command]
pub fn app_version() -> Answer<String> {
    Ok(env!("CARGO_PKG_VERSION").to_owned())
}

#[tauri::command]
pub async fn app_info(device: State<'_, Device>) -> Answer<AppInfo> {
    Ok(device.engine.app_info().await?)
}

#[tauri::command]
pub async fn enrol(device: State<'_, Device>, request: EnrolRequest) -> Answer<AppInfo> {
    Ok(device.engine.enrol_device(&request).await?)
}

#[tauri::command]
pub async fn unlock(device: State<'_, Device>, pin: String) -> Answer<AppInfo> {
    Ok(device.engine.unlock_view(&pin).await?)
}

#[tauri::command]
pub async fn lock(device: State<'_, Device>) -> Answer<AppInfo> {
    Ok(device.engine.lock_now().await?)
}

#[tauri::command]
pub async fn reset_device(device: State<'_, Device>) -> Answer<AppInfo> {
    Ok(device.engine.reset_device().await?)
}

#[tauri::command]
pub async fn give_consent(
    device: State<'_, Device>,
    person: PersonId,
    scope: String,
) -> Answer<PersonView> {
    Ok(device.engine.give_consent(person, &scope).await?)
}

#[tauri::command]
pub async fn withdraw_consent(device: State<'_, Device>, person: PersonId) -> Answer<PersonView> {
    Ok(device.engine.withdraw_consent(person).await?)
}

#[tauri::command]
pub async fn sync_status(device: State<'_, Device>, active: bool) -> Answer<SyncView> {
    Ok(device.engine.sync_view_polled(active).await?)
}

#[tauri::command]
pub async fn sync_now(device: State<'_, Device>) -> Answer<SyncView> {
    Ok(device.engine.sync_now_view().await?)
}

#[tauri::command]
pub async fn catalogue(device: State<'_, Device>) -> Answer<CatalogueView> {
    Ok(device.engine.catalogue_view().await?)
}

#[tauri::command]
pub async fn search_persons(device: State<'_, Device>, query: String) -> Answer<Vec<PersonView>> {
    Ok(device.engine.search_persons(&query).await?)
}

#[tauri::command]
pub async fn similar_persons(
    device: State<'_, Device>,
    draft: PersonDraft,
) -> Answer<Vec<SimilarPerson>> {
    Ok(device.engine.similar_persons(&draft).await?)
}

#[tauri::command]
pub async fn create_person(device: State<'_, Device>, draft: PersonDraft) -> Answer<PersonView> {
    Ok(device.engine.create_person(&draft).await?)
}

#[tauri::command]
pub async fn contacts_on(device: State<'_, Device>, date: Date) -> Answer<Vec<ContactView>> {
    Ok(device.engine.contacts_on(date).await?)
}

#[tauri::command]
pub async fn contact(device: State<'_, Device>, id: DocId) -> Answer<ContactView> {
    Ok(device.engine.contact(id).await?)
}

#[tauri::command]
pub async fn save_contact(device: State<'_, Device>, draft: ContactDraft) -> Answer<ContactView> {
    Ok(device.engine.save_contact(&draft).await?)
}

#[tauri::command]
pub async fn link_contact_person(
    device: State<'_, Device>,
    contact: DocId,
    person: PersonId,
) -> Answer<ContactView> {
    Ok(device.engine.link_contact_person(contact, person).await?)
}

#[tauri::command]
pub async fn link_new_person(
    device: State<'_, Device>,
    contact: DocId,
    draft: PersonDraft,
) -> Answer<ContactView> {
    Ok(device.engine.link_new_person(contact, &draft).await?)
}

#[tauri::command]
pub async fn recent_places(device: State<'_, Device>) -> Answer<Vec<String>> {
    Ok(device.engine.recent_places().await?)
}

#[tauri::command]
pub async fn recent_persons(device: State<'_, Device>, limit: usize) -> Answer<Vec<RecentPerson>> {
    Ok(device.engine.recent_persons(limit).await?)
}

#[tauri::command]
pub async fn today_session(device: State<'_, Device>, site: SiteId) -> Answer<DaySessionView> {
    Ok(device.engine.today_session(site).await?)
}

#[tauri::command]
pub async fn set_present(
    device: State<'_, Device>,
    session: DocId,
    person: PersonId,
    present: bool,
) -> Answer<DaySessionView> {
    Ok(device.engine.set_present(session, person, present).await?)
}

#[tauri::command]
pub async fn check_out(
    device: State<'_, Device>,
    session: DocId,
    person: PersonId,
) -> Answer<DaySessionView> {
    Ok(device.engine.check_out(session, person).await?)
}

#[tauri::command]
pub async fn add_walk_in(
    device: State<'_, Device>,
    session: DocId,
    draft: PersonDraft,
) -> Answer<DaySessionView> {
    Ok(device.engine.add_walk_in(session, &draft).await?)
}

#[tauri::command]
pub async fn add_meals(
    device: State<'_, Device>,
    session: DocId,
    delta: i64,
) -> Answer<DaySessionView> {
    Ok(device.engine.add_meals(session, delta).await?)
}

#[tauri::command]
pub async fn workshops(device: State<'_, Device>) -> Answer<Vec<WorkshopView>> {
    Ok(device.engine.workshops().await?)
}

#[tauri::command]
pub async fn workshop(device: State<'_, Device>, id: DocId) -> Answer<WorkshopView> {
    Ok(device.engine.workshop(id).await?)
}

#[tauri::command]
pub async fn save_workshop(
    device: State<'_, Device>,
    draft: WorkshopDraft,
) -> Answer<WorkshopView> {
    Ok(device.engine.save_workshop(&draft).await?)
}

#[tauri::command]
pub async fn record_meta(device: State<'_, Device>, id: DocId) -> Answer<RecordMeta> {
    Ok(device.engine.record_meta(id).await?)
}

#[tauri::command]
pub async fn resolve_conflict(
    device: State<'_, Device>,
    id: DocId,
    path: Vec<String>,
    change: String,
) -> Answer<RecordMeta> {
    Ok(device.engine.pick_version(id, &path, &change).await?)
}

#[tauri::command]
pub async fn person_file(device: State<'_, Device>, person: PersonId) -> Answer<PersonFile> {
    Ok(device.engine.person_file(person).await?)
}

#[tauri::command]
pub async fn add_note(device: State<'_, Device>, draft: NoteDraft) -> Answer<PersonFile> {
    Ok(device.engine.add_note(&draft).await?)
}

#[tauri::command]
pub async fn diagnosis(device: State<'_, Device>, id: DocId) -> Answer<DiagnosisView> {
    Ok(device.engine.diagnosis(id).await?)
}

#[tauri::command]
pub async fn save_diagnosis(
    device: State<'_, Device>,
    draft: DiagnosisDraft,
) -> Answer<DiagnosisView> {
    Ok(device.engine.save_diagnosis(&draft).await?)
}

#[tauri::command]
pub async fn programme(device: State<'_, Device>, id: DocId) -> Answer<ProgrammeView> {
    Ok(device.engine.programme(id).await?)
}

#[tauri::command]
pub async fn open_programme(
    device: State<'_, Device>,
    draft: ProgrammeDraft,
) -> Answer<ProgrammeView> {
    Ok(device.engine.open_programme(&draft).await?)
}

#[tauri::command]
pub async fn save_step(device: State<'_, Device>, draft: StepDraft) -> Answer<ProgrammeView> {
    Ok(device.engine.save_step(&draft).await?)
}

#[tauri::command]
pub async fn save_review(device: State<'_, Device>, draft: ReviewDraft) -> Answer<ProgrammeView> {
    Ok(device.engine.save_review(&draft).await?)
}

#[tauri::command]
pub async fn close_programme(
    device: State<'_, Device>,
    draft: ClosingDraft,
) -> Answer<ProgrammeView> {
    Ok(device.engine.close_programme(&draft).await?)
}

#[tauri::command]
pub async fn referral_targets(device: State<'_, Device>) -> Answer<ReferralTargets> {
    Ok(device.engine.referral_targets().await?)
}

#[tauri::command]
pub async fn send_referral(
    device: State<'_, Device>,
    draft: ReferralDraft,
) -> Answer<ReferralView> {
    Ok(device.engine.send_referral(&draft).await?)
}

#[tauri::command]
pub async fn answer_referral(
    device: State<'_, Device>,
    draft: ReferralAnswer,
) -> Answer<ReferralView> {
    Ok(device.engine.answer_referral(&draft).await?)
}

#[tauri::command]
pub async fn referrals(device: State<'_, Device>) -> Answer<ReferralsView> {
    Ok(device.engine.referrals().await?)
}

#[tauri::command]
pub async fn due(device: State<'_, Device>) -> Answer<DueView> {
    Ok(device.engine.due().await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_version_is_the_crate_version() {
        assert_eq!(
            app_version().ok().as_deref(),
            Some(env!("CARGO_PKG_VERSION"))
        );
    }
}

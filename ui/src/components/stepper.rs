//! [`Stepper`]: a number with big − and + buttons (head count, meals).

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct StepperProps {
    pub label: AttrValue,
    pub value: i64,
    pub on_step: Callback<i64>,
    pub less_label: AttrValue,
    pub more_label: AttrValue,
    /// Prefix of the test ids: `{testid}-less`, `{testid}-value`, `{testid}-more`.
    pub testid: AttrValue,
    #[prop_or_default]
    pub disabled: bool,
}

#[function_component(Stepper)]
pub fn stepper(props: &StepperProps) -> Html {
    let less = props.on_step.reform(|_: MouseEvent| -1);
    let more = props.on_step.reform(|_: MouseEvent| 1);
    html! {
        <div class="stepper" role="group" aria-label={props.label.clone()}>
            <span class="stepper-label">{ props.label.clone() }</span>
            <button type="button" class="stepper-button" aria-label={props.less_label.clone()}
                data-testid={format!("{}-less", props.testid)} disabled={props.disabled} onclick={less}>{ "−" }</button>
            <output class="stepper-value" data-testid={format!("{}-value", props.testid)} aria-live="polite">
                { props.value }
            </output>
            <button type="button" class="stepper-button" aria-label={props.more_label.clone()}
                data-testid={format!("{}-more", props.testid)} disabled={props.disabled} onclick={more}>{ "+" }</button>
        </div>
    }
}

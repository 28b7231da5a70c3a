//! [`once`]: a view that is built when it appears and replaced (never
//! patched) if it is ever rendered over itself. For a branch that is shown
//! or hidden as a whole (`move || shown.get().then(|| once(view! { … }))`,
//! `shown` a memo of a bool): such a closure builds the branch when it
//! appears and drops it when it goes, exactly as `Show` does, but never
//! patches one instance into another; wrapped in `Once`, the code that
//! would (`Render::rebuild` of the whole tree) is not compiled into the
//! wasm. Should it run anyway, the new view is built and takes the old
//! one's place.

use leptos::tachys::html::attribute::{any_attribute::AnyAttribute, Attribute};
use leptos::tachys::hydration::Cursor;
use leptos::tachys::view::{
    add_attr::AddAnyAttr, Mountable, Position, PositionState, Render, RenderHtml,
};

/// A view that is built, never rebuilt in place (see the module).
pub struct Once<T>(T);

/// Wraps `view` so that it is only ever built (see the module).
pub fn once<T>(view: T) -> Once<T> {
    Once(view)
}

impl<T: Render> Render for Once<T> {
    type State = T::State;

    fn build(self) -> Self::State {
        self.0.build()
    }

    fn rebuild(self, state: &mut Self::State) {
        let mut new = self.0.build();
        state.insert_before_this(&mut new);
        state.unmount();
        *state = new;
    }
}

impl<T: RenderHtml> RenderHtml for Once<T> {
    type AsyncOutput = T::AsyncOutput;
    type Owned = Once<T::Owned>;

    const MIN_LENGTH: usize = T::MIN_LENGTH;
    const EXISTS: bool = T::EXISTS;

    fn dry_resolve(&mut self) {
        self.0.dry_resolve();
    }

    async fn resolve(self) -> Self::AsyncOutput {
        self.0.resolve().await
    }

    fn to_html_with_buf(
        self,
        buf: &mut String,
        position: &mut Position,
        escape: bool,
        mark_branches: bool,
        extra_attrs: Vec<AnyAttribute>,
    ) {
        self.0
            .to_html_with_buf(buf, position, escape, mark_branches, extra_attrs);
    }

    fn hydrate<const FROM_SERVER: bool>(
        self,
        cursor: &Cursor,
        position: &PositionState,
    ) -> Self::State {
        self.0.hydrate::<FROM_SERVER>(cursor, position)
    }

    fn into_owned(self) -> Self::Owned {
        Once(self.0.into_owned())
    }
}

impl<T: AddAnyAttr> AddAnyAttr for Once<T> {
    type Output<SomeNewAttr: Attribute> = Once<T::Output<SomeNewAttr>>;

    fn add_any_attr<NewAttr: Attribute>(self, attr: NewAttr) -> Self::Output<NewAttr>
    where
        Self::Output<NewAttr>: RenderHtml,
    {
        Once(self.0.add_any_attr(attr))
    }
}

//! `Patch`: what an update does to one optional setting — leave it, set it, or clear it —
//! instead of an `Option<Option<_>>` whose two `None`s read alike.

/// What an update does to one optional value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Patch<T> {
    /// Leave the value as it is.
    #[default]
    Keep,
    /// Give it this value.
    Set(T),
    /// Remove the value.
    Clear,
}

impl<T> Patch<T> {
    /// The patch with its new value converted (`Keep` and `Clear` stay what they are).
    ///
    /// # Errors
    /// The conversion's error.
    pub fn try_map<U, E>(self, convert: impl FnOnce(T) -> Result<U, E>) -> Result<Patch<U>, E> {
        Ok(match self {
            Patch::Keep => Patch::Keep,
            Patch::Set(value) => Patch::Set(convert(value)?),
            Patch::Clear => Patch::Clear,
        })
    }

    /// The value after the patch, given the value before.
    pub fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Patch::Keep => current,
            Patch::Set(value) => Some(value),
            Patch::Clear => None,
        }
    }

    /// The new value a `Set` carries.
    pub fn as_set(&self) -> Option<&T> {
        match self {
            Patch::Set(value) => Some(value),
            Patch::Keep | Patch::Clear => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_set_and_clear_apply_as_their_names_say() {
        assert_eq!(Patch::Keep.apply(Some(1)), Some(1));
        assert_eq!(Patch::Set(2).apply(Some(1)), Some(2));
        assert_eq!(Patch::<i32>::Clear.apply(Some(1)), None);
        assert_eq!(Patch::Set(2).apply(None), Some(2));
        let parsed: Result<Patch<u8>, _> = Patch::Set(300_i64).try_map(u8::try_from);
        assert!(parsed.is_err());
        assert_eq!(Patch::<i64>::Clear.try_map(u8::try_from), Ok(Patch::Clear));
        assert_eq!(Patch::Set(7).as_set(), Some(&7));
    }
}

//! Node selectors, the way users name a starting point on the command line and in the
//! TUI (DESIGN §7): `path:/etc/passwd`, `pid:1234`, `name:wget`, `id:<base64>`.

use std::fmt;
use std::str::FromStr;

/// A way of naming vertices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    /// Path entities with this `cf:pathname`, and the objects they name.
    Path(String),
    /// Task versions with this `cf:pid`.
    Pid(u64),
    /// Vertices whose name, first argument or path base name is this.
    Name(String),
    /// The vertex with this CamFlow identifier (with or without `cf:`).
    Id(String),
}

/// Why a selector could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SelectorError {
    /// No `kind:` prefix, or an unknown one.
    #[error("selector '{0}' must start with path:, pid:, name: or id:")]
    UnknownKind(String),
    /// `pid:` followed by something that is not a number.
    #[error("selector '{0}': the pid must be a number")]
    BadPid(String),
    /// Nothing after the prefix.
    #[error("selector '{0}' is empty after its prefix")]
    Empty(String),
}

impl FromStr for Selector {
    type Err = SelectorError;

    fn from_str(s: &str) -> Result<Selector, SelectorError> {
        let (kind, rest) = s
            .split_once(':')
            .ok_or_else(|| SelectorError::UnknownKind(s.to_string()))?;
        if rest.is_empty() {
            return Err(SelectorError::Empty(s.to_string()));
        }
        match kind {
            "path" => Ok(Selector::Path(rest.to_string())),
            "name" => Ok(Selector::Name(rest.to_string())),
            "id" => Ok(Selector::Id(rest.to_string())),
            "pid" => rest
                .parse()
                .map(Selector::Pid)
                .map_err(|_| SelectorError::BadPid(s.to_string())),
            _ => Err(SelectorError::UnknownKind(s.to_string())),
        }
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Path(p) => write!(f, "path:{p}"),
            Selector::Pid(p) => write!(f, "pid:{p}"),
            Selector::Name(n) => write!(f, "name:{n}"),
            Selector::Id(i) => write!(f, "id:{i}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_kind_and_keeps_colons_in_ids() {
        assert_eq!(
            "path:/etc/passwd".parse(),
            Ok(Selector::Path("/etc/passwd".into()))
        );
        assert_eq!("pid:42".parse(), Ok(Selector::Pid(42)));
        assert_eq!("id:cf:AAAA".parse(), Ok(Selector::Id("cf:AAAA".into())));
        assert!(matches!(
            "pid:x".parse::<Selector>(),
            Err(SelectorError::BadPid(_))
        ));
        assert!(matches!(
            "file:/x".parse::<Selector>(),
            Err(SelectorError::UnknownKind(_))
        ));
        assert!(matches!(
            "name:".parse::<Selector>(),
            Err(SelectorError::Empty(_))
        ));
    }
}

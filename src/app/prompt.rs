//! A one-line prompt on the hints line: what it asks for and what has been typed. Keys
//! reach it in `Mode::Prompt`; Enter hands the text to whoever asked.

/// What a prompt is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptKind {
    /// Where to move the time cursor.
    Jump,
    /// The target of a path query from the marked element.
    PathTarget,
    /// A filter to add to the capture policy.
    Filter,
}

impl PromptKind {
    /// The question, shown before the text.
    pub fn question(self) -> &'static str {
        match self {
            PromptKind::Jump => "jump to (event number, 50%, 08:00:25 or a cf:date): ",
            PromptKind::PathTarget => {
                "path to (Enter: the selection; or path:, pid:, name:, id:): "
            }
            PromptKind::Filter => {
                "add filter (file opaque=/p, process track=PID, relation_filter=T): "
            }
        }
    }
}

/// An open prompt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prompt {
    /// What it asks for.
    pub kind: PromptKind,
    /// What was typed.
    pub text: String,
}

//! Which source ranks a list, and its one wire name: what the API accepts,
//! returns and documents, and what `cinerank eval` reports.

/// Which source ranks the list. Its wire name ([`Strategy::name`]) is
/// what the API accepts, returns and documents.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Blend by how much is known about the user (default).
    #[default]
    Hybrid,
    /// EASE (+ item-kNN), falling back to genre then popularity.
    Collaborative,
    /// Content-based on genres, falling back to popularity.
    Genre,
    /// Damped-mean chart.
    Popular,
}

impl Strategy {
    /// Every strategy, the default first.
    pub const ALL: [Strategy; 4] = [
        Strategy::Hybrid,
        Strategy::Collaborative,
        Strategy::Genre,
        Strategy::Popular,
    ];

    /// The wire name: `hybrid`, `collaborative`, `genre` or `popular`.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Hybrid => "hybrid",
            Strategy::Collaborative => "collaborative",
            Strategy::Genre => "genre",
            Strategy::Popular => "popular",
        }
    }

    /// Every wire name, comma-separated (for messages).
    pub fn names_joined() -> String {
        Strategy::ALL.map(Strategy::name).join(", ")
    }
}

/// A name that is not a [`Strategy`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown strategy `{0}`")]
pub struct UnknownStrategy(pub String);

impl std::str::FromStr for Strategy {
    type Err = UnknownStrategy;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Strategy::ALL
            .into_iter()
            .find(|s| s.name() == raw)
            .ok_or_else(|| UnknownStrategy(raw.to_owned()))
    }
}

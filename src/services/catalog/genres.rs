//! The genre vocabulary: loaded once, since genres are created by
//! migrations and never change while the service runs.

use std::collections::HashMap;

use entity::genre;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryOrder};

/// The genre vocabulary, loaded once: genres are created by migrations and
/// never change while the service runs.
#[derive(Debug, Default)]
pub struct GenreCatalog {
    names: Vec<(i32, String)>,
    by_id: HashMap<i32, usize>,
    by_lower_name: HashMap<String, i32>,
}

impl GenreCatalog {
    /// Reads every genre.
    pub async fn load(db: &impl ConnectionTrait) -> Result<Self, DbErr> {
        let rows = genre::Entity::find()
            .order_by_asc(genre::Column::Id)
            .all(db)
            .await?;
        Ok(Self::from_pairs(rows.into_iter().map(|g| (g.id, g.name))))
    }

    /// Builds a catalogue from `(id, name)` pairs.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (i32, String)>) -> Self {
        let names: Vec<(i32, String)> = pairs.into_iter().collect();
        let by_id = names
            .iter()
            .enumerate()
            .map(|(i, (id, _))| (*id, i))
            .collect();
        let by_lower_name = names
            .iter()
            .map(|(id, name)| (name.to_lowercase(), *id))
            .collect();
        GenreCatalog {
            names,
            by_id,
            by_lower_name,
        }
    }

    /// The name of a genre id.
    pub fn name(&self, id: i32) -> Option<&str> {
        self.by_id.get(&id).map(|&i| self.names[i].1.as_str())
    }

    /// The id of a genre name, ignoring case and surrounding spaces.
    pub fn resolve(&self, name: &str) -> Option<i32> {
        self.by_lower_name.get(&name.trim().to_lowercase()).copied()
    }

    /// Every `(id, name)` in id order.
    pub fn all(&self) -> &[(i32, String)] {
        &self.names
    }

    /// Every name, for error messages.
    pub fn names_joined(&self) -> String {
        self.names
            .iter()
            .map(|(_, n)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

//! Credits: who acted in and directed each movie. People are rows of their
//! own (`people`), found by name when a seed or enrichment adds them, and
//! linked to movies in billing order (`movie_credits`). Writers only ever
//! add credits to movies that have none, so a re-import or a MovieLens
//! import never deletes or duplicates them.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use entity::{movie, movie_credit, person};
use migration::search_key;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::GenreCatalog;
use super::query::{Movie, links_of, with_genres};
use crate::dataset::{CreditRecord, CreditRole};

/// Rows per multi-row statement (well under every database's parameter limit).
const BATCH: usize = 500;

/// Most cast members the seed and TMDB enrichment store per movie: the
/// seed's builder keeps the first 10 of each film's cast
/// (`CAST_LIMIT` in `scripts/build_seed_catalog.py`), and TMDB lists
/// dozens, down to uncredited extras. Pages and the content similarity
/// only use the top-billed few.
pub const STORED_CAST: usize = 10;

/// One credit of a movie, with the person's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credit {
    /// The person.
    pub person_id: i32,
    /// Their name.
    pub name: String,
    /// Cast or director.
    pub role: CreditRole,
    /// Billing order within the role, from 1.
    pub position: i32,
    /// The part played, when known.
    pub character: Option<String>,
}

/// A person with the movies they are credited on.
#[derive(Clone, Debug)]
pub struct PersonFilmography {
    /// The `people` row.
    pub person: person::Model,
    /// Their movies with their roles on each, most recent first.
    pub movies: Vec<(Movie, Vec<CreditRole>)>,
}

/// Ids of the people with these names, adding the ones not yet known.
async fn people_named(
    db: &impl ConnectionTrait,
    names: &[&str],
) -> Result<HashMap<String, i32>, DbErr> {
    let mut ids = HashMap::new();
    for batch in names.chunks(BATCH) {
        let found = person::Entity::find()
            .filter(person::Column::Name.is_in(batch.iter().copied()))
            .order_by_asc(person::Column::Id)
            .all(db)
            .await?;
        for p in found {
            ids.entry(p.name).or_insert(p.id);
        }
    }
    let now = Utc::now();
    let missing: Vec<person::ActiveModel> = names
        .iter()
        .filter(|name| !ids.contains_key(**name))
        .map(|name| person::ActiveModel {
            name: Set((*name).to_owned()),
            search_key: Set(search_key(name)),
            tmdb_id: Set(None),
            created_at: Set(now),
            ..Default::default()
        })
        .collect();
    if missing.is_empty() {
        return Ok(ids);
    }
    for batch in missing.chunks(BATCH) {
        person::Entity::insert_many(batch.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    let added: Vec<&str> = names
        .iter()
        .copied()
        .filter(|name| !ids.contains_key(*name))
        .collect();
    for batch in added.chunks(BATCH) {
        for p in person::Entity::find()
            .filter(person::Column::Name.is_in(batch.iter().copied()))
            .all(db)
            .await?
        {
            ids.entry(p.name).or_insert(p.id);
        }
    }
    Ok(ids)
}

/// Which of these movies have at least one credit.
pub async fn movies_with_credits(
    db: &impl ConnectionTrait,
    movie_ids: &[i32],
) -> Result<HashSet<i32>, DbErr> {
    let mut credited = HashSet::new();
    for batch in movie_ids.chunks(BATCH) {
        let rows: Vec<i32> = movie_credit::Entity::find()
            .select_only()
            .column(movie_credit::Column::MovieId)
            .filter(movie_credit::Column::MovieId.is_in(batch.iter().copied()))
            .distinct()
            .into_tuple()
            .all(db)
            .await?;
        credited.extend(rows);
    }
    Ok(credited)
}

/// Adds `credits` (file movie ids mapped through `movie_ids`) to the movies
/// that have no credits yet; returns how many credits were written.
pub async fn add_credits(
    db: &impl ConnectionTrait,
    credits: &[CreditRecord],
    movie_ids: &HashMap<i32, i32>,
) -> Result<u64, DbErr> {
    let targets: HashSet<i32> = credits
        .iter()
        .filter_map(|c| movie_ids.get(&c.movie).copied())
        .collect();
    let targets: Vec<i32> = targets.into_iter().collect();
    let credited = movies_with_credits(db, &targets).await?;
    let wanted: Vec<(i32, &CreditRecord)> = credits
        .iter()
        .filter_map(|c| Some((*movie_ids.get(&c.movie)?, c)))
        .filter(|(movie_id, _)| !credited.contains(movie_id))
        .collect();
    let mut names: Vec<&str> = wanted.iter().map(|(_, c)| c.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let people = people_named(db, &names).await?;
    let rows: Vec<movie_credit::ActiveModel> = wanted
        .iter()
        .filter_map(|(movie_id, c)| {
            Some(movie_credit::ActiveModel {
                movie_id: Set(*movie_id),
                role: Set(c.role.name().to_owned()),
                position: Set(c.position),
                person_id: Set(*people.get(&c.name)?),
                character: Set(c.character.clone()),
            })
        })
        .collect();
    for batch in rows.chunks(BATCH) {
        movie_credit::Entity::insert_many(batch.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(rows.len() as u64)
}

/// Credits a new movie by name (an administrator's entry), in the order given.
pub async fn add_named_credits(
    db: &impl ConnectionTrait,
    movie_id: i32,
    directors: &[String],
    cast: &[String],
) -> Result<u64, DbErr> {
    let of_role = |role: CreditRole, names: &[String]| -> Vec<CreditRecord> {
        (names.iter().enumerate())
            .map(|(i, name)| CreditRecord {
                movie: movie_id,
                role,
                position: i32::try_from(i + 1).unwrap_or(i32::MAX),
                name: name.clone(),
                character: None,
            })
            .collect()
    };
    let mut records = of_role(CreditRole::Director, directors);
    records.extend(of_role(CreditRole::Cast, cast));
    if records.is_empty() {
        return Ok(0);
    }
    add_credits(db, &records, &HashMap::from([(movie_id, movie_id)])).await
}

/// The credits of each movie, directors then cast, in billing order.
pub async fn credits_of(
    db: &impl ConnectionTrait,
    movie_ids: &[i32],
) -> Result<HashMap<i32, Vec<Credit>>, DbErr> {
    let mut out: HashMap<i32, Vec<Credit>> = HashMap::new();
    let links =
        links_of::<movie_credit::Entity>(db, movie_credit::Column::MovieId, movie_ids).await?;
    if links.is_empty() {
        return Ok(out);
    }
    let person_ids: HashSet<i32> = links.iter().map(|l| l.person_id).collect();
    let names: HashMap<i32, String> = person::Entity::find()
        .filter(person::Column::Id.is_in(person_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    for link in links {
        let (Some(role), Some(name)) = (CreditRole::parse(&link.role), names.get(&link.person_id))
        else {
            continue;
        };
        out.entry(link.movie_id).or_default().push(Credit {
            person_id: link.person_id,
            name: name.clone(),
            role,
            position: link.position,
            character: link.character,
        });
    }
    for credits in out.values_mut() {
        credits.sort_by_key(|c| (std::cmp::Reverse(c.role), c.position));
    }
    Ok(out)
}

/// A person and their movies (most recent first, then by title).
pub async fn find_person(
    db: &impl ConnectionTrait,
    genres: &GenreCatalog,
    id: i32,
) -> Result<Option<PersonFilmography>, DbErr> {
    let Some(person) = person::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let mut roles: HashMap<i32, Vec<CreditRole>> = HashMap::new();
    for link in movie_credit::Entity::find()
        .filter(movie_credit::Column::PersonId.eq(id))
        .all(db)
        .await?
    {
        if let Some(role) = CreditRole::parse(&link.role) {
            let entry = roles.entry(link.movie_id).or_default();
            if !entry.contains(&role) {
                entry.push(role);
                entry.sort();
            }
        }
    }
    let rows = movie::Entity::find()
        .filter(movie::Column::Id.is_in(roles.keys().copied()))
        .order_by_desc(movie::Column::Year)
        .order_by_asc(movie::Column::TitleSearch)
        .all(db)
        .await?;
    let movies = with_genres(db, genres, rows)
        .await?
        .into_iter()
        .map(|movie| {
            let movie_roles = roles.remove(&movie.id()).unwrap_or_default();
            (movie, movie_roles)
        })
        .collect();
    Ok(Some(PersonFilmography { person, movies }))
}

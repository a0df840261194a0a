//! Unit tests of pacing, backoff, redaction and the state file.

use super::client::*;
use super::found::*;
use super::pacer::*;
use super::state_file::*;
use super::*;
use crate::dataset::CreditRole;
use crate::services::catalog::credits::STORED_CAST;
use tokio::time::Instant;

#[test]
fn retry_after_reads_seconds_and_http_dates() {
    let now = DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(parse_retry_after("1", now), Some(Duration::from_secs(1)));
    assert_eq!(
        parse_retry_after(" 10 ", now),
        Some(Duration::from_secs(10))
    );
    assert_eq!(
        parse_retry_after("0.5", now),
        Some(Duration::from_millis(500))
    );
    assert_eq!(
        parse_retry_after("Sun, 22 Nov 2026 12:00:30 GMT", now),
        Some(Duration::from_secs(30))
    );
    assert_eq!(
        parse_retry_after("Sun, 22 Nov 2026 11:00:00 GMT", now),
        Some(Duration::ZERO),
        "a date in the past means retry now"
    );
    for bad in ["", "soon", "-3", "NaN"] {
        assert_eq!(parse_retry_after(bad, now), None, "{bad}");
    }
}

#[test]
fn backoff_doubles_keeps_half_and_is_capped() {
    assert_eq!(backoff_delay(1, 0.0), Duration::from_millis(250));
    assert!(backoff_delay(1, 0.999_999) < Duration::from_millis(500));
    assert_eq!(backoff_delay(2, 0.0), Duration::from_millis(500));
    assert_eq!(backoff_delay(3, 0.0), Duration::from_secs(1));
    assert_eq!(backoff_delay(4, 0.5), Duration::from_secs(3));
    for attempt in [10, 20, 1000, u32::MAX] {
        let delay = backoff_delay(attempt, 1.0);
        assert!(delay <= BACKOFF_MAX, "{attempt}: {delay:?}");
        assert!(delay >= BACKOFF_MAX / 2, "{attempt}: {delay:?}");
    }
    assert_eq!(backoff_delay(0, 0.0), backoff_delay(1, 0.0));
    let j = jitter();
    assert!((0.0..1.0).contains(&j));
}

#[test]
fn the_api_key_is_redacted_from_urls_and_messages() {
    let url = "https://api.themoviedb.org/3/movie/862?api_key=s3cr3t&language=en-US";
    assert_eq!(
        redact_api_key_in_url(url),
        "https://api.themoviedb.org/3/movie/862?api_key=***&language=en-US"
    );
    assert_eq!(
        redact_api_key_in_url("http://h/movie/1?language=ko-KR&api_key=x#top"),
        "http://h/movie/1?language=ko-KR&api_key=***#top"
    );
    assert_eq!(
        redact_api_key_in_url("http://h/movie/1"),
        "http://h/movie/1"
    );
    assert_eq!(
        redact_secret("error sending request for url (…api_key=s3cr3t…)", "s3cr3t"),
        "error sending request for url (…api_key=***…)"
    );
    assert_eq!(redact_secret("nothing here", ""), "nothing here");
}

#[test]
fn the_pacer_spaces_slots_and_holds_off_after_a_429() {
    let pacer = Pacer::new(4);
    let now = Instant::now();
    let slots: Vec<_> = (0..3).map(|_| pacer.reserve(now)).collect();
    assert_eq!(slots[0], now);
    assert_eq!(slots[1] - slots[0], Duration::from_millis(250));
    assert_eq!(slots[2] - slots[1], Duration::from_millis(250));
    // A caller arriving after an idle spell does not get a burst of catch-up slots.
    let later = now + Duration::from_secs(10);
    assert_eq!(pacer.reserve(later), later);
    assert_eq!(pacer.reserve(later), later + Duration::from_millis(250));
    pacer.hold_off(Duration::from_secs(3600));
    assert!(pacer.reserve(later) >= Instant::now() + Duration::from_secs(3599));
}

#[test]
fn the_state_file_skips_comments_and_torn_lines() {
    let text = "# header\n862\ten-US\tnot_found\n13\tko-KR\tno_data\n\n99\ten-US\n12\n\
                14\ten-US\tno_data\tposter,cred\n15\ten-US\tno_data\t\n16\ten-US\tno_dat\n";
    let answered = parse_state(text);
    assert_eq!(answered.len(), 2, "{answered:?}");
    assert_eq!(answered[&(862, "en-US".to_owned())], Fields::ALL);
    // A line from before credits were asked about covers what was asked then.
    assert_eq!(answered[&(13, "ko-KR".to_owned())], Fields::LEGACY_NO_DATA);
}

#[test]
fn the_state_file_unites_lines_and_skips_what_it_already_says() {
    let poster = Fields::default().with(Field::Poster, true);
    let credits = Fields::default().with(Field::Credits, true);
    let text = "7\ten-US\tno_data\tposter\n7\ten-US\tno_data\tcredits,runtime\n";
    let answered = parse_state(text);
    assert_eq!(
        answered[&(7, "en-US".to_owned())],
        poster.union(credits).with(Field::Runtime, true)
    );
    assert_eq!(
        poster.union(credits).names(),
        "poster,credits",
        "names come in a fixed order"
    );
    assert_eq!(
        Fields::parse("credits, poster"),
        Some(poster.union(credits))
    );
    assert_eq!(Fields::parse(""), None);

    let path = std::env::temp_dir().join(format!(
        "cinerank-enrich-state-unit-{}.tsv",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    let mut state = StateFile::open(&path).unwrap();
    state
        .record(7, "en-US", Unanswered::NoData(credits))
        .unwrap();
    state
        .record(7, "en-US", Unanswered::NoData(credits))
        .unwrap();
    state
        .record(7, "en-US", Unanswered::NoData(poster))
        .unwrap();
    state.record(8, "en-US", Unanswered::NotFound).unwrap();
    state
        .record(8, "en-US", Unanswered::NoData(poster))
        .unwrap();
    assert_eq!(state.answered_without(7, "en-US"), poster.union(credits));
    assert_eq!(state.answered_without(7, "ko-KR"), Fields::default());
    let written = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).ok();
    assert_eq!(
        written,
        format!(
            "{STATE_FILE_HEADER}7\ten-US\tno_data\tcredits\n7\ten-US\tno_data\tposter\n8\ten-US\tnot_found\n"
        ),
        "a line that adds nothing is not written"
    );
    assert_eq!(
        StateFile::open(&path)
            .map(|s| s.answered_without(7, "en-US"))
            .ok(),
        Some(Fields::default())
    );
}

fn cast(name: &str, character: &str, order: i64) -> TmdbCastMember {
    TmdbCastMember {
        name: Some(name.to_owned()),
        character: Some(character.to_owned()),
        order: Some(order),
    }
}

fn crew(name: &str, job: &str) -> TmdbCrewMember {
    TmdbCrewMember {
        name: Some(name.to_owned()),
        job: Some(job.to_owned()),
    }
}

#[test]
fn found_data_ignores_empty_values_and_builds_poster_urls() {
    let details = TmdbMovieDetails {
        overview: Some("  A cowboy doll.  ".to_owned()),
        poster_path: Some("/abc.jpg".to_owned()),
        runtime: Some(81),
        credits: None,
    };
    assert_eq!(
        FoundData::from_details(&details, "https://image.tmdb.org/t/p/w500"),
        FoundData {
            poster_url: Some("https://image.tmdb.org/t/p/w500/abc.jpg".to_owned()),
            overview: Some("A cowboy doll.".to_owned()),
            runtime_minutes: Some(81),
            credits: Vec::new(),
        }
    );
    let empty = TmdbMovieDetails {
        overview: Some(String::new()),
        poster_path: None,
        runtime: Some(0),
        credits: Some(TmdbCredits::default()),
    };
    let found = FoundData::from_details(&empty, "https://i");
    assert_eq!(found, FoundData::default());
    assert!(found.provides().is_empty());
    for runtime in [-5, i64::from(i32::MAX) + 1] {
        let odd = TmdbMovieDetails {
            runtime: Some(runtime),
            ..TmdbMovieDetails::default()
        };
        assert_eq!(FoundData::from_details(&odd, "").runtime_minutes, None);
    }
}

#[test]
fn credits_keep_directors_and_the_top_billed_cast_in_tmdb_order() {
    let mut cast_list: Vec<TmdbCastMember> = (0..14)
        .rev()
        .map(|i| cast(&format!("Actor {i}"), &format!("Part {i}"), i))
        .collect();
    // Listed twice (two parts), with messy spacing: credited once, at the
    // better billed of the two (order 2, after Actor 2 by list position).
    cast_list.push(cast(" Actor   3 ", "Another part", 2));
    cast_list.push(cast("", "Nobody", -1));
    cast_list.push(cast("Bad\u{7}Name", "Bell", -2));
    cast_list.push(TmdbCastMember {
        name: Some("No Order".to_owned()),
        character: None,
        order: None,
    });
    let details = TmdbMovieDetails {
        credits: Some(TmdbCredits {
            cast: cast_list,
            crew: vec![
                crew("Peter Producer", "Producer"),
                crew("Lana Wachowski", "Director"),
                crew("Dee Pee", "Director of Photography"),
                crew("Lilly Wachowski", "Director"),
                crew("Lana Wachowski", "Director"),
                crew("Ann Assistant", "Assistant Director"),
            ],
        }),
        ..TmdbMovieDetails::default()
    };
    let found = FoundData::from_details(&details, "");
    let of_role = |role: CreditRole| -> Vec<(i32, String, Option<String>)> {
        (found.credits.iter())
            .filter(|c| c.role == role)
            .map(|c| (c.position, c.name.clone(), c.character.clone()))
            .collect()
    };
    assert_eq!(
        of_role(CreditRole::Director),
        [
            (1, "Lana Wachowski".to_owned(), None),
            (2, "Lilly Wachowski".to_owned(), None)
        ]
    );
    let cast = of_role(CreditRole::Cast);
    assert_eq!(cast.len(), STORED_CAST);
    for (i, (position, name, character)) in cast.iter().enumerate() {
        assert_eq!(*position, i as i32 + 1);
        assert_eq!(name, &format!("Actor {i}"));
        let part = if i == 3 {
            "Another part".to_owned()
        } else {
            format!("Part {i}")
        };
        assert_eq!(character.as_deref(), Some(part.as_str()));
    }
    assert!(found.provides().contains(Field::Credits));
    assert!(!found.provides().contains(Field::Runtime));
}

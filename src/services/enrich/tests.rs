//! Unit tests of pacing, backoff, redaction and the state file.

use super::client::*;
use super::pacer::*;
use super::state_file::*;
use super::*;
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
    let text = "# header\n862\ten-US\tnot_found\n13\tko-KR\tno_data\n\n99\ten-US\n12";
    let answered = parse_state(text);
    assert_eq!(answered.len(), 2);
    assert!(answered.contains(&(862, "en-US".to_owned())));
    assert!(answered.contains(&(13, "ko-KR".to_owned())));
}

#[test]
fn found_data_ignores_empty_values_and_builds_poster_urls() {
    let details = TmdbMovieDetails {
        overview: Some("  A cowboy doll.  ".to_owned()),
        poster_path: Some("/abc.jpg".to_owned()),
    };
    assert_eq!(
        FoundData::from_details(&details, "https://image.tmdb.org/t/p/w500"),
        FoundData {
            poster_url: Some("https://image.tmdb.org/t/p/w500/abc.jpg".to_owned()),
            overview: Some("A cowboy doll.".to_owned()),
        }
    );
    let empty = TmdbMovieDetails {
        overview: Some(String::new()),
        poster_path: None,
    };
    assert_eq!(
        FoundData::from_details(&empty, "https://i"),
        FoundData {
            poster_url: None,
            overview: None
        }
    );
}

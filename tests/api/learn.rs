//! The learner's material stays true to the code: the guide in `docs/learn/`
//! names only files and tests that exist and has a section for every week of
//! both roadmaps; the request collection in `http/` covers every operation of
//! the OpenAPI document and, run in order against a fresh server, gets the
//! status each request expects; the Grafana dashboard in `monitoring/` queries
//! only metrics that `/metrics` exposes.

use std::collections::{BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{TestApp, fixture_dir, spawn_app, spawn_app_with};

/// The repository root (the workspace's root crate).
fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The files in `dir` whose name ends with `suffix`, sorted by name (the
/// collection's files are numbered in the order a student tries them).
fn files_in(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.to_string_lossy().ends_with(suffix))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no *{suffix} in {}", dir.display());
    files
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

// ---------------------------------------------------------------------------
// The guide
// ---------------------------------------------------------------------------

/// Top-level folders and files of the repository a guide may name.
const REPO_PREFIXES: &[&str] = &[
    "src/",
    "tests/",
    "migration/",
    "entity/",
    "web/",
    "http/",
    "monitoring/",
    "docs/",
    "scripts/",
    "seed_data/",
    "benches/",
    ".ci/",
];
const REPO_FILES: &[&str] = &[
    "README.md",
    "README.ko.md",
    "Cargo.toml",
    "Cargo.lock",
    "Dockerfile",
    "render.yaml",
    "clippy.toml",
];

/// Every word of `text` that looks like a repository path: it starts with a
/// top-level folder (`src/routes/movies.rs`) or is a top-level file. Words are
/// cut at whitespace, backticks, brackets and quotes, so paths in prose, in
/// code spans and in commands (`cat http/01-browse.http`) are all found.
fn repository_paths(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || "`()[]<>\"'|,".contains(c))
        .map(|word| word.trim_end_matches(['.', ':', ';', '!', '?']))
        .filter(|word| {
            REPO_PREFIXES.iter().any(|prefix| word.starts_with(prefix)) || REPO_FILES.contains(word)
        })
        // Globs and placeholders (`docs/learn/*.md`, `tests/api/{name}.rs`,
        // `migration/src/m…_runtime.rs` for a file the reader will write) name no one file.
        .filter(|word| !word.contains(['*', '{', '$', '…']))
        .map(str::to_owned)
        .collect()
}

/// The test names in `cargo test` commands of `text`: for
/// `cargo test --test api search::suggest_answers` the pair
/// (`tests/api/search.rs`, `suggest_answers`); for `cargo test --lib a::b::c`
/// (`src/`, `c`). Each must be a `fn` (or a test `mod`) in that file or folder.
fn named_tests(text: &str) -> Vec<(PathBuf, String)> {
    let mut found = Vec::new();
    for span in text.split('`').skip(1).step_by(2) {
        let Some(args) = span.trim().strip_prefix("cargo test") else {
            continue;
        };
        let words: Vec<&str> = args.split_whitespace().collect();
        let api = words.windows(2).any(|w| w == ["--test", "api"]);
        for word in words.iter().filter(|w| w.contains("::")) {
            let mut parts: Vec<&str> = word.split("::").collect();
            let name = parts.pop().unwrap_or_default().to_owned();
            let place = if api {
                repo().join("tests/api").join(format!("{}.rs", parts[0]))
            } else {
                repo().join("src")
            };
            found.push((place, name));
        }
    }
    found
}

/// Whether `dir_or_file` (a file, or every `.rs` file under a folder)
/// defines `fn name` or `mod name` (a filter may name a test module).
fn defines_test_or_module(dir_or_file: &Path, name: &str) -> bool {
    if dir_or_file.is_file() {
        let source = read(dir_or_file);
        return [
            format!("fn {name}("),
            format!("fn {name}<"),
            format!("mod {name}"),
        ]
        .iter()
        .any(|definition| source.contains(definition.as_str()));
    }
    std::fs::read_dir(dir_or_file)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .any(|path| {
                    (path.is_dir() || path.extension().is_some_and(|e| e == "rs"))
                        && defines_test_or_module(&path, name)
                })
        })
        .unwrap_or(false)
}

/// Markdown link targets (`[text](target)`) that are not web addresses or anchors.
fn local_links(text: &str) -> Vec<String> {
    text.split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .map(|target| target.split('#').next().unwrap_or_default().to_owned())
        .filter(|target| !target.is_empty() && !target.contains("://"))
        .collect()
}

/// `path` with `.` and `..` folded away, or None if `..` climbs above the start.
fn normalise(path: &Path) -> Option<PathBuf> {
    let mut parts: Vec<Component> = Vec::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if !matches!(parts.pop(), Some(Component::Normal(_))) {
                    return None;
                }
            }
            other => parts.push(other),
        }
    }
    Some(parts.iter().collect())
}

#[test]
fn the_learning_guide_names_only_files_and_tests_that_exist() {
    let guide = repo().join("docs/learn");
    let mut problems = Vec::new();
    let mut checked = 0;
    for doc in files_in(&guide, ".md") {
        let text = read(&doc);
        let doc_name = doc
            .strip_prefix(repo())
            .unwrap_or(&doc)
            .display()
            .to_string();
        for path in repository_paths(&text) {
            checked += 1;
            if !repo().join(&path).exists() {
                problems.push(format!("{doc_name} names {path}, which does not exist"));
            }
        }
        for (place, name) in named_tests(&text) {
            checked += 1;
            if !defines_test_or_module(&place, &name) {
                problems.push(format!(
                    "{doc_name} runs test {name}, not found in {}",
                    place.display()
                ));
            }
        }
        // The repository must stand on its own: links stay inside it.
        for link in local_links(&text) {
            let target = normalise(&Path::new("docs/learn").join(&link));
            match target {
                Some(target) if repo().join(&target).exists() => {}
                _ => problems.push(format!("{doc_name} links {link}, outside or missing")),
            }
        }
        for outside in ["../shared", "/work/", "shared/seeds"] {
            if text.contains(outside) {
                problems.push(format!(
                    "{doc_name} points outside the repository ({outside})"
                ));
            }
        }
    }
    assert!(
        checked > 100,
        "the guide names only {checked} files and tests"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn each_roadmap_week_has_its_section_in_the_guide() {
    let headings = |file: &str| -> Vec<String> {
        read(&repo().join("docs/learn").join(file))
            .lines()
            .filter(|line| line.starts_with("### "))
            .map(str::to_owned)
            .collect()
    };
    // The 3-month roadmap numbers its weeks 1–4 inside each month.
    let movie = headings("movie-3months.ko.md");
    for month in 1..=3 {
        for week in 1..=4 {
            let name = format!("### {month}개월차 {week}주차");
            assert!(
                movie.iter().any(|h| h.starts_with(&name)),
                "movie-3months.ko.md has no section {name}"
            );
        }
    }
    // The 6-month roadmap numbers its weeks 1–24 straight through.
    let shop = headings("shop-6months.ko.md");
    for week in 1..=24 {
        let month = (week - 1) / 4 + 1;
        let name = format!("### {month}개월차 {week}주차");
        assert!(
            shop.iter().any(|h| h.starts_with(&name)),
            "shop-6months.ko.md has no section {name}"
        );
    }
}

// ---------------------------------------------------------------------------
// The request collection
// ---------------------------------------------------------------------------

/// One request of an `.http` file.
#[derive(Debug)]
struct HttpRequest {
    /// `file:line` of the request line, for messages.
    at: String,
    /// `# @name NAME`: later requests may use `{{NAME.response.body.$.field}}`.
    name: Option<String>,
    /// `# expect 201`: the status this request gets when the files run in order.
    expect: Option<u16>,
    method: String,
    /// As written, with `{{variables}}` unresolved.
    url: String,
    headers: Vec<(String, String)>,
    body: String,
}

/// One `.http` file: its `@name = value` variables and its requests.
#[derive(Debug)]
struct HttpFile {
    variables: HashMap<String, String>,
    requests: Vec<HttpRequest>,
}

/// Ends the request being read, if any: its body loses surrounding blank lines.
fn finish(current: &mut Option<HttpRequest>, requests: &mut Vec<HttpRequest>) {
    if let Some(mut request) = current.take() {
        request.body = request.body.trim().to_owned();
        requests.push(request);
    }
}

/// Parses the part of the REST Client / JetBrains format the collection uses:
/// requests separated by `###` lines; before a request line, comments
/// (`#`, `//`) and `@name = value` file variables; then headers up to a blank
/// line, then the body up to the next `###`.
fn parse_http(path: &Path) -> HttpFile {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut file = HttpFile {
        variables: HashMap::new(),
        requests: Vec::new(),
    };
    let mut current: Option<HttpRequest> = None;
    let (mut name, mut expect) = (None, None);
    let mut in_body = false;
    for (index, line) in read(path).lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with("###") {
            finish(&mut current, &mut file.requests);
            (name, expect, in_body) = (None, None, false);
            continue;
        }
        match current.as_mut() {
            None => {
                if let Some(comment) = trimmed
                    .strip_prefix('#')
                    .or_else(|| trimmed.strip_prefix("//"))
                {
                    let comment = comment.trim();
                    if let Some(value) = comment.strip_prefix("@name ") {
                        name = Some(value.trim().to_owned());
                    } else if let Some(value) = comment.strip_prefix("expect ") {
                        let status = value.trim().parse().unwrap_or_else(|_| {
                            panic!("{file_name}:{}: `# expect` needs a status", index + 1)
                        });
                        expect = Some(status);
                    }
                } else if let Some(definition) = trimmed.strip_prefix('@') {
                    let (key, value) = definition
                        .split_once('=')
                        .unwrap_or_else(|| panic!("{file_name}:{}: `@name = value`", index + 1));
                    // One meaning per name in a file, as a reader would assume.
                    let previous = file
                        .variables
                        .insert(key.trim().to_owned(), value.trim().to_owned());
                    assert!(
                        previous.is_none(),
                        "{file_name}:{}: @{} is defined twice",
                        index + 1,
                        key.trim()
                    );
                } else if !trimmed.is_empty() {
                    let mut words = trimmed.split_whitespace();
                    let method = words.next().unwrap_or_default().to_owned();
                    let url = words.next().unwrap_or_else(|| {
                        panic!("{file_name}:{}: expected `METHOD URL`", index + 1)
                    });
                    current = Some(HttpRequest {
                        at: format!("{file_name}:{}", index + 1),
                        name: name.take(),
                        expect: expect.take(),
                        method,
                        url: url.to_owned(),
                        headers: Vec::new(),
                        body: String::new(),
                    });
                }
            }
            Some(request) if !in_body => {
                if trimmed.is_empty() {
                    in_body = true;
                } else {
                    let (key, value) = trimmed
                        .split_once(':')
                        .unwrap_or_else(|| panic!("{file_name}:{}: `Header: value`", index + 1));
                    request
                        .headers
                        .push((key.trim().to_owned(), value.trim().to_owned()));
                }
            }
            Some(request) => {
                request.body.push_str(line);
                request.body.push('\n');
            }
        }
    }
    finish(&mut current, &mut file.requests);
    file
}

/// All `.http` files of the collection, in the order a student runs them.
fn collection() -> Vec<(String, HttpFile)> {
    files_in(&repo().join("http"), ".http")
        .into_iter()
        .map(|path| {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, parse_http(&path))
        })
        .collect()
}

/// Whether a collection URL path (`/api/v1/movies/{{movieId}}`) matches an
/// OpenAPI path template (`/api/v1/movies/{id}`): literal segments must be
/// equal, `{param}` takes any one segment.
fn path_matches(path: &str, template: &str) -> bool {
    let path: Vec<&str> = path.split('/').collect();
    let template: Vec<&str> = template.split('/').collect();
    path.len() == template.len()
        && path
            .iter()
            .zip(&template)
            .all(|(segment, pattern)| pattern.starts_with('{') || segment == pattern)
}

#[tokio::test]
async fn every_openapi_operation_has_a_request_in_the_collection() {
    let app = spawn_app().await;
    let (status, doc) = app.get_json("/api-docs/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let operations: Vec<(String, String)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("path item")
                .keys()
                .map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect();
    let mut covered = BTreeSet::new();
    for (_, file) in collection() {
        for request in &file.requests {
            // `{{baseUrl}}/api/v1/movies?per_page=5` → `/api/v1/movies`
            let path = request.url.trim_start_matches("{{baseUrl}}");
            let path = path.split('?').next().unwrap_or_default();
            let matching: Vec<&(String, String)> = operations
                .iter()
                .filter(|(method, template)| {
                    *method == request.method && path_matches(path, template)
                })
                .collect();
            // `/users/me/ratings` matches `/users/me/ratings` and
            // `/users/{id}/ratings`; it covers the more literal one.
            let fewest_params = matching
                .iter()
                .map(|(_, template)| template.matches('{').count())
                .min();
            covered.extend(
                matching
                    .into_iter()
                    .filter(|(_, template)| Some(template.matches('{').count()) == fewest_params)
                    .cloned(),
            );
        }
    }
    let missing: Vec<String> = operations
        .iter()
        .filter(|operation| !covered.contains(*operation))
        .map(|(method, path)| format!("{method} {path}"))
        .collect();
    assert!(
        missing.is_empty(),
        "operations without a request in http/*.http:\n{}",
        missing.join("\n")
    );
}

/// A response kept for the requests after it (`{{name.response.…}}`).
struct Recorded {
    headers: reqwest::header::HeaderMap,
    body: Value,
}

/// Resolves `{{variables}}` the way REST Client does for the subset the
/// collection uses: file variables (which may hold other variables) and
/// `{{name.response.body.$.a.b[0]}}` / `{{name.response.headers.H}}`.
struct Resolver<'a> {
    file: &'a HttpFile,
    overrides: &'a HashMap<String, String>,
    responses: &'a HashMap<String, Recorded>,
}

impl Resolver<'_> {
    fn resolve(&self, text: &str, at: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .unwrap_or_else(|| panic!("{at}: unclosed {{{{"));
            out.push_str(&self.value(after[..end].trim(), at));
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        out
    }

    fn value(&self, name: &str, at: &str) -> String {
        if let Some(value) = self.overrides.get(name) {
            return value.clone();
        }
        if let Some((request, reference)) = name.split_once(".response.") {
            let recorded = self
                .responses
                .get(request)
                .unwrap_or_else(|| panic!("{at}: no earlier request named {request}"));
            if let Some(path) = reference.strip_prefix("body.") {
                let value = json_path(&recorded.body, path)
                    .unwrap_or_else(|| panic!("{at}: {name} not in {}", recorded.body));
                return match value {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
            }
            if let Some(header) = reference.strip_prefix("headers.") {
                return recorded
                    .headers
                    .get(header)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_else(|| panic!("{at}: no header {header}"))
                    .to_owned();
            }
        }
        let raw = self
            .file
            .variables
            .get(name)
            .unwrap_or_else(|| panic!("{at}: unknown variable {name}"));
        self.resolve(raw, at)
    }
}

/// The value at a JSONPath of the form `$.items[0].id`.
fn json_path<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let mut current = value;
    for part in path.strip_prefix('$')?.split('.').filter(|p| !p.is_empty()) {
        let (key, indexes) = part.split_at(part.find('[').unwrap_or(part.len()));
        if !key.is_empty() {
            current = current.get(key)?;
        }
        for index in indexes.split('[').filter(|i| !i.is_empty()) {
            current = current.get(index.trim_end_matches(']').parse::<usize>().ok()?)?;
        }
    }
    Some(current)
}

/// The fixture catalogue sells nothing; `cargo run` seeds `seed_data/`, where
/// most movies have a price. Put every fixture movie on sale (digital, no
/// stock limit) so the cart and order files run as they do for a student.
async fn put_fixture_on_sale(app: &TestApp) {
    use sea_orm::EntityTrait;
    use sea_orm::sea_query::Expr;
    entity::movie::Entity::update_many()
        .col_expr(entity::movie::Column::Price, Expr::value(5500_i64))
        .exec(&app.db)
        .await
        .expect("put the fixture movies on sale");
}

/// Runs the whole collection, file by file and request by request, against
/// `app`; panics at the first request whose status is not its `# expect`.
async fn run_collection(app: &TestApp) -> usize {
    let mut sent = 0;
    for (file_name, file) in collection() {
        // A file that logs in as an administrator needs one, made the way the
        // file's comment tells a student to (`cinerank create-admin`).
        if let (Some(login), Some(password)) = (
            file.variables.get("adminLogin"),
            file.variables.get("adminPassword"),
        ) {
            cinerank::services::accounts::create_admin(
                &app.db,
                login,
                &format!("{login}@example.org"),
                password.clone(),
            )
            .await
            .unwrap_or_else(|e| panic!("{file_name}: create the administrator: {e}"));
        }
        let overrides = HashMap::from([("baseUrl".to_owned(), app.address.clone())]);
        let mut responses: HashMap<String, Recorded> = HashMap::new();
        for request in &file.requests {
            let at = &request.at;
            let expect = request
                .expect
                .unwrap_or_else(|| panic!("{at}: every request says `# expect STATUS`"));
            let resolver = Resolver {
                file: &file,
                overrides: &overrides,
                responses: &responses,
            };
            let url = resolver.resolve(&request.url, at);
            let method = Method::from_bytes(request.method.as_bytes())
                .unwrap_or_else(|_| panic!("{at}: method {}", request.method));
            let mut builder = app.client.request(method, &url);
            for (key, value) in &request.headers {
                builder = builder.header(key, resolver.resolve(value, at));
            }
            if !request.body.is_empty() {
                builder = builder.body(resolver.resolve(&request.body, at));
            }
            let response = builder.send().await.expect("request succeeds");
            let status = response.status();
            let headers = response.headers().clone();
            let text = response.text().await.unwrap_or_default();
            assert_eq!(
                status.as_u16(),
                expect,
                "{at}: {} {url} answered {status}: {text}",
                request.method
            );
            sent += 1;
            if let Some(name) = &request.name {
                let body = serde_json::from_str(&text).unwrap_or(Value::Null);
                responses.insert(name.clone(), Recorded { headers, body });
            }
        }
    }
    sent
}

#[tokio::test]
async fn the_request_collection_runs_in_order_with_the_statuses_it_expects() {
    // The admin file imports the csv fixture release, as a student does after
    // starting the server with IMPORT_DIR=tests/fixtures/movielens.
    let imports = repo()
        .join("tests/fixtures/movielens")
        .display()
        .to_string();
    let app = spawn_app_with(Some(fixture_dir()), &[("IMPORT_DIR", &imports)]).await;
    app.wait_until_ready().await;
    put_fixture_on_sale(&app).await;
    let sent = run_collection(&app).await;
    assert!(sent > 60, "only {sent} requests ran");
    // The admin file's last requests start an import; let it finish before
    // the test's database is dropped under it.
    let started = std::time::Instant::now();
    loop {
        let metrics = app.request(Method::GET, "/metrics").await.text().await;
        if metrics.is_ok_and(|text| text.contains("\ncinerank_import_running 0")) {
            break;
        }
        assert!(
            started.elapsed().as_secs() < 60,
            "the import did not finish"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

// ---------------------------------------------------------------------------
// The dashboard
// ---------------------------------------------------------------------------

/// The metric names of a Prometheus text exposition (histograms show as
/// their `_bucket`, `_sum` and `_count` series).
fn exposed_metrics(exposition: &str) -> BTreeSet<String> {
    exposition
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| line.split(['{', ' ']).next())
        .map(str::to_owned)
        .collect()
}

/// Every `expr` string anywhere in a Grafana dashboard.
fn expressions(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("expr", Value::String(expr)) => out.push(expr.clone()),
                    _ => expressions(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| expressions(item, out)),
        _ => {}
    }
}

/// The `cinerank_…` metric names a PromQL expression reads.
fn metrics_in(expr: &str) -> Vec<String> {
    expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| word.starts_with("cinerank_"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn the_dashboard_queries_only_metrics_that_the_app_exposes() {
    let app = spawn_app().await;
    app.wait_until_ready().await;
    // A few requests, so every request histogram has series.
    for path in [
        "/api/v1/movies",
        "/api/v1/movies/1",
        "/api/v1/genres",
        "/no-such-page",
    ] {
        app.request(Method::GET, path).await;
    }
    let exposition = app
        .request(Method::GET, "/metrics")
        .await
        .text()
        .await
        .expect("metrics text");
    let exposed = exposed_metrics(&exposition);
    let dashboards = files_in(&repo().join("monitoring/grafana/dashboards"), ".json");
    let mut queried = 0;
    let mut unknown = BTreeSet::new();
    for dashboard in dashboards {
        let json: Value = serde_json::from_str(&read(&dashboard)).expect("dashboard is JSON");
        let mut exprs = Vec::new();
        expressions(&json, &mut exprs);
        for metric in exprs.iter().flat_map(|expr| metrics_in(expr)) {
            queried += 1;
            if !exposed.contains(&metric) {
                unknown.insert(metric);
            }
        }
    }
    assert!(
        queried >= 10,
        "the dashboard queries only {queried} metrics"
    );
    assert!(
        unknown.is_empty(),
        "the dashboard queries metrics /metrics does not expose: {unknown:?}\nexposed: {exposed:?}"
    );
}

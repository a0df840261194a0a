//! The Render blueprint agrees with what the binary reads: every variable it
//! sets is one the configuration knows, and with the values it provides a
//! production start-up is accepted.

use std::collections::HashMap;

use cinerank::config::{AppEnv, Settings, known_variables};

/// `key` → what render.yaml gives it: a literal value, `generated`, or `database`.
fn blueprint_env() -> HashMap<String, String> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/render.yaml"))
        .expect("render.yaml");
    let mut env = HashMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(key) = line.strip_prefix("- key:") {
            current = Some(key.trim().to_owned());
        } else if let Some(key) = &current {
            let source = if let Some(value) = line.strip_prefix("value:") {
                value.trim().trim_matches('"').to_owned()
            } else if line == "generateValue: true" {
                "generated".to_owned()
            } else if line == "property: connectionString" {
                "database".to_owned()
            } else {
                continue;
            };
            env.insert(key.clone(), source);
            current = None;
        }
    }
    env
}

#[test]
fn every_variable_the_blueprint_sets_is_one_the_service_reads() {
    let env = blueprint_env();
    let known = known_variables();
    assert!(env.len() >= 8, "{env:?}");
    for key in env.keys() {
        assert!(
            known.contains(key),
            "render.yaml sets {key}, which cinerank never reads"
        );
    }
}

#[test]
fn the_blueprint_provides_what_production_requires() {
    let env = blueprint_env();
    assert_eq!(env["APP_ENV"], "production");
    assert_eq!(env["DATABASE_URL"], "database");
    assert_eq!(env["JWT_SECRET"], "generated");
    assert_eq!(env["HOST"], "0.0.0.0");
    // Render's values: a postgres:// connection string, a base64-encoded
    // 256-bit generated secret (44 characters), and PORT injected by Render.
    let mut vars: HashMap<String, String> = env
        .into_iter()
        .filter(|(_, v)| v != "database" && v != "generated")
        .collect();
    vars.insert(
        "DATABASE_URL".into(),
        "postgres://cinerank:pw@dpg-host/cinerank".into(),
    );
    vars.insert(
        "JWT_SECRET".into(),
        "q83vEjF+3U0rC9mHh2nV0xS8c2JwW5oZb1tYyGkLm4A=".into(),
    );
    vars.insert("PORT".into(), "10000".into());
    let settings =
        Settings::from_lookup(|name| vars.get(name).cloned()).expect("production settings");
    assert_eq!(settings.app_env, AppEnv::Production);
    assert_eq!(settings.port, 10000);
    assert!(settings.database_url.is_postgres());
    // Without the generated secret, production refuses to start.
    vars.remove("JWT_SECRET");
    let err = Settings::from_lookup(|name| vars.get(name).cloned()).unwrap_err();
    assert_eq!(err.var, "JWT_SECRET");
}

#[test]
fn the_health_check_path_is_the_readiness_probe() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/render.yaml")).unwrap();
    assert!(text.contains("healthCheckPath: /ready"));
    let dockerfile =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Dockerfile")).unwrap();
    assert!(
        dockerfile.contains("USER cinerank"),
        "the image runs as a non-root user"
    );
    assert!(dockerfile.contains("HEALTHCHECK"));
}

//! The Render blueprint agrees with what the binary reads: every variable it
//! sets is one the configuration knows, and with the values it provides a
//! production start-up is accepted.

use std::collections::HashMap;

use cinerank::config::{AppEnv, ModelTraining, Settings, known_variables};

/// One service of render.yaml: its `type`, `name`, its start command (if
/// any) and its variables, `key` → a literal value, `generated`,
/// `database`, or `service:NAME` (copied from another service).
#[derive(Debug, Default)]
struct Service {
    kind: String,
    name: String,
    command: Option<String>,
    env: HashMap<String, String>,
}

fn blueprint() -> Vec<Service> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/render.yaml"))
        .expect("render.yaml");
    let mut services: Vec<Service> = Vec::new();
    // The variable being read, and whether its value comes `fromService`.
    let mut current: Option<(String, bool)> = None;
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') {
            continue;
        }
        if line == "databases:" {
            break;
        }
        if let Some(kind) = line.strip_prefix("- type:") {
            services.push(Service {
                kind: kind.trim().to_owned(),
                ..Service::default()
            });
            current = None;
            continue;
        }
        let Some(service) = services.last_mut() else {
            continue;
        };
        if let Some(key) = line.strip_prefix("- key:") {
            current = Some((key.trim().to_owned(), false));
            continue;
        }
        let Some((key, from_service)) = &mut current else {
            if let Some(name) = line.strip_prefix("name:") {
                service.name = name.trim().to_owned();
            } else if let Some(command) = line.strip_prefix("dockerCommand:") {
                service.command = Some(command.trim().to_owned());
            }
            continue;
        };
        let source = if let Some(value) = line.strip_prefix("value:") {
            value.trim().trim_matches('"').to_owned()
        } else if line == "generateValue: true" {
            "generated".to_owned()
        } else if line == "property: connectionString" {
            "database".to_owned()
        } else if line == "fromService:" {
            *from_service = true;
            continue;
        } else if let (true, Some(name)) = (*from_service, line.strip_prefix("name:")) {
            format!("service:{}", name.trim())
        } else {
            continue;
        };
        service.env.insert(key.clone(), source);
    }
    services
}

fn service<'a>(services: &'a [Service], kind: &str) -> &'a Service {
    services
        .iter()
        .find(|s| s.kind == kind)
        .unwrap_or_else(|| panic!("render.yaml has no {kind} service: {services:?}"))
}

#[test]
fn every_variable_the_blueprint_sets_is_one_the_service_reads() {
    let services = blueprint();
    assert_eq!(services.len(), 2, "{services:?}");
    let known = known_variables();
    for service in &services {
        assert!(service.env.len() >= 5, "{service:?}");
        for key in service.env.keys() {
            assert!(
                known.contains(key),
                "render.yaml sets {key} for {}, which cinerank never reads",
                service.name
            );
        }
    }
}

/// The settings a service starts with on Render: the blueprint's values,
/// with what Render fills in (the database URL, the generated secret, the
/// port).
fn settings_on_render(service: &Service, web: &Service) -> HashMap<String, String> {
    let mut vars: HashMap<String, String> = service
        .env
        .iter()
        .filter(|(_, v)| *v != "database" && *v != "generated" && !v.starts_with("service:"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    vars.insert(
        "DATABASE_URL".into(),
        "postgres://cinerank:pw@dpg-host/cinerank".into(),
    );
    // A base64-encoded 256-bit generated secret (44 characters).
    let secret_source = &service.env["JWT_SECRET"];
    assert!(
        secret_source == "generated" || *secret_source == format!("service:{}", web.name),
        "JWT_SECRET is generated, or copied from the web service: {secret_source}"
    );
    vars.insert(
        "JWT_SECRET".into(),
        "q83vEjF+3U0rC9mHh2nV0xS8c2JwW5oZb1tYyGkLm4A=".into(),
    );
    vars.insert("PORT".into(), "10000".into());
    vars
}

#[test]
fn the_blueprint_provides_what_production_requires() {
    let services = blueprint();
    let web = service(&services, "web");
    assert_eq!(web.env["APP_ENV"], "production");
    assert_eq!(web.env["DATABASE_URL"], "database");
    assert_eq!(web.env["JWT_SECRET"], "generated");
    assert_eq!(web.env["HOST"], "0.0.0.0");
    let mut vars = settings_on_render(web, web);
    let settings =
        Settings::from_lookup(|name| vars.get(name).cloned()).expect("production settings");
    assert_eq!(settings.app_env, AppEnv::Production);
    assert_eq!(settings.port, 10000);
    assert!(settings.database_url.is_postgres());
    // Several instances: none trains, each loads the worker's model.
    assert_eq!(settings.model_training, ModelTraining::Off);
    // Without the generated secret, production refuses to start.
    vars.remove("JWT_SECRET");
    let err = Settings::from_lookup(|name| vars.get(name).cloned()).unwrap_err();
    assert_eq!(err.var, "JWT_SECRET");
}

#[test]
fn the_worker_runs_the_worker_command_on_the_same_database_and_secret() {
    let services = blueprint();
    let web = service(&services, "web");
    let worker = service(&services, "worker");
    assert_eq!(worker.command.as_deref(), Some("cinerank worker"));
    assert_eq!(worker.env["DATABASE_URL"], "database");
    assert_eq!(worker.env["JWT_SECRET"], format!("service:{}", web.name));
    let vars = settings_on_render(worker, web);
    let settings = Settings::from_lookup(|name| vars.get(name).cloned()).expect("worker settings");
    assert_eq!(settings.app_env, AppEnv::Production);
    // The worker trains whatever MODEL_TRAINING says; it must not be `off`
    // there by mistake (it would be ignored, but would mislead).
    assert!(!worker.env.contains_key("MODEL_TRAINING"));
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/render.yaml")).unwrap();
    assert!(text.contains("numInstances: 2"));
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

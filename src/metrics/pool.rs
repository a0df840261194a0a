//! Database connection pool metrics: connections open by state and the
//! configured size.

use sea_orm::{DatabaseBackend, DatabaseConnection};

use super::{Component, Exposition};

/// The pool as `/metrics` reports it.
pub struct PoolMetrics<'a> {
    /// The pool.
    pub db: &'a DatabaseConnection,
    /// Its configured size.
    pub max_connections: u32,
}

impl Component for PoolMetrics<'_> {
    fn render(&self, out: &mut Exposition) {
        let (size, idle) = match self.db.get_database_backend() {
            DatabaseBackend::Sqlite => {
                let pool = self.db.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle())
            }
            DatabaseBackend::Postgres => {
                let pool = self.db.get_postgres_connection_pool();
                (pool.size(), pool.num_idle())
            }
            _ => (0, 0),
        };
        out.header(
            "cinerank_db_pool_connections",
            "gauge",
            "Open database connections by state.",
        );
        out.sample(
            "cinerank_db_pool_connections",
            &[("state", "idle".into())],
            idle as f64,
        );
        out.sample(
            "cinerank_db_pool_connections",
            &[("state", "in_use".into())],
            size.saturating_sub(idle as u32) as f64,
        );
        out.single(
            "cinerank_db_pool_max_connections",
            "gauge",
            "Configured pool size.",
            f64::from(self.max_connections),
        );
    }
}

//! The model's metrics: readiness, version, age, training time and the
//! writes it has not seen.

use super::Recommender;
use crate::metrics::{Component, Exposition};

/// The serving model's readiness, version, age, training time and the
/// writes it has not seen.
impl Component for Recommender {
    fn render(&self, out: &mut Exposition) {
        let model = self.current();
        out.flag(
            "cinerank_model_ready",
            "1 when a recommendation model is loaded.",
            model.is_some(),
        );
        if let Some(model) = model {
            out.header(
                "cinerank_model_info",
                "gauge",
                "The serving model's version (value is always 1).",
            );
            out.sample(
                "cinerank_model_info",
                &[("version", model.version.clone())],
                1.0,
            );
            let age = (chrono::Utc::now() - model.trained_at).num_milliseconds() as f64 / 1000.0;
            out.single(
                "cinerank_model_age_seconds",
                "gauge",
                "Seconds since the serving model was trained.",
                age,
            );
            out.single(
                "cinerank_model_training_seconds",
                "gauge",
                "How long the serving model took to train, data loading included.",
                model.training_ms as f64 / 1000.0,
            );
            out.single(
                "cinerank_model_trained_ratings",
                "gauge",
                "Ratings the serving model learnt from.",
                model.ratings as f64,
            );
        }
        out.single(
            "cinerank_model_trainings_total",
            "counter",
            "Models trained by this process.",
            self.trainings() as f64,
        );
        out.single(
            "cinerank_model_loads_total",
            "counter",
            "Published models this process loaded instead of training.",
            self.loads() as f64,
        );
        out.single(
            "cinerank_model_writes_since_training",
            "gauge",
            "Rating and feedback writes not yet in the serving model.",
            self.writes_since_training() as f64,
        );
    }
}

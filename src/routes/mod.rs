//! HTTP handlers, grouped by domain. Each one extracts and validates its
//! input (path, query, a body from [`views`]), calls a service held in the
//! application state and maps the result to a view; a service's error
//! becomes an `ApiError` through [`errors`]. No SQL, no business rule and no
//! cache invalidation lives here: the services own their data and their
//! caches (`.ci/run` checks the last part). Middleware is in
//! `crate::middleware`.

pub mod admin;
pub mod auth;
pub mod errors;
pub mod extract;
pub mod health;
pub mod movies;
pub mod recommendations;
pub mod responses;
pub mod store;
pub mod users;
pub mod views;
pub mod web;

use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every documented route (paths are collected into OpenAPI).
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::health)
        .service(health::ready)
        .service(health::metrics)
        .service(
            scope::scope("/api/v1")
                .service(movies::list_movies)
                .service(movies::get_movie)
                .service(movies::create_movie)
                .service(movies::update_movie)
                .service(movies::delete_movie)
                .service(movies::put_rating)
                .service(movies::delete_rating)
                .service(movies::list_genres)
                .service(movies::suggest)
                .service(movies::get_person)
                .service(auth::register)
                .service(auth::login)
                .service(auth::sign_in)
                .service(auth::sign_up)
                .service(auth::sign_out)
                .service(auth::logout_all)
                .service(users::me)
                .service(users::update_me)
                .service(users::my_ratings)
                .service(users::my_watchlist)
                .service(users::add_to_watchlist)
                .service(users::remove_from_watchlist)
                .service(users::my_not_interested)
                .service(users::dismiss)
                .service(users::undismiss)
                .service(users::user_ratings)
                .service(users::user_watchlist)
                .service(recommendations::my_recommendations)
                .service(recommendations::user_recommendations)
                .service(recommendations::prediction)
                .service(recommendations::popular)
                .service(recommendations::similar)
                .service(recommendations::model_info)
                .service(recommendations::retrain)
                .service(admin::list_users)
                .service(admin::change_role)
                .service(admin::delete_user)
                .service(admin::start_import)
                .service(admin::list_imports)
                .service(admin::get_import)
                .service(admin::rating_distribution)
                .service(store::get_cart)
                .service(store::add_to_cart)
                .service(store::set_cart_item)
                .service(store::remove_cart_item)
                .service(store::clear_cart)
                .service(store::place_order)
                .service(store::my_orders)
                .service(store::get_order)
                .service(store::cancel_order)
                .service(store::all_orders),
        );
}

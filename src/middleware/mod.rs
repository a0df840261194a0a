//! Everything that wraps the handlers rather than being one: request
//! logging and metrics (`observe`), security headers, CORS and the docs'
//! policy (`security`), and the answers for requests no handler takes
//! (`fallback`, with the `route_table` it consults).

pub mod fallback;
pub mod observe;
pub mod route_table;
pub mod security;

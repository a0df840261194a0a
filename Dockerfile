# syntax=docker/dockerfile:1
# Build: docker build -t cinerank .
# Run:   docker run -p 8080:8080 -e HOST=0.0.0.0 cinerank

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# Dependencies first: this layer is rebuilt only when the manifests change.
COPY Cargo.toml Cargo.lock ./
COPY entity/Cargo.toml entity/Cargo.toml
COPY migration/Cargo.toml migration/Cargo.toml
RUN mkdir -p src benches entity/src migration/src \
 && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
 && echo 'fn main() {}' > benches/recommender.rs && echo 'fn main() {}' > benches/scale.rs \
 && touch entity/src/lib.rs migration/src/lib.rs && echo 'fn main() {}' > migration/src/main.rs \
 && cargo build --release --locked \
 && rm -rf src entity/src migration/src
COPY . .
# Make sure cargo sees the real sources as newer than the placeholders.
RUN touch src/lib.rs src/main.rs entity/src/lib.rs migration/src/lib.rs \
 && cargo build --release --locked --bin cinerank

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /app cinerank
WORKDIR /app
COPY --from=build /src/target/release/cinerank /usr/local/bin/cinerank
COPY seed_data ./seed_data
RUN mkdir -p /app/data && chown cinerank /app/data
USER cinerank
ENV HOST=0.0.0.0 PORT=8080 SEED_DIR=/app/seed_data
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["cinerank", "healthcheck"]
CMD ["cinerank", "serve"]

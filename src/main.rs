//! The `cinerank` binary: all behaviour lives in the library.

fn main() -> std::process::ExitCode {
    cinerank::cli::main()
}

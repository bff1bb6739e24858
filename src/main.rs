//! The `semzip` command: parses arguments, runs the library, prints one error line.

fn main() {
    std::process::exit(semzip::cli::main());
}

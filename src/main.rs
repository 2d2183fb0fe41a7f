use std::process::ExitCode;

fn main() -> ExitCode {
    genie_gitops::cli::main()
}

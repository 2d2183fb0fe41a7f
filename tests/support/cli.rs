//! Running the binary from tests: a readable account of a finished run, and a runtime of its
//! own for runs shared between tests.

use std::process::Output;

/// Exit code, stdout and stderr of a finished run, for assertion messages.
pub fn show(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs `body` on a runtime of its own (runs shared through a `LazyLock` outlive any one
/// test's runtime).
pub fn block_on<T>(body: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(body)
}

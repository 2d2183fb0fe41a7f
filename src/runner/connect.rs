//! The workspace of a target: host and profile from the project's target unless the
//! environment names a host (`DATABRICKS_HOST`, e.g. a `sim serve` URL), credentials through
//! the client's auth resolution (explicit > environment > `~/.databrickscfg` profile), and
//! one question limiter sized by the settings' `genie` limits.

use anyhow::Context;

use crate::databricks::Workspace;
use crate::databricks::auth::{self, AuthSettings, Environment};
use crate::databricks::http::RetryPolicy;
use crate::databricks::limiter::{LimiterConfig, QuestionLimiter};
use crate::model::project::{Project, ProjectTarget};

/// Connects to the workspace of `target`.
pub fn connect(
    project: &Project,
    target: &ProjectTarget,
    env: &dyn Environment,
) -> anyhow::Result<Workspace> {
    let host_from_env = env.var("DATABRICKS_HOST").is_some();
    let settings = AuthSettings {
        host: (!host_from_env).then(|| target.host.clone()).flatten(),
        profile: (!host_from_env).then(|| target.profile.clone()).flatten(),
        warehouse_id: target.warehouse_id.clone(),
        ..AuthSettings::default()
    };
    let config = auth::resolve(&settings, env).with_context(|| {
        format!(
            "cannot authenticate to the workspace of target `{}`",
            target.name
        )
    })?;
    tracing::debug!(host = %config.host, method = config.credentials.method(), "workspace");
    let limits = &project.settings.genie;
    let limiter = QuestionLimiter::new(LimiterConfig {
        questions_per_minute: f64::from(limits.questions_per_minute.max(1)),
        max_in_flight: limits.concurrency.max(1) as usize,
        ..LimiterConfig::default()
    });
    Ok(Workspace::connect(
        &config,
        RetryPolicy::default(),
        limiter,
    )?)
}

//! The temporary space: created from the repository's (patched) space file, used, and ALWAYS
//! trashed, on success, on error and on Ctrl-C. [`with_temporary_space`] runs the body under a
//! Ctrl-C watch and trashes afterwards; [`TemporarySpace`]'s `Drop` is the last resort (a
//! panic or a cancelled future): it names the space in the log and trashes it in the
//! background when a runtime is still there.

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;

use crate::databricks::genie::GenieClient;
use crate::databricks::types::CreateSpaceRequest;

/// A space this process created and must trash.
#[derive(Debug)]
pub struct TemporarySpace {
    genie: Arc<GenieClient>,
    space_id: String,
    trashed: bool,
}

impl TemporarySpace {
    /// Creates the space.
    pub async fn create(
        genie: Arc<GenieClient>,
        request: &CreateSpaceRequest,
    ) -> anyhow::Result<Self> {
        let space = genie
            .create_space(request)
            .await
            .context("creating the temporary space from the repository's space file")?;
        tracing::info!(space_id = %space.space_id, "created a temporary space");
        Ok(Self {
            genie,
            space_id: space.space_id,
            trashed: false,
        })
    }

    /// Its id.
    pub fn id(&self) -> &str {
        &self.space_id
    }

    /// Moves it to the trash.
    pub async fn trash(mut self) -> anyhow::Result<()> {
        self.trashed = true;
        self.genie
            .trash_space(&self.space_id)
            .await
            .with_context(|| {
                format!(
                    "trashing the temporary space {}: trash it by hand",
                    self.space_id
                )
            })?;
        tracing::info!(space_id = %self.space_id, "trashed the temporary space");
        Ok(())
    }
}

impl Drop for TemporarySpace {
    fn drop(&mut self) {
        if self.trashed {
            return;
        }
        tracing::error!(space_id = %self.space_id, "the temporary space was not trashed normally: trashing it in the background");
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let genie = Arc::clone(&self.genie);
            let id = self.space_id.clone();
            handle.spawn(async move {
                if let Err(e) = genie.trash_space(&id).await {
                    tracing::error!(space_id = %id, error = %e, "trash the temporary space by hand");
                }
            });
        }
    }
}

/// Creates a temporary space, runs `body` with its id, and trashes the space whatever
/// happened: success, error or Ctrl-C (which ends the body with an error).
pub async fn with_temporary_space<T, F, Fut>(
    genie: Arc<GenieClient>,
    request: &CreateSpaceRequest,
    body: F,
) -> anyhow::Result<T>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let space = TemporarySpace::create(genie, request).await?;
    let outcome = tokio::select! {
        outcome = body(space.id().to_string()) => outcome,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted (Ctrl-C)")),
    };
    let trashed = space.trash().await;
    match (outcome, trashed) {
        (Ok(value), Ok(())) => Ok(value),
        (Ok(_), Err(e)) => Err(e),
        (Err(e), Ok(())) => Err(e),
        (Err(e), Err(trash)) => {
            tracing::error!(error = %format!("{trash:#}"), "trashing the temporary space failed too");
            Err(e)
        }
    }
}

//! `--enable-helm` and its companions, with `kubectl kustomize`'s names,
//! shared by every command that compiles overlays.

use clap::Args;
use kcompile::compile::Options;
use kcompile::generate::helm::{command::HelmCommand, Helm};
use std::sync::Arc;

#[derive(Args, Debug, Clone, Default)]
pub struct HelmArgs {
    /// Inflate Helm charts (`helmCharts:`) by running `helm template`, as
    /// `kubectl kustomize --enable-helm` does. Charts run code: enable it
    /// for charts you trust.
    #[arg(long)]
    pub enable_helm: bool,
    /// The helm program (v3 or v4) to run.
    #[arg(long, value_name = "PATH", default_value = "helm")]
    pub helm_command: String,
    /// Kubernetes version for the charts' `.Capabilities.KubeVersion`
    /// (a chart's own `kubeVersion:` wins, as in kubectl).
    #[arg(long, value_name = "VERSION")]
    pub helm_kube_version: Option<String>,
    /// API versions for the charts' `.Capabilities.APIVersions` (repeatable,
    /// or comma-separated; a chart's own `apiVersions:` wins, as in kubectl).
    #[arg(long, value_name = "GROUP/VERSION", value_delimiter = ',')]
    pub helm_api_versions: Vec<String>,
    /// Run `helm template` with --debug.
    #[arg(long)]
    pub helm_debug: bool,
    /// Let a chart with `repo:` and no `version:` be pulled at the newest
    /// version (by default that is an error: pin the version).
    #[arg(long)]
    pub helm_pull_latest: bool,
}

impl HelmArgs {
    /// The helm of this run, when enabled.
    pub fn helm(&self) -> Option<Helm> {
        self.enable_helm.then(|| Helm {
            runner: Arc::new(HelmCommand::new(self.helm_command.clone())),
            kube_version: self.helm_kube_version.clone(),
            api_versions: self.helm_api_versions.clone(),
            debug: self.helm_debug,
            pull_latest: self.helm_pull_latest,
        })
    }

    /// Compile options with this helm and the default order.
    pub fn options(&self) -> Options {
        Options {
            helm: self.helm(),
            ..Options::default()
        }
    }
}

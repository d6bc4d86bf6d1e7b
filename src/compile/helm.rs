//! A kustomization's Helm charts (`helmCharts:` with `helmGlobals:`, then
//! the older `helmChartInflationGenerator:` list, as kustomize appends
//! it), inflated after the ConfigMap and Secret generators and absorbed
//! like any generator's output.

use super::state::{Acc, Ctx, Kust};
use crate::error::{Error, ErrorKind, Result};
use crate::generate::helm::{self, Chart, Globals};
use crate::model::provenance::{ConfiguredBy, Provenance};

pub(super) fn run(ctx: &mut Ctx, kust: &Kust, acc: &mut Acc) -> Result<()> {
    let k = &kust.k;
    let mut globals = Globals::from_value(k.helm_globals.as_ref());
    let mut charts: Vec<(&str, usize, Chart)> = Vec::new();
    for (i, v) in k.helm_charts.iter().enumerate() {
        charts.push(("helmCharts", i, Chart::from_value(v)));
    }
    let mut legacy_globals = Globals::default();
    for (i, v) in k.helm_chart_inflation_generator.iter().enumerate() {
        let (chart, g) = Chart::from_legacy(v).map_err(|m| {
            kust.at("helmChartInflationGenerator", Some(i))(Error::new(
                ErrorKind::Kustomization,
                format!("helmChartInflationGenerator: {m}"),
            ))
        })?;
        // Last non-empty wins, and only without `helmGlobals:`.
        if !g.chart_home.is_empty() {
            legacy_globals.chart_home = g.chart_home;
        }
        if !g.config_home.is_empty() {
            legacy_globals.config_home = g.config_home;
        }
        charts.push(("helmChartInflationGenerator", i, chart));
    }
    if k.helm_globals.is_none() && !k.helm_chart_inflation_generator.is_empty() {
        globals = legacy_globals;
    }
    for (field, i, chart) in charts {
        let prov = ctx.origin.then(|| {
            Provenance::configured(
                kust.origin_file(),
                ConfiguredBy::builtin("HelmChartInflationGenerator"),
            )
        });
        inflate_one(ctx, kust, acc, &globals, &chart, prov).map_err(kust.at(field, Some(i)))?;
    }
    Ok(())
}

/// Inflate one chart and absorb its objects.
pub(super) fn inflate_one(
    ctx: &mut Ctx,
    kust: &Kust,
    acc: &mut Acc,
    globals: &Globals,
    chart: &Chart,
    prov: Option<Provenance>,
) -> Result<()> {
    let out = helm::inflate(kust.site(ctx.loader), ctx.helm, globals, chart)?;
    if out.empty {
        ctx.warnings.push(format!(
            "warning: {}: {} rendered no objects",
            crate::error::shown(&kust.file),
            chart.describe()
        ));
    }
    for mut r in out.resources {
        if let Some(p) = &prov {
            p.annotate(&mut r.obj);
        }
        crate::generate::absorb::absorb(&mut acc.rm, r)
            .map_err(|e| e.hint("two charts (or a chart and a resource) make an object of the same kind and name; rename one with the chart's values or a nameSuffix in a separate kustomization"))?;
    }
    Ok(())
}

"""``loanwatch model``: train, validate, promote, list and monitor the behavioural PD models
(行为评分模型)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from loanwatch.batch.model_monitoring import monitor_model
from loanwatch.batch.model_registry import (
    RegistryError,
    export_model,
    import_model,
    model_entry,
    promote,
    registered,
    with_role,
)
from loanwatch.batch.model_training import TrainingError, train
from loanwatch.cli.common import (
    WorkspaceOpt,
    app,
    cells,
    errors,
    fail,
    open_workspace,
    out,
    progress_steps,
    workspace_policy,
)
from loanwatch.models.families import FAMILIES
from loanwatch.reports.model_validation import render_validation

model_app = typer.Typer(help="Behavioural PD models (行为评分模型): train, validate, promote, "
                             "list, monitor.", no_args_is_help=True)
app.add_typer(model_app, name="model")
LANGS = ("zh", "en")


def _lang(lang: str) -> str:
    if lang not in LANGS:
        raise fail(f"--lang must be one of {', '.join(LANGS)}")
    return lang


def _metrics_table(meta: dict) -> RichTable:
    t = RichTable(title=f"{meta['model_id']} ({meta['family']})")
    for c in ("sample", "rows", "bads", "AUC", "KS", "Gini"):
        t.add_column(c)
    for name, s in meta["samples"].items():
        if s:
            m = s["summary"]
            t.add_row(*cells(name, f"{m['n']:,}", f"{m['bads']:,}", f"{m['auc']:.3f}",
                             f"{m['ks']:.3f}", f"{m['gini']:.3f}"))
    return t


@model_app.command("train")
def train_cmd(
    workspace: WorkspaceOpt,
    family: Annotated[str, typer.Option("--family", help=f"Model family: {', '.join(FAMILIES)}.")
                      ] = "scorecard",
    oot_months: Annotated[int, typer.Option("--oot-months", help="Last observation months kept "
                                            "out of time.", min=0)] = 3,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the split and the model.")] = 0,
    make_champion: Annotated[bool, typer.Option("--promote", help="Make it the champion.")] = False,
    out_file: Annotated[Path | None, typer.Option("--out", help="Validation report (HTML).")
                        ] = None,
    lang: Annotated[str, typer.Option("--lang", help="zh or en.")] = "zh",
) -> None:
    """Train a model on the stored month-end history (no look-ahead), calibrate it, measure
    it on train, test and out-of-time samples and register it."""
    if family not in FAMILIES:
        raise fail(f"--family must be one of {', '.join(FAMILIES)}")
    _lang(lang)
    ws = open_workspace(workspace)
    pol = workspace_policy(ws)
    with errors(), ws.connect() as con, progress_steps("training") as step:
        step(f"training {family}", 0, 1)
        try:
            model_id, meta = train(con, family, policy_version=pol.version_id,
                                   now=dt.datetime.now(), oot_months=oot_months, seed=seed)
        except TrainingError as e:
            raise fail(str(e)) from None
        if make_champion:
            promote(con, model_id)
    report = out_file or Path(f"model-{model_id}.html")
    report.write_text(render_validation(meta, lang), encoding="utf-8")
    out.print(_metrics_table(meta))
    out.print(f"registered {model_id}{' as champion' if make_champion else ''}; "
              f"validation report → {report}", highlight=False)


@model_app.command("validate")
def validate_cmd(
    workspace: WorkspaceOpt,
    model_id: Annotated[str, typer.Argument(help="Model id (see `loanwatch model list`).")],
    out_file: Annotated[Path, typer.Option("--out", help="Validation report (HTML).")
                        ] = Path("model-validation.html"),
    lang: Annotated[str, typer.Option("--lang", help="zh or en.")] = "zh",
) -> None:
    """Write a model's validation report: AUC, KS, Gini, calibration, scores, bins, stability."""
    _lang(lang)
    ws = open_workspace(workspace)
    with errors(), ws.connect(read_only=True) as con:
        try:
            meta = model_entry(con, model_id).meta
        except RegistryError as e:
            raise fail(str(e)) from None
    out_file.write_text(render_validation(meta, lang), encoding="utf-8")
    out.print(_metrics_table(meta))
    out.print(f"validation report → {out_file}", highlight=False)


@model_app.command("promote")
def promote_cmd(
    workspace: WorkspaceOpt,
    model_id: Annotated[str, typer.Argument(help="Model id.")],
    challenger: Annotated[bool, typer.Option("--challenger", help="Make it the challenger "
                                             "(scored beside the champion).")] = False,
) -> None:
    """Make a model the champion (the nightly run scores with it) or the challenger."""
    ws = open_workspace(workspace)
    with errors(), ws.connect() as con:
        try:
            promote(con, model_id, "challenger" if challenger else "champion")
        except RegistryError as e:
            raise fail(str(e)) from None
    out.print(f"{model_id} is now the {'challenger' if challenger else 'champion'}",
              highlight=False)


@model_app.command("list")
def list_cmd(workspace: WorkspaceOpt) -> None:
    """The registered models, newest first."""
    ws = open_workspace(workspace)
    with errors(), ws.connect(read_only=True) as con:
        models = registered(con)
    t = RichTable(title="models 模型")
    for c in ("model", "family", "role", "created", "development", "OOT AUC", "policy"):
        t.add_column(c)
    for m in models:
        oot = m.meta.get("samples", {}).get("out_of_time") or {}
        auc = oot.get("summary", {}).get("auc")
        dev = m.meta.get("development", {})
        t.add_row(*cells(m.model_id, m.family, m.role, f"{m.created_at:%Y-%m-%d %H:%M}",
                         f"{dev.get('from', '')}…{dev.get('to', '')}",
                         "—" if auc is None else f"{auc:.3f}", m.policy_version))
    out.print(t)


@model_app.command("monitor")
def monitor_cmd(
    workspace: WorkspaceOpt,
    model_id: Annotated[str | None, typer.Option("--model", help="Model id (default: the "
                                                 "champion).")] = None,
) -> None:
    """Stability of a model on every stored month after its development (PSI of the score,
    the most shifted features' CSI) and its AUC/KS where outcomes have matured."""
    ws = open_workspace(workspace)
    with errors(), ws.connect(read_only=True) as con:
        try:
            chosen = model_entry(con, model_id) if model_id else with_role(con, "champion")
        except RegistryError as e:
            raise fail(str(e)) from None
        if chosen is None:
            raise fail("no champion: train one (`loanwatch model train --promote`) or name "
                       "one with --model")
        rows = monitor_model(con, chosen)
    t = RichTable(title=f"{chosen.model_id} monitoring 模型监控")
    for c in ("as of", "borrowers", "PSI", "level", "most shifted (CSI)", "AUC", "KS"):
        t.add_column(c)
    drift = []
    for r in rows:
        shifted = ", ".join(f"{f} {v:.3f}" for f, v in r["top_csi"])
        t.add_row(*cells(r["as_of"], f"{r['n']:,}", f"{r['psi']:.4f}", r["level"], shifted,
                         "—" if r["auc"] is None else f"{r['auc']:.3f}",
                         "—" if r["ks"] is None else f"{r['ks']:.3f}"))
        if r["drift"]:
            drift.append(str(r["as_of"]))
    out.print(t)
    if drift:
        out.print(f"[bold red]模型漂移 model drift[/]: PSI above the alert level on "
                  f"{', '.join(drift)}", highlight=False)


@model_app.command("export")
def export_cmd(
    workspace: WorkspaceOpt,
    model_id: Annotated[str, typer.Argument(help="Model id.")],
    out_file: Annotated[Path, typer.Option("--out", help="The package (.zip).")],
) -> None:
    """Write a registered model as one package, to register it in another workspace."""
    ws = open_workspace(workspace)
    with errors(), ws.connect(read_only=True) as con:
        try:
            package = export_model(con, model_id)
        except RegistryError as e:
            raise fail(str(e)) from None
    out_file.write_bytes(package)
    out.print(f"{model_id} → {out_file}", highlight=False)


@model_app.command("import")
def import_cmd(
    workspace: WorkspaceOpt,
    package: Annotated[Path, typer.Argument(help="A package written by `loanwatch model export`.")],
) -> None:
    """Register a model package as a candidate of this workspace."""
    if not package.is_file():
        raise fail(f"{package}: no such file")
    ws = open_workspace(workspace)
    with errors(), ws.connect() as con:
        try:
            model_id = import_model(con, package.read_bytes(), now=dt.datetime.now())
        except RegistryError as e:
            raise fail(str(e)) from None
    out.print(f"{package} registered as {model_id} (candidate)", highlight=False)

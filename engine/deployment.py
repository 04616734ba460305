"""Semantic checks of a deployment config (``chatflow.yaml``) and of conversation test files.

Part of ``chatflow validate`` (:mod:`~chatflow.engine.validate` calls these after the files
validated against their models): ids that must be unique, sites whose flow is missing, groups
that no merchant defines, channels on sites the merchant lacks, and tests that name flows, nodes
or groups that do not exist or hold values the runner cannot use (a time without offset, a regex
that does not compile).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from chatflow.engine.catalog import FlowIndex, FlowLookup, Loaded
from chatflow.engine.checks import GroupScope, choices, did_you_mean
from chatflow.engine.clock import FrozenClock
from chatflow.engine.config import DeploymentConfig, Merchant
from chatflow.engine.errors import DefinitionError, Problem
from chatflow.engine.language import locate_model, model_problems
from chatflow.engine.testfile import ConversationTest
from chatflow.engine.yamlsource import Document, PathTuple, load_path


def read_config(path: Path) -> DeploymentConfig:
    """Read a ``chatflow.yaml`` (``chatflow serve``, ``export-config --config``); a
    :class:`DefinitionError` reports every problem at its place."""
    doc = load_path(path)
    try:
        return DeploymentConfig.model_validate(doc.data or {})
    except ValidationError as exc:
        raise DefinitionError(
            f"{path} is not a valid deployment config",
            model_problems(doc, exc, locate_model(DeploymentConfig)),  # as `chatflow validate`
        ) from None


def flows_folder(loaded: Loaded[DeploymentConfig]) -> Path:
    """The config's ``flows`` folder, relative to the config file."""
    assert loaded.model is not None
    return loaded.path.parent / loaded.model.flows


def group_scope(loaded: Loaded[DeploymentConfig], flow_id: str | None) -> GroupScope:
    """The groups a flow may transfer to under this config: those of the merchants with a site
    running it, or of every merchant when no site runs it (yet)."""
    config = loaded.model
    assert config is not None
    running = [m for m in config.merchants if any(s.flow == flow_id for s in m.sites)]
    merchants = running or config.merchants
    groups = frozenset(g.id for m in merchants for g in m.groups)
    names = ", ".join(m.id for m in merchants) or "none"
    if running:
        where = f"{loaded.display}: merchant {names}"
    else:
        where = f"{loaded.display}: no site runs flow {flow_id!r}, so any merchant ({names})"
    return GroupScope(groups, where)


def _duplicates(
    doc: Document,
    items: Iterable[tuple[str, PathTuple]],
    what: str,
    scope: str,
) -> list[Problem]:
    """An error at every repeat of a value, naming the line of the first."""
    first: dict[str, PathTuple] = {}
    out: list[Problem] = []
    for value, path in items:
        if value in first:
            line = doc.position(first[value])[0]
            out.append(
                doc.problem(
                    f"duplicate {what} {value!r} (first at line {line}); {what}s must be unique "
                    f"{scope}. Rename or remove one.",
                    path,
                    code="duplicate",
                )
            )
        else:
            first[value] = path
    return out


def check_config(loaded: Loaded[DeploymentConfig], index: FlowIndex | None) -> list[Problem]:
    """Every semantic problem of a validated ``chatflow.yaml``; ``index`` holds its flows folder
    (None when the folder does not exist)."""
    config, doc = loaded.model, loaded.document
    assert config is not None and doc is not None
    merchants = list(enumerate(config.merchants))
    problems = _duplicates(
        doc,
        ((m.id, ("merchants", i, "id")) for i, m in merchants),
        "merchant id",
        "in a deployment",
    )
    problems += _duplicates(
        doc,
        (
            (s.key, ("merchants", i, "sites", j, "key"))
            for i, m in merchants
            for j, s in enumerate(m.sites)
        ),
        "site key",
        "across the deployment (the widget finds its site by key)",
    )
    problems += _duplicates(
        doc,
        (
            (a.account, ("merchants", i, "agents", k, "account"))
            for i, m in merchants
            for k, a in enumerate(m.agents)
        ),
        "agent account",
        "across the deployment (agents log in by account alone)",
    )
    problems += _duplicates(
        doc,
        (
            (c.key, ("merchants", i, "channels", j, "key"))
            for i, m in merchants
            for j, c in enumerate(m.channels)
        ),
        "channel key",
        "across the deployment (providers post to /api/v1/channels/{key}/inbound)",
    )
    if index is None:
        problems.append(
            doc.problem(
                f"the flows folder {config.flows!r} does not exist (resolved to "
                f"{flows_folder(loaded)}); 'flows' is a folder of *.flow.yaml relative to this "
                "file.",
                ("flows",),
                code="missing-folder",
            )
        )
    for i, merchant in merchants:
        problems += _check_merchant(doc, i, merchant, index)
    return problems


def _check_merchant(
    doc: Document, i: int, merchant: Merchant, index: FlowIndex | None
) -> list[Problem]:
    here: PathTuple = ("merchants", i)
    problems = _duplicates(
        doc,
        ((g.id, (*here, "groups", k, "id")) for k, g in enumerate(merchant.groups)),
        "group id",
        f"within merchant {merchant.id!r}",
    )
    groups = [g.id for g in merchant.groups]

    def unknown_group(group: str, path: PathTuple, *, key: bool = False) -> Problem:
        return doc.problem(
            f"group {group!r} is not defined in merchant {merchant.id!r}; defined groups: "
            f"{choices(groups)}.{did_you_mean(group, groups)} Add it under this merchant's "
            "'groups' or fix the name.",
            path,
            key=key,
            code="unknown-group",
        )

    for j, site in enumerate(merchant.sites):
        if index is not None and index.get(site.flow) is None:
            ids = index.ids()
            problems.append(
                doc.problem(
                    f"site {site.key!r} runs flow {site.flow!r}, which is not in the flows "
                    f"folder {index.folder}; flows there: {choices(ids)}."
                    f"{did_you_mean(site.flow, ids)} Fix the id or add the flow file.",
                    (*here, "sites", j, "flow"),
                    code="unknown-flow",
                )
            )
        for k, group in enumerate(site.groups):
            if group not in groups:
                problems.append(unknown_group(group, (*here, "sites", j, "groups", k)))
    sites = [site.key for site in merchant.sites]
    for j, channel in enumerate(merchant.channels):
        if channel.site not in sites:
            problems.append(
                doc.problem(
                    f"channel {channel.key!r} runs on site {channel.site!r}, which merchant "
                    f"{merchant.id!r} does not have; its sites: {choices(sites)}."
                    f"{did_you_mean(channel.site, sites)} Fix the key or add the site.",
                    (*here, "channels", j, "site"),
                    code="unknown-site",
                )
            )
    for k, agent in enumerate(merchant.agents):
        for group in agent.groups:
            if group not in groups:
                path = (*here, "agents", k, "groups", group)
                problems.append(unknown_group(group, path, key=True))
    return problems


def check_test(loaded: Loaded[ConversationTest], lookup: FlowLookup) -> list[Problem]:
    """Problems of a validated test file: its own values (:func:`check_test_values`), its flow,
    and the nodes and groups it expects."""
    test, doc = loaded.model, loaded.document
    assert test is not None and doc is not None
    problems = check_test_values(doc, test)
    if lookup.flow is None:
        return [
            doc.problem(
                f"flow {test.flow!r} not found; looked in: {', '.join(lookup.searched)}. "
                f"Known flow ids: {choices(lookup.known_ids)}."
                f"{did_you_mean(test.flow, lookup.known_ids)} Write a flow id or a path to a "
                "*.flow.yaml relative to this test.",
                ("flow",),
                code="unknown-flow",
            ),
            *problems,
        ]
    flow = lookup.flow.model
    if flow is None:
        return problems  # the flow file's own problems are reported on it
    nodes = list(flow.nodes)
    groups = sorted(flow.groups())
    variables = flow.known_variables()

    def variable_warnings(names: Iterable[str], path: PathTuple) -> None:
        for name in names:
            if name not in variables:
                problems.append(
                    doc.problem(
                        f"flow {flow.id!r} neither declares nor sets variable {name!r}; known "
                        f"variables: {choices(sorted(variables))}."
                        f"{did_you_mean(name, variables)}",
                        (*path, name),
                        severity="warning",
                        key=True,
                        code="undeclared-variable",
                    )
                )

    variable_warnings(test.vars, ("vars",))
    for k, group in enumerate(test.groups_online or []):
        if group not in groups:
            problems.append(
                doc.problem(
                    f"no transfer in flow {flow.id!r} uses group {group!r}; groups there: "
                    f"{choices(groups)}.{did_you_mean(group, groups)}",
                    ("groups_online", k),
                    severity="warning",
                    code="unknown-group",
                )
            )
    for i, step in enumerate(test.steps):
        expect = step.expect
        if expect is None:
            continue
        here: PathTuple = ("steps", i, "expect")
        if expect.node is not None and expect.node not in flow.nodes:
            problems.append(
                doc.problem(
                    f"flow {flow.id!r} has no node {expect.node!r}; its nodes: {choices(nodes)}."
                    f"{did_you_mean(expect.node, nodes)}",
                    (*here, "node"),
                    code="unknown-node",
                )
            )
        if expect.queued is not None and expect.queued.group not in groups:
            problems.append(
                doc.problem(
                    f"no transfer in flow {flow.id!r} queues for group {expect.queued.group!r}; "
                    f"groups its transfers use: {choices(groups)}."
                    f"{did_you_mean(expect.queued.group, groups)}",
                    (*here, "queued", "group"),
                    code="unknown-group",
                )
            )
        if expect.vars:
            variable_warnings(expect.vars, (*here, "vars"))
    return problems


def check_test_values(doc: Document, test: ConversationTest) -> list[Problem]:
    """Problems of a test's own values, whatever its flow: a start time with a UTC offset,
    regexes that compile, no step that does nothing. ``chatflow validate`` and ``chatflow test``
    both report them (the runner could not run such a test)."""
    problems = []
    try:
        FrozenClock(test.now)
    except ValueError as exc:
        problems.append(doc.problem(f"'now' is not a usable time: {exc}", ("now",), code="now"))
    for i, step in enumerate(test.steps):
        if step.bot_regex is not None:
            try:
                re.compile(step.bot_regex)
            except re.error as exc:
                problems.append(
                    doc.problem(
                        f"not a valid regular expression: {exc}",
                        ("steps", i, "bot_regex"),
                        code="regex",
                    )
                )
        for flag in ("agent_ends", "visitor_ends"):
            if getattr(step, flag) is False:
                problems.append(
                    doc.problem(
                        f"'{flag}: false' does nothing; write '{flag}: true' or drop the step",
                        ("steps", i, flag),
                        code="no-op-step",
                    )
                )
    return problems

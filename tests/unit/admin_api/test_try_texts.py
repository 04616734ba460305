"""A failed Try step speaks the client's language: every text engine/testing can put in a failed
step (what the step was to do, what came instead, the errors the engine logs while it plays)
has a zh-CN entry in admin_api/try_texts.py, and why a try's steps are refused one in
admin_api/problem_texts.py. English stays the engine's own message (``chatflow test``)."""

from __future__ import annotations

import ast
import asyncio
from datetime import datetime
from pathlib import Path
from string import Formatter
from typing import Any

import pytest
from check_scan import Module
from problem_scan import ROOT, Site, callee_name, missing_texts
from pydantic import TypeAdapter

from chatflow.admin_api import try_texts
from chatflow.admin_api.problem_language import CHINESE, ENGLISH, translate
from chatflow.admin_api.try_texts import failure_text, template_of, try_text
from chatflow.engine.errors import StepLimitError, TemplateError
from chatflow.engine.testfile import Step
from chatflow.engine.testing import CaseResult, ConversationRunner, Failed, Trial, play
from chatflow.engine.yamlsource import loads
from chatflow.nodes import LANGUAGE

TESTING = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "engine/testing").glob("*.py"))
EXPECTED = {"Mismatch": 0, "send": 1, "match": 0}
"""Calls whose argument (position) is what a step was to do."""
GOT = {"Mismatch": 1}
"""Calls whose argument (position) lists what came instead."""
RAISED = {"TimerLoop": 0}
"""Errors of engine/testing a step fails with (``the flow failed: <error>``)."""
LOGGING = ("engine/runtime.py",)
"""Where the errors come from that the stage captures while a step plays (its runtime)."""


Function = ast.FunctionDef | ast.AsyncFunctionDef


class FailureModule(Module):
    """A module of engine/testing read for the texts of a failed step."""

    def enclosing(self, node: ast.AST) -> Any:
        """The function (``async`` too: the conversation's steps are) the node is in."""
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, Function):
                return node
        return None

    def failure_sites(self) -> tuple[list[Site], list[Site]]:
        """(texts of a failed step, why a try's steps are refused)."""
        texts: list[Site] = []
        refusals: list[Site] = []
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.Call):
                continue
            name = callee_name(node.func)
            function = self.enclosing(node)
            for table, unwrap in ((EXPECTED, self._expected), (GOT, self._got), (RAISED, _one)):
                if name in table and len(node.args) > table[name]:
                    for expr in unwrap(node.args[table[name]], function):
                        if not _handed_on(expr, function):
                            texts.append(self._site(expr, function))
            if name == "Refusal":
                refusals.append(self._site(node.args[2], function))
        return texts, refusals

    def _expected(self, expr: ast.expr, function: Function | None) -> list[ast.expr]:
        # ``", ".join(wanted)``: each part a check lists
        if isinstance(expr, ast.Call) and callee_name(expr.func) == "join" and expr.args:
            return self._got(expr.args[0], function)
        return [expr]

    def _got(self, expr: ast.expr, function: Function | None) -> list[ast.expr]:
        if isinstance(expr, ast.List):
            return list(expr.elts)
        if isinstance(expr, ast.ListComp):
            return [expr.elt]
        if isinstance(expr, ast.Call) and callee_name(expr.func) in ("list", "fromkeys"):
            return self._got(expr.args[0], function) if expr.args else []
        if isinstance(expr, ast.BoolOp):  # ``outputs_lines(...) or [...]``: the transcript's
            return [e for value in expr.values if isinstance(value, ast.List) for e in value.elts]
        if isinstance(expr, ast.Name) and function is not None:
            found: list[ast.expr] = []
            for node in ast.walk(function):
                if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == expr.id for t in node.targets
                ):
                    found += self._got(node.value, function)
                elif (
                    isinstance(node, ast.Call)
                    and callee_name(node.func) == "append"
                    and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == expr.id
                ):
                    found += node.args
            return found
        return [expr]


def _one(expr: ast.expr, function: Function | None) -> list[ast.expr]:
    return [expr]


def _handed_on(expr: ast.expr, function: Function | None) -> bool:
    """A parameter passed on (``send``'s ``what``): the callers are the sites."""
    if not isinstance(expr, ast.Name) or function is None:
        return False
    args = function.args
    return expr.id in [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]


def failure_sites() -> tuple[list[Site], list[Site]]:
    texts: list[Site] = []
    refusals: list[Site] = []
    for path in TESTING:
        found, refused = FailureModule(path).failure_sites()
        texts += found
        refusals += refused
    return texts, refusals


def logged_sites() -> list[Site]:
    """The error records of the runtime as ``stage.record_text`` puts them: the event, then
    ``: <error>`` when the record carries one."""
    out = []
    for path in LOGGING:
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and callee_name(node.func) in ("error", "exception", "critical")
                and isinstance(node.func, ast.Attribute)
                and callee_name(node.func.value) in ("logger", "log")
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                continue
            event = str(node.args[0].value)
            extra = next((k.value for k in node.keywords if k.arg == "extra"), None)
            keys = extra.keys if isinstance(extra, ast.Dict) else []
            carries = any(isinstance(k, ast.Constant) and k.value == "error" for k in keys)
            sample = f"{event}: 7" if carries else event
            out.append(Site(f"{path}:{node.lineno}", event, (sample,)))
    return out


EXAMPLES: dict[str, list[str]] = {}
"""Per site (``path:expression``), the texts it reports, when the scan cannot read them."""


@pytest.fixture(scope="module", name="scanned")
def scanned_fixture() -> tuple[list[Site], list[Site]]:
    return failure_sites()


def _untranslated(text: str) -> bool:
    return try_text(text, CHINESE) == text


def test_every_text_of_a_failed_step_has_a_zh_cn_entry(
    scanned: tuple[list[Site], list[Site]],
) -> None:
    texts, _ = scanned
    assert len(texts) > 25  # the scan found the sites (a broken scan finds nothing)
    missing = missing_texts(texts, EXAMPLES, _untranslated)
    assert not missing, "texts without a zh-CN entry in try_texts.py:\n" + "\n".join(missing)


def test_every_error_the_runtime_logs_while_a_step_plays_has_a_zh_cn_entry() -> None:
    logged = logged_sites()
    assert len(logged) >= 5
    missing = missing_texts(logged, {}, _untranslated)
    assert not missing, "log records without a zh-CN entry in try_texts.py:\n" + "\n".join(missing)


def test_why_steps_are_refused_has_a_zh_cn_entry(scanned: tuple[list[Site], list[Site]]) -> None:
    _, refusals = scanned
    assert len(refusals) >= 3
    missing = missing_texts(refusals, {}, lambda text: translate(text, CHINESE) == text)
    assert not missing, "refusals without a zh-CN entry in problem_texts.py:\n" + "\n".join(missing)


def test_every_example_belongs_to_a_site(scanned: tuple[list[Site], list[Site]]) -> None:
    assert not set(EXAMPLES) - {site.key for site in scanned[0]}


def test_every_entry_words_its_own_text() -> None:
    """No entry is shadowed by another: a text made from a template is worded by it."""
    for english in {**try_texts.ZH_CN, **try_texts.WHERE}:
        sample = "".join(
            literal + ("" if field is None else "'v'" if conversion == "r" else "v")
            for literal, field, _, conversion in Formatter().parse(english)
        )
        assert template_of(sample) == english, sample
    assert not set(try_texts.TERMS) & set(try_texts.ZH_CN)


MONDAY = datetime.fromisoformat("2026-11-23T10:00:00+08:00")
RECEPTION = (ROOT / "flows" / "reception.flow.yaml").read_text(encoding="utf-8")
LOOP = "id: bad\nstart: a\nnodes:\n  a: {type: set, vars: {n: '1'}, next: a}\n"
"""A flow the check refuses (it loops without waiting), played here to fail on its start."""


def tried(text: str, *raw: dict[str, Any]) -> Trial:
    steps = TypeAdapter(list[Step]).validate_python(raw)
    flow = LANGUAGE.parse(loads(text))
    return asyncio.run(
        play(LANGUAGE, flow, text, steps, now=MONDAY, variables={}, groups_online=None)
    )


def failed_of(text: str, *raw: dict[str, Any]) -> Failed:
    failed = tried(text, *raw).failed
    assert failed is not None
    # English is the engine's message, made of the same parts
    assert failed.message == f"expected {failed.expected}; got {' / '.join(failed.got)}"
    assert failure_text(failed, ENGLISH) == failed.message
    return failed


@pytest.mark.parametrize(
    ("text", "raw", "chinese"),
    [
        (
            RECEPTION,
            [{"choice": "退货"}],
            '预期：有选项按钮 "退货"；实际：可选的选项：售前咨询 | 售后服务 | 人工客服',
        ),
        (
            RECEPTION,
            [{"agent": "hi"}],
            '预期：客服发送 "hi"；实际：会话没有接受：机器人正在服务，在节点 menu',
        ),
        (
            RECEPTION,
            [{"visitor_ends": True}, {"rate": 5}],
            "预期：访客评 5 分；实际：会话没有接受：已结束（访客离开），在节点 menu",
        ),
        (
            RECEPTION,
            [{"agent_joins": {"staff_no": "7", "nickname": "Mei"}}],
            "预期：客服 7 Mei 接入；实际：会话没有接受：机器人正在服务，在节点 menu",
        ),
        (
            LOOP,
            [{"user": "x"}],
            "预期：流程启动；实际：流程出错：一个 Start 事件连续经过了 100 个节点而没有等待输入："
            + " -> ".join("a" * 12)
            + " -> ...（经过的节点：a）（流程 'bad'，节点 'a'）",
        ),
    ],
)
def test_a_real_failure_is_worded_in_chinese(
    text: str, raw: list[dict[str, Any]], chinese: str
) -> None:
    assert failure_text(failed_of(text, *raw), CHINESE) == chinese


def test_a_flows_error_is_framed_in_chinese_around_the_library_s_own_words() -> None:
    jinja = TemplateError("template failed: 'order' is undefined", flow_id="f", node_id="n")
    assert try_text(f"the flow failed: {jinja}", CHINESE) == (
        "流程出错：模板执行失败：'order' is undefined（流程 'f'，节点 'n'）"
    )
    python = TemplateError("expression failed: ZeroDivisionError: division by zero", flow_id="f")
    assert try_text(f"the flow failed: engine.timer_failed: {python}", CHINESE) == (
        "流程出错：定时器处理失败：表达式执行失败：ZeroDivisionError: division by zero（流程 'f'）"
    )
    loop = StepLimitError(
        "one Timer event passed through 3 nodes without waiting for input: a -> b -> a "
        "(nodes visited: a, b)",
        flow_id="f",
        node_id="a",
    )
    assert try_text(f"the flow failed: {loop}", CHINESE) == (
        "流程出错：一个 Timer 事件连续经过了 3 个节点而没有等待输入：a -> b -> a"
        "（经过的节点：a, b）（流程 'f'，节点 'a'）"
    )
    unknown = "the flow failed: something new (flow 'f')"
    assert try_text(unknown, CHINESE) == "流程出错：something new（流程 'f'）"


def run_test(tmp_path: Path, steps: str) -> tuple[str, list[str]]:
    """What ``chatflow test`` found expected and got at the failed step of a reception test."""
    (tmp_path / "reception.flow.yaml").write_text(RECEPTION, encoding="utf-8")
    test = tmp_path / "reception.checks.test.yaml"
    test.write_text(
        f"flow: reception\nnow: '2026-11-23T10:00:00+08:00'\nsteps:\n{steps}", encoding="utf-8"
    )
    runner = ConversationRunner(LANGUAGE)
    prepared = runner.prepare(test)
    assert not isinstance(prepared, CaseResult), prepared.text()
    failure = asyncio.run(runner.run(prepared)).failure
    assert failure is not None
    return failure.expected, failure.got


def test_a_tests_own_checks_are_worded_too(tmp_path: Path) -> None:
    """``chatflow test``'s checks (a try refuses them) have words too: an expect step's part by
    part; the transcript's lines stay as they are. The runner's own text stays English."""
    expect = "  - expect: {node: goodbye, vars: {phone: '1', nope: 2}, ended: true}\n"
    expected, got = run_test(tmp_path, expect)
    assert expected == 'node goodbye, phone = "1", nope = 2, ended'
    assert try_text(expected, CHINESE) == '在节点 goodbye，变量 phone = "1"，变量 nope = 2，已结束'
    assert [try_text(line, CHINESE) for line in got] == [
        "在节点 menu",
        '变量 phone = ""',
        "变量 nope 未设置",
        "机器人正在服务，在节点 menu",
    ]
    expected, got = run_test(tmp_path, "  - bot: 您好\n  - bot_exact: x\n")
    assert try_text(expected, CHINESE) == '上一条匹配的输出之后有恰为 "x" 的输出'
    assert try_text(got[0], CHINESE) == got[0]  # a line of the transcript, as it is
    assert try_text(got[-1], CHINESE) == "（上一条匹配的输出：bot: 您好，欢迎咨询！）"
    expected, _ = run_test(tmp_path, "  - expect: {queued: {group: presales}}\n")
    assert try_text(expected, CHINESE) == "在分组 presales 排队"
    assert try_text(expected, ENGLISH) == expected

"""The words of a failed Try step in zh-CN: what the editor's Try panel shows when a step fails.

The engine's test runner writes English (``chatflow test`` prints it as it is, for CI logs): a
failed step is *what it expected* and *what came instead*, line by line
(:class:`~chatflow.engine.testing.trial.Failed`). :data:`ZH_CN` keys each zh-CN text on that
English as a template, the way :mod:`check_texts` does for the flow check, in a lenient
:class:`~chatflow.admin_api.problem_language.Catalogue`. A ``{x!t}`` value (the error a flow
failed with) gets the words of, in order: :data:`TERMS`; :data:`WHERE` (``<error> (flow 'f',
node 'n')``, taken off before the error is worded); the API's own catalogue
(:mod:`problem_texts`, as a problem's detail words a ``ChatflowError``: ``template failed:
...`` reads ``模板执行失败：<Jinja's own message>``); this table. A value nothing words (an id,
a visitor's text, Jinja's or Python's own message) is put back as it is. What an ``expect``
step checks (:data:`CHECKS`) is worded only when nothing else words the text.
tests/unit/admin_api/test_try_texts.py holds every text engine/testing can report translated.
"""

from __future__ import annotations

from chatflow.admin_api.problem_language import CHINESE, PROBLEMS, Catalogue
from chatflow.engine.testing.trial import Failed

TERMS: dict[str, str] = {
    # why a session ended (``ended (reason {reason})``), as the Try panel's own words
    "flow": "流程结束",
    "idle": "访客长时间未回复",
    "agent": "客服结束了服务",
    "visitor": "访客离开",
    "admin": "被管理员关闭",
}
"""Words a message puts in with ``{x!t}``."""

FRAME = "预期：{expected}；实际：{got}"
"""``expected {expected}; got {got}`` (engine/testing/trial.py) in zh-CN."""
GOT_JOIN = " / "
"""Between the lines of what came instead, as in the English message."""

ZH_CN: dict[str, str] = {
    # what a step was to do (engine/testing/stage.py, engine/testing/conversation.py)
    "the flow to start": "流程启动",
    "the step to run": "这一步正常运行",
    "the visitor to send {text}": "访客发送 {text}",
    "the visitor to choose {label}": "访客选择 {label}",
    "an option button {label}": "有选项按钮 {label}",
    "agent {staff_no} {nickname} to join": "客服 {staff_no} {nickname} 接入",
    "the agent to send {text}": "客服发送 {text}",
    "the agent to end the service": "客服结束服务",
    "the visitor to close the conversation": "访客关闭对话",
    "the visitor to rate {score}": "访客评 {score} 分",
    # a test's own checks of what the flow said (bot steps: chatflow test's; a try refuses them)
    "{expected} after the last matched one": "上一条匹配的输出之后{expected!t}",
    "an output containing {text}": "有包含 {text} 的输出",
    "an output that is exactly {text}": "有恰为 {text} 的输出",
    "an output matching /{pattern}/": "有匹配 /{pattern}/ 的输出",
    "no output since the last matched one": "上一条匹配的输出之后没有输出",
    "(the last matched output: {line})": "（上一条匹配的输出：{line}）",
    # what came instead
    "the session ignored it: {state}": "会话没有接受：{state!t}",
    "the bot is serving at node {node}": "机器人正在服务，在节点 {node}",
    "queued for group {group} at node {node}": "在分组 {group} 排队，在节点 {node}",
    "with agent {staff_no} {nickname} at node {node}": (
        "客服 {staff_no} {nickname} 正在服务，在节点 {node}"
    ),
    "ended (reason {reason}) at node {node}": "已结束（{reason!t}），在节点 {node}",
    "options on offer: {options}": "可选的选项：{options}",
    "no option buttons on offer": "没有可选的选项按钮",
    "the flow failed: {error}": "流程出错：{error!t}",
    "crashed: {kind}: {error}": "chatflow 内部出错（请报告这个问题）：{kind}: {error}",
    "timers fired {count} times within one wait": (
        "一次等待中定时器触发了 {count} 次，已停止（是否有定时器不断以 0 秒重新开始？）"
    ),
    # the errors the engine logs while a step plays (engine/runtime.py; stage.record_text)
    "engine.timer_failed: {error}": "定时器处理失败：{error!t}",
    "engine.http_result_failed: {error}": "处理 HTTP 结果失败：{error!t}",
    "engine.effect_failed: {error}": "执行动作失败：{error}",
    "engine.http_failed": "HTTP 调用出错",
    "engine.timer_loop_failed": "定时器循环出错",
    "engine.recover_failed": "恢复会话失败",
    "engine.listener_failed": "会话的监听方出错",
}
"""zh-CN texts keyed on the English of engine/testing (see the module's docstring)."""

CHECKS: dict[str, str] = {
    # what an expect step checks, listed with ", " (chatflow test's; a try refuses them)
    "node {node}": "在节点 {node}",
    "{name} = {value}": "变量 {name} = {value}",
    "{name} is not set": "变量 {name} 未设置",
    "queued for group {group}": "在分组 {group} 排队",
    "ended": "已结束",
    "not ended": "未结束",
}
"""Kept apart from :data:`ZH_CN`: their templates match nearly anything (``node {node}``), so
they word only a text :data:`ZH_CN` does not, each of its ``, ``-parts or none."""

WHERE: dict[str, str] = {
    # where a flow's error happened: str() of a ChatflowError (engine/errors.py)
    "{message} (flow {flow!r}, node {node!r})": "{message!t}（流程 {flow}，节点 {node}）",
    "{message} (flow {flow!r})": "{message!t}（流程 {flow}）",
}
"""Kept apart from :data:`ZH_CN`: a ``{x!t}`` value is matched by these before the API's texts,
which would take the place for part of the error (``... (nodes visited: a) (flow 'f')``)."""


def _word_sources() -> tuple[Catalogue, ...]:
    """What words a ``{x!t}`` value after :data:`TERMS` (the module's docstring)."""
    return (PLACES, PROBLEMS, TRIES)


TRIES = Catalogue(ZH_CN, TERMS, lenient=True, words_from=_word_sources)
"""The texts of engine/testing; their ``{x!t}`` values worded as the module's docstring says."""
PLACES = Catalogue(WHERE, TERMS, lenient=True, words_from=_word_sources)
"""Where a flow's error happened, around its words."""
EXPECTS = Catalogue(CHECKS, TERMS, lenient=True)
"""What an expect step checks."""


def try_text(text: str, lang: str) -> str:
    """One text of a failed step in ``lang``; English, or a text no template words, as it is.
    An expect step's checks, listed with ``, ``, are worded part by part when all are."""
    if lang != CHINESE:
        return text
    found = TRIES.words(text)
    if found is None:
        parts = [words for part in text.split(", ") if (words := EXPECTS.words(part))]
        if len(parts) == text.count(", ") + 1:
            found = "，".join(parts)
    return text if found is None else found


def failure_text(failed: Failed, lang: str) -> str:
    """What a failed step says in ``lang``: English is the engine's own message."""
    if lang != CHINESE or not failed.expected:
        return failed.message
    got = GOT_JOIN.join(try_text(line, lang) for line in failed.got)
    return FRAME.format(expected=try_text(failed.expected, lang), got=got)


def template_of(text: str) -> str | None:
    """The English template of the catalogue that words ``text``, or None (for the tests)."""
    return TRIES.template_of(text) or PLACES.template_of(text) or EXPECTS.template_of(text)

"""How an export words itself: for a program (the default) or for people (``lang=``).

Without ``lang`` an export's headers are the keys docs/records-and-stats.md lists and its values
are the API's own (``ended``, ``client``, ``yes``): a program that reads a column by its key or
its position keeps working. With ``lang=zh-CN`` or ``lang=en`` the same columns, in the same
order, carry headings a supervisor reads (``会话 ID``, ``结束方``), the enumerated values are
worded (``访客``, ``是``), and the sheet titles, the Word title and the file name follow. A
survey's invitation in a transcript says it is one, its scale and the rating it recorded
(:meth:`Wording.line_text`); for a program it stays its prompt.

The wording follows the console's own labels (console-records*.js, console-stats.js), so a
file says what the screen it came from said.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from chatflow.admin_api.problem_language import CHINESE

Lang = Literal["en", "zh-CN"]

# key: (English, zh-CN). Headings of records, transcripts and statistics, then titles.
TEXTS: Mapping[str, tuple[str, str]] = {
    "session_id": ("Session ID", "会话 ID"),
    "site": ("Site", "站点"),
    "visitor_id": ("Visitor ID", "访客 ID"),
    "visitor_name": ("Visitor", "访客"),
    "group": ("Group", "技能组"),
    "agent": ("Agent", "客服"),
    "agents": ("Agents", "接待客服"),
    "status": ("Status", "状态"),
    "started_at": ("Started", "开始时间"),
    "queued_at": ("Queued", "排队时间"),
    "first_ring_at": ("First offered", "首次振铃"),
    "agent_joined_at": ("Agent joined", "客服接入"),
    "first_response_s": ("First response (s)", "首次响应（秒）"),
    "service_ended_at": ("Service ended", "人工服务结束"),
    "ended_at": ("Ended", "会话结束"),
    "reception_min": ("Reception (min)", "接待时长（分钟）"),
    "end_reason": ("End reason", "结束原因"),
    "closed_by": ("Closed by", "结束方"),
    "rating": ("Rating", "评分"),
    "abandoned": ("Left the queue", "排队放弃"),
    "visitor_ip": ("Visitor IP", "访客 IP"),
    "page_url": ("Page", "来源页面"),
    "browser": ("Browser", "浏览器"),
    "os": ("Operating system", "操作系统"),
    "channel": ("Channel", "渠道"),
    "channel.web": ("Web", "网页"),
    "seq": ("No.", "序号"),
    "at": ("Time", "时间"),
    "sender": ("From", "发送方"),
    "text": ("Message", "内容"),
    "account": ("Account", "账号"),
    "nickname": ("Nickname", "昵称"),
    "staff_no": ("Staff no.", "工号"),
    "name": ("Name", "名称"),
    "conversations": ("Conversations", "会话数"),
    "served": ("Served", "人工接待数"),
    "stats.reception_min": ("Avg. reception (min)", "平均接待时长（分钟）"),
    "stats.first_response_s": ("Avg. first response (s)", "平均首次响应（秒）"),
    "ratings": ("Ratings", "评价数"),
    "rating_avg": ("Avg. rating", "平均评分"),
    "rating_distribution": ("Ratings by score", "评分分布"),
    "queue_wait_avg_s": ("Avg. queue wait (s)", "平均排队（秒）"),
    "queue_wait_max_s": ("Longest queue wait (s)", "最长排队（秒）"),
    "stats.abandoned": ("Abandoned", "排队放弃"),
    "field": ("Field", "字段"),
    "value": ("Value", "内容"),
    "from": ("From", "开始"),
    "to": ("To", "结束"),
    "time zone": ("Time zone", "时区"),
    "total": ("Total", "合计"),
    # titles: sheets, Word headings, file names
    "records": ("Records", "服务记录"),
    "messages": ("Messages", "聊天记录"),
    "conversation": ("Conversation", "会话详情"),
    "details": ("Details", "会话详情"),
    "range": ("Range", "统计区间"),
    "conversation records": ("Service records", "服务记录"),
    "conversation {id}": ("Conversation {id}", "会话 {id}"),
    "by agent": ("By agent", "按客服"),
    "by group": ("By group", "按技能组"),
    "statistics by agent": ("Statistics by agent", "客服统计"),
    "statistics by group": ("Statistics by group", "技能组统计"),
    # a survey's invitation in a transcript (console-records-view.js words it the same)
    "survey.line": ("[{survey} · {scale}] {prompt}", "【{survey} · {scale}】{prompt}"),
    "survey": ("Satisfaction survey", "满意度评价"),
    "survey.star": ("stars 1-{levels}", "星级 1-{levels}"),
    "survey.number": ("numbers 1-{levels}", "数字 1-{levels}"),
    "survey.rating": ("Rating: {score} of {levels}", "评分：{score}/{levels}"),
    "survey.label": (" ({label})", "（{label}）"),
    "survey.unrated": ("Not rated", "未评价"),
}

# column key: {value: (English, zh-CN)}. A value not listed is written as it is.
VALUES: Mapping[str, Mapping[object, tuple[str, str]]] = {
    "status": {
        "bot": ("With the bot", "机器人接待"),
        "queued": ("Queued", "排队中"),
        "with_agent": ("With an agent", "人工服务中"),
        "ended": ("Ended", "已结束"),
    },
    "end_reason": {
        "flow": ("The flow ended", "流程结束"),
        "idle": ("No reply (timed out)", "超时未回复"),
        "agent": ("Ended by the agent", "客服结束"),
        "visitor": ("Ended by the visitor", "访客结束"),
        "admin": ("Closed by an admin", "管理员关闭"),
    },
    "closed_by": {
        "client": ("Visitor", "访客"),
        "seat": ("Agent", "客服"),
        "admin": ("Admin", "管理员"),
        "timer": ("Timeout", "超时"),
    },
    "sender": {
        "visitor": ("Visitor", "访客"),
        "bot": ("Bot", "机器人"),
        "agent": ("Agent", "客服"),
        "system": ("System", "系统"),
    },
}
YES_NO = {True: ("Yes", "是"), False: ("No", "否")}

LOCAL_FILE_NAMES: Mapping[str, str] = {
    "records": "服务记录",
    "conversation": "会话",
    "stats-by-agent": "客服统计",
    "stats-by-group": "技能组统计",
}
"""zh-CN file names by the English name's stem; English names stay the documented ASCII ones."""


@dataclass(frozen=True)
class Wording:
    """The words of one export: ``lang`` None writes keys and raw values. For people, ``names``
    (column -> id -> name: ``site``, ``group``, ``agent``, ``channel``: a webhook channel's
    key) puts the console's names in place of ids; ``agents``, a ``, ``-list of accounts,
    takes ``agent``'s."""

    lang: Lang | None = None
    names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def _pick(self, pair: tuple[str, str]) -> str:
        return pair[1] if self.lang == CHINESE else pair[0]

    def text(self, key: str, **values: object) -> str:
        """A heading or title: the key itself for a program, else its words."""
        words = key if self.lang is None else self._pick(TEXTS[key])
        return words.format(**values) if values else words

    def headings(self, keys: Sequence[str]) -> list[str]:
        """Headings of columns; ``stats.x`` is written ``x`` for a program."""
        if self.lang is None:
            return [key.removeprefix("stats.") for key in keys]
        return [self.text(key) for key in keys]

    def row(self, keys: Sequence[str], cells: Sequence[object]) -> list[object]:
        """``cells`` (one per key) with enumerated values and yes/no worded."""
        if self.lang is None:
            return list(cells)
        return [self.value(key, value) for key, value in zip(keys, cells, strict=True)]

    def value(self, key: str, value: object) -> object:
        if self.lang is None:
            return value
        if isinstance(value, bool):
            return self._pick(YES_NO[value])
        if key == "agents" and isinstance(value, str) and value:
            agents = self.names.get("agent", {})
            return ", ".join(agents.get(account, account) for account in value.split(", "))
        if key == "channel" and isinstance(value, str):
            return self._channel(value)
        if key in self.names and isinstance(value, str):
            return self.names[key].get(value, value)
        words = VALUES.get(key, {}).get(value)
        return value if words is None else self._pick(words)

    def _channel(self, value: str) -> str:
        """``web`` worded; ``webhook:<key>`` the channel's name (``names["channel"]``, by key),
        else its key."""
        if value == "web":
            return self.text("channel.web")
        key = value.removeprefix("webhook:")
        return self.names.get("channel", {}).get(key, key)

    def line_text(
        self, text: str, survey: Mapping[str, Any] | None, rating: int | None, ended: bool
    ) -> str:
        """A transcript line's text; a survey's invitation (``survey``: its scale) worded with
        the rating it recorded, or "not rated" once the conversation ``ended`` without one."""
        if self.lang is None or survey is None:
            return text
        levels = survey.get("levels", "")
        style = "survey.number" if survey.get("style") == "number" else "survey.star"
        scale = self.text(style, levels=levels)
        words = self.text("survey.line", survey=self.text("survey"), scale=scale, prompt=text)
        if rating is not None:
            labels = survey.get("labels") or []
            label = labels[rating - 1] if 0 < rating <= len(labels) else None
            said = self.text("survey.rating", score=rating, levels=levels)
            return f"{words} → {said}{self.text('survey.label', label=label) if label else ''}"
        return f"{words} → {self.text('survey.unrated')}" if ended else words

    def local_name(self, stem: str, rest: str) -> str | None:
        """A zh-CN file name (``服务记录-20261101-20261121``) for the ASCII ``stem-rest``."""
        return f"{LOCAL_FILE_NAMES[stem]}-{rest}" if self.lang == CHINESE else None

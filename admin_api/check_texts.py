"""The words of a flow check in zh-CN: what ``/check`` (and a refused save or try) answers with.

The checks write English (``chatflow validate`` prints it as it is): the flow checks
(:mod:`~chatflow.engine.checks`), the node models' validators, pydantic's own messages as
:mod:`~chatflow.engine.language` places them, the YAML reader's. :data:`ZH_CN` keys each zh-CN
text on that English as a template, the way :mod:`problem_texts` does for the API's errors, in a
lenient :class:`~chatflow.admin_api.problem_language.Catalogue`: ``{x}`` matches any text,
``{x!r}`` a quoted name or a number. In the zh-CN text ``{x}`` puts the value back as it is,
``{x!t}`` puts its words (a :data:`TERMS` entry or a text of this catalogue, else the value as it
is: an id, a Jinja or YAML message) and ``{x!l}`` puts each item of a ``, ``-list (of ids, names,
values) as it is unless the catalogue words it (``(none)``, ``a and 3 more``), joined with 、.
tests/unit/admin_api/test_check_texts.py holds every message of the checks translated.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chatflow.admin_api.flow_upload import FlowCheck, IssueOut
from chatflow.admin_api.problem_language import CHINESE, Catalogue
from chatflow.admin_api.problems import ApiProblem

TERMS: dict[str, str] = {
    "": "",
    "template": "模板",
    "expression": "表达式",
    "filter": "过滤器",
    "test": "测试",
    "list": "列表",
    "mapping": "映射",
}
"""Words a message puts in with ``{x!t}`` (what a text is, a Jinja filter or test, a YAML list or
mapping; no hint)."""

_PYDANTIC: dict[str, str] = {
    # pydantic's messages for the flow models' field types and constraints
    "Input should be a valid string": "应为文本",
    "Input should be a valid integer": "应为整数",
    "Input should be a valid integer, unable to parse string as an integer": "应为整数",
    "Input should be a valid integer, got a number with a fractional part": "应为整数，不能有小数",
    "Input should be a valid number": "应为数字",
    "Input should be a valid number, unable to parse string as a number": "应为数字",
    "Input should be a finite number": "应为有限的数字",
    "Input should be a valid boolean": "应为 true 或 false",
    "Input should be a valid boolean, unable to interpret input": "应为 true 或 false",
    "Input should be a valid dictionary": "应为映射（名称: 值）",
    "Input should be a valid dictionary or object to extract fields from": "应为映射（名称: 值）",
    "Input should be a valid dictionary or instance of {model}": "应为映射（名称: 值）",
    "Input should be a valid list": "应为列表",
    "Input should be a valid date": "应为日期（如 2026-10-01）",
    "Input should be a valid date in the format YYYY-MM-DD, {why}": (
        "应为 YYYY-MM-DD 格式的日期（{why}）"
    ),
    "Input should be a valid date or datetime, {why}": "应为日期（如 2026-10-01；{why}）",
    "Input should be {expected!r}": "应为 {expected}",
    "Input should be {items} or {last!r}": "应为 {items!l} 或 {last} 之一",
    "Input should be greater than {n}": "应大于 {n}",
    "Input should be greater than or equal to {n}": "应大于或等于 {n}",
    "Input should be less than {n}": "应小于 {n}",
    "Input should be less than or equal to {n}": "应小于或等于 {n}",
    "String should have at least {n} character{s}": "至少需要 {n} 个字符",
    "String should have at most {n} character{s}": "最多 {n} 个字符",
    "String should match pattern {pattern!r}": "应符合格式 {pattern}",
    "List should have at least {n} item{s} after validation, not {got}": (
        "至少需要 {n} 项（现有 {got} 项）"
    ),
    "List should have at most {n} item{s} after validation, not {got}": (
        "最多 {n} 项（现有 {got} 项）"
    ),
    "Dictionary should have at least {n} item{s} after validation, not {got}": (
        "至少需要 {n} 项（现有 {got} 项）"
    ),
}

ZH_CN: dict[str, str] = {
    **_PYDANTIC,
    # where pydantic's errors are placed (engine/language.py)
    "{message} (got {got!r})": "{message!t}（实际为 {got}）",
    "unknown field {field!r}": "未知字段 {field}",
    "unknown field {field!r}; expected one of: {names}": "未知字段 {field}；可用字段：{names!l}",
    "missing required field {field!r}": "缺少必填字段 {field}",
    "unknown node type {tag!r}; expected one of: {tags}": "未知的节点类型 {tag}；可用类型：{tags!l}",
    "unknown node type {tag!r}; did you mean {name!r}? Valid types: {types}": (
        "未知的节点类型 {tag}；是否想写 {name}？可用类型：{types!l}"
    ),
    "unknown node type {tag!r}; valid types: {types}": "未知的节点类型 {tag}；可用类型：{types!l}",
    "the node has no 'type'; add one of: {types}": "节点缺少 'type'；请添加以下之一：{types!l}",
    "write the text in quotes: {example} (YAML reads {raw} as a number)": (
        "请把文本放在引号中：{example}（YAML 会把 {raw} 读作数字）"
    ),
    "write the text in quotes: {example} (YAML reads {raw} as a true/false value)": (
        "请把文本放在引号中：{example}（YAML 会把 {raw} 读作 true/false 值）"
    ),
    # the YAML text (engine/yamlsource.py, engine/flowversions.py)
    "the file is empty": "流程内容为空",
    "YAML syntax: {message}": "YAML 语法错误：{message!t}",
    # PyYAML's errors in plain words (engine/yamlerrors.py)
    "this line is indented differently from the lines above it; keys of one mapping must start "
    "in the same column": "这一行的缩进与上面的行不同；同一映射中的键必须从同一列开始",
    "this list item is indented differently from the items above it; the '-' of one list must "
    "start in the same column": "这个列表项的缩进与上面的项不同；同一列表的 '-' 必须从同一列开始",
    "a list item ('- ...') among the keys of a mapping; put the list under a key of its own "
    "(key:, then the items indented below it) or write this line as 'key: value'": (
        "映射的键之间出现了列表项（'- ...'）；请把列表放在单独的键下（先写 键:，再在下面缩进"
        "写各项），或把这一行写成 '键: 值'"
    ),
    "a 'key: value' line among the items of a list; start it with '- ' to make it an item, or "
    "indent it under the item above": (
        "列表项之间出现了 '键: 值' 行；请以 '- ' 开头使它成为列表项，或把它缩进到上面的项之下"
    ),
    "tabs are not allowed for indentation in YAML; use spaces": (
        "YAML 不允许用制表符（Tab）缩进；请使用空格"
    ),
    "YAML does not allow a tab here; use spaces, or put the value in quotes": (
        "YAML 不允许在这里使用制表符（Tab）；请改用空格，或把值放在引号中"
    ),
    "a value cannot start with {char!r} in YAML; put the value in quotes": (
        "在 YAML 中值不能以 {char} 开头；请把值放在引号中"
    ),
    "a value that starts with '{{{{' is read as a YAML mapping, not as a template; put the whole "
    'value in quotes, like text: "{{{{ name }}}}, welcome"': (
        "以 '{{{{' 开头的值会被当作 YAML 映射，而不是模板；请把整个值放在引号中，"
        '如 text: "{{{{ name }}}}，欢迎"'
    ),
    "more text follows the closing quote of the value on this line; put the whole value in one "
    "pair of quotes": "这一行的值在右引号之后还有文字；请把整个值放在一对引号中",
    "more text follows the closing {close!r} of the value on this line; a value that starts "
    "with '[' or '{{' is a YAML list or mapping: put a text value in quotes": (
        "这一行的值在 {close} 之后还有文字；以 '[' 或 '{{' 开头的值是 YAML 列表或映射："
        "文本值请放在引号中"
    ),
    "a value cannot contain ': ' (a colon and a space) unless it is quoted; put the value in "
    'quotes, like key: "a: b"': (
        "值中含有 ': '（冒号加空格）时必须加引号；请把值放在引号中，如 key: \"a: b\""
    ),
    "line {line} is not 'key: value': add ': ' after its key, or, if it goes on with the value "
    "above it, indent it more than that value's key": (
        "第 {line} 行不是 '键: 值'：请在键后加上 ': '；如果它是上面那个值的延续，"
        "请让它比那个值的键缩进更多"
    ),
    "a value that starts with '*' is read as a YAML alias; put the value in quotes": (
        "以 '*' 开头的值会被当作 YAML 别名；请把值放在引号中"
    ),
    "a value that starts with '&' is read as a YAML anchor; put the value in quotes": (
        "以 '&' 开头的值会被当作 YAML 锚点；请把值放在引号中"
    ),
    "{alias!r} is read as a YAML alias, but no anchor of that name comes before it; put the "
    "value in quotes": "{alias} 被当作 YAML 别名，但前面没有同名的锚点；请把值放在引号中",
    "the quote opened at line {line}, column {column} is never closed; add the closing "
    "{quote!r}": "第 {line} 行第 {column} 列开始的引号没有闭合；请补上右引号 {quote}",
    "the {kind} opened with {opening!r} at line {line}, column {column} is not closed with "
    "{closing!r}, or a ',' is missing between two of its items": (
        "第 {line} 行第 {column} 列以 {opening} 开始的{kind!t}没有用 {closing} 闭合，"
        "或其中两项之间缺少 ','"
    ),
    "'\\{char}' is not an escape of a double-quoted value; write '\\\\' for a backslash, or "
    "use single quotes": ("'\\{char}' 不是双引号值中的转义符；反斜杠请写成 '\\\\'，或改用单引号"),
    "only '-', '+' or a digit may follow '|' or '>' on its line; start the text on the next "
    "line, indented": "'|' 或 '>' 所在行的后面只能跟 '-'、'+' 或数字；请从下一行开始缩进书写文本",
    "a file holds one YAML document; remove the '---' line and what follows it": (
        "一个文件只能包含一个 YAML 文档；请删除 '---' 行及其后的内容"
    ),
    "YAML: {message}": "YAML 错误：{message}",
    "duplicate key {key!r} (first defined at line {line}); each key may appear once in a mapping": (
        "重复的键 {key}（第 {line} 行已定义）；同一映射中每个键只能出现一次"
    ),
    "{value!r} is not a valid {kind}; remove the !!{kind} tag": (
        "{value} 不是有效的 {kind}；请去掉 !!{kind} 标记"
    ),
    "unsupported YAML tag {tag!r}; write the value as plain text": (
        "不支持的 YAML 标记 {tag}；请直接写出值"
    ),
    "unexpected YAML node {node}": "无法识别的 YAML 内容 {node}",
    "the document nests more than {depth} levels deep": "文档嵌套超过 {depth} 层",
    "a recursive alias (an anchor that contains itself) is not allowed": (
        "不允许递归的别名（包含自身的锚点）"
    ),
    "merge keys (<<) are not supported; write the fields out": (
        "不支持合并键（<<）；请把字段逐一写出"
    ),
    "a mapping key must be plain text": "映射的键必须是普通文本",
    "the document expands to more than {limit} values (alias bomb?)": (
        "文档展开后超过 {limit} 个值（是否滥用了别名？）"
    ),
    "file is larger than {limit} bytes; split it": "文件超过 {limit} 字节，请拆分",
    "file is larger than {limit} bytes": "文件超过 {limit} 字节",
    "file is not UTF-8 (byte {at})": "文件不是 UTF-8 编码（第 {at} 字节）",
    "cannot read file: {why}": "无法读取文件：{why}",
    # the upload (admin_api/flow_upload.py)
    "the flow's id is {id!r} but it is uploaded as {url!r}; they must be the same": (
        "流程的 id 是 {id}，但上传到了 {url}；两者必须相同"
    ),
    # node references (engine/checks.py)
    "start is {name!r}, but there is no such node; existing nodes: {nodes}.{hint} Fix the id "
    "or add a node {name!r} under 'nodes'.": (
        "开始节点是 {name}，但没有这个节点；现有节点：{nodes!l}。{hint!t}"
        "请改正 ID，或在 'nodes' 下添加节点 {name}。"
    ),
    "interrupt goto is {name!r}, but there is no such node; existing nodes: {nodes}.{hint} Fix "
    "the id or add a node {name!r} under 'nodes'.": (
        "全局关键词跳转到 {name}，但没有这个节点；现有节点：{nodes!l}。{hint!t}"
        "请改正 ID，或在 'nodes' 下添加节点 {name}。"
    ),
    "node {node!r} continues at {name!r}, but there is no such node; existing nodes: "
    "{nodes}.{hint} Fix the id or add a node {name!r} under 'nodes'.": (
        "节点 {node} 的下一步是 {name}，但没有这个节点；现有节点：{nodes!l}。{hint!t}"
        "请改正 ID，或在 'nodes' 下添加节点 {name}。"
    ),
    " Did you mean {name!r}?": "是否想写 {name}？",
    "{shown} and {more} more": "{shown} 等（另有 {more} 个）",
    "(none)": "（无）",
    "the flow has no start node: set 'start' to the node conversations begin at": (
        "流程没有开始节点：请把 'start' 设为对话开始的节点"
    ),
    "interrupt {n} has no node to jump to: set its 'goto'": (
        "第 {n} 个全局关键词没有要跳转的节点：请设置它的 'goto'"
    ),
    "node {node!r} has no next node: connect {field!r} to the node it continues at": (
        "节点 {node} 没有下一步节点：请把 {field} 连接到接下来的节点"
    ),
    # the graph
    "node {node!r} is unreachable from start {start!r}: no next, branch or interrupt leads to "
    "it. Link it from another node or delete it.": (
        "从开始节点 {start} 无法到达节点 {node}：没有任何下一步、分支或全局关键词通向它。"
        "请从其他节点连接到它，或删除它。"
    ),
    "no path from start {start!r} reaches a node that ends the session; add a node of type "
    "{enders} (or {others} without 'next') and link to it.": (
        "从开始节点 {start} 出发，没有路径能到达结束会话的节点；请添加 {enders!l} 类型的节点"
        "（或不带 'next' 的 {others!l}）并连接到它。"
    ),
    "these nodes loop without waiting for the visitor: {cycle}; one message would run round "
    "until the step limit stops the session. Put a node that waits ({waiting}) in the loop, or "
    "lead it to an end.": (
        "这些节点组成了不等待访客的循环：{cycle}；一条消息会一直循环，直到步数上限终止会话。"
        "请在循环中加入会等待访客的节点（{waiting!l}），或让它通向结束。"
    ),
    # variables and templates
    "'sys' is reserved for the system variables (sys.visitor_id, sys.last_input...); a "
    "variable named sys would never be read. Choose another name.": (
        "'sys' 是系统变量保留的名称（sys.visitor_id、sys.last_input 等）；名为 sys 的变量永远"
        "读不到。请换一个名称。"
    ),
    "variable {name!r} is used in this {kind} but never declared or set; declare it under "
    "'vars' (vars: {{{bare}: ''}}) or set it with a form, set, http or survey node. Known "
    "variables: {known}.{hint} System variables are written sys.<name>.": (
        "此{kind!t}用到了变量 {name}，但它从未声明或赋值；请在 'vars' 下声明它"
        "（vars: {{{bare}: ''}}），或用 form、set、http 或 survey 节点给它赋值。"
        "已知变量：{known!l}。{hint!t}系统变量写作 sys.<名称>。"
    ),
    # (the names have dots: a hint of its own template, not a {hint} after them)
    "unknown system variable 'sys.{attr}'; expected one of: {names}.": (
        "未知的系统变量 'sys.{attr}'；可用的有：{names!l}。"
    ),
    "unknown system variable 'sys.{attr}'; expected one of: {names}. Did you mean {name!r}?": (
        "未知的系统变量 'sys.{attr}'；可用的有：{names!l}。是否想写 {name}？"
    ),
    "{kind} does not parse: {message} (line {line} of the {kind}); templates use Jinja2 syntax: "
    "{{{{ name }}}}, {{% if ... %}}...{{% endif %}}": (
        "{kind!t}无法解析：{message}（{kind!t}第 {line} 行）；模板使用 Jinja2 语法："
        "{{{{ name }}}}、{{% if ... %}}...{{% endif %}}"
    ),
    # an expression that does not parse, in plain words (engine/exprerrors.py)
    "expression does not parse: {message}": "表达式无法解析：{message!t}",
    "the expression ends after {after!r}; a value is expected after it": (
        "表达式在 {after} 之后就结束了；其后应有一个值"
    ),
    "the expression ends after 'is'; a test name is expected after it, like defined": (
        "表达式在 'is' 之后就结束了；其后应有测试名称，如 defined"
    ),
    "the expression ends after '|'; a filter name is expected after it, like lower or length": (
        "表达式在 '|' 之后就结束了；其后应有过滤器名称，如 lower 或 length"
    ),
    "the expression ends after '.'; a name is expected after it": (
        "表达式在 '.' 之后就结束了；其后应有名称"
    ),
    "the expression is empty; write a condition, like score > 80": (
        "表达式为空；请写一个条件，如 score > 80"
    ),
    "{opening!r} is never closed; add the {closing!r} that closes it": (
        "{opening} 没有闭合；请补上对应的 {closing}"
    ),
    "'=' is not a comparison; write '==' to compare": "'=' 不是比较运算符；比较请写 '=='",
    "'||' is not an operator; write 'or'": "'||' 不是运算符；请写 'or'",
    "'&&' is not an operator; write 'and'": "'&&' 不是运算符；请写 'and'",
    "'!' is not an operator; write 'not' (or '!=' to compare)": (
        "'!' 不是运算符；请写 'not'（比较不等请写 '!='）"
    ),
    "nothing joins {before!r} and {after!r}; put an operator between them, like and, or, == "
    "or >": "{before} 和 {after} 之间缺少运算符；请在它们之间加上运算符，如 and、or、== 或 >",
    "a value is expected before {token!r}": "{token} 之前应有一个值",
    "{token!r} cannot follow {before!r} here": "{token} 不能跟在 {before} 之后",
    "the text opened with {quote!r} is never closed; add the closing {quote!r}": (
        "以 {quote} 开始的文本没有闭合；请补上右引号 {quote}"
    ),
    "{char!r} cannot be used in an expression": "表达式中不能使用 {char}",
    "{closing!r} closes nothing; remove it, or add the {opening!r} it should close": (
        "{closing} 没有对应的开括号；请删除它，或补上对应的 {opening}"
    ),
    "{closing!r} does not close the {opening!r} before it; write {expected!r}": (
        "{closing} 与前面的 {opening} 不匹配；请写 {expected}"
    ),
    "unknown {what} {name!r} in this {kind}; known {what}s: {known}.{hint}": (
        "此{kind!t}用到了未知的{what!t} {name}；可用的{what!t}：{known!l}。{hint!t}"
    ),
    # skill groups
    "skill group {group!r} is not defined for the merchants that run this flow ({where}); "
    "defined groups: {groups}.{hint} Add it under the merchant's 'groups' in chatflow.yaml or "
    "fix the name.": (
        "技能组 {group} 未在运行此流程的商户中定义（{where!t}）；已定义的分组：{groups!l}。"
        "{hint!t}请添加该分组，或改正名称。"
    ),
    "merchant {id!r}": "商户 {id}",
    # the node models' validators (nodes/*.py, engine/flow.py)
    "a message needs exactly one of 'text', 'texts' or 'random'": (
        "消息节点需要且只能有 'text'、'texts'、'random' 其中之一"
    ),
    "a message needs exactly one of 'text', 'texts' or 'random' (got {given})": (
        "消息节点需要且只能有 'text'、'texts'、'random' 其中之一（现有 {given!l}）"
    ),
    "a keyword must not be empty or only spaces (it would match anything)": (
        "关键词不能为空或只有空格（否则会匹配任何消息）"
    ),
    "'exit_keywords' need an 'exit' node to continue at": (
        "设置了 'exit_keywords' 就需要 'exit'：退出后继续的节点"
    ),
    "{value!r} is not a time; write HH:MM from 00:00 to 24:00": (
        "{value} 不是时间；请写成 00:00 到 24:00 之间的 HH:MM"
    ),
    "the range {start}-{end} is empty; 'from' must differ from 'to'": (
        "时间段 {start}-{end} 为空；'from' 和 'to' 不能相同"
    ),
    "{dates} cannot be both a holiday and a make-up working day": (
        "{dates} 不能既是节假日又是调休工作日"
    ),
    "input 'options' needs a non-empty 'options' list": (
        "input 为 'options' 时需要非空的 'options' 列表"
    ),
    "input 'regex' needs a 'pattern'": "input 为 'regex' 时需要 'pattern'",
    "'pattern' is not a valid regular expression: {why}": "'pattern' 不是有效的正则表达式：{why}",
    "'on_timeout' needs a 'timeout' in seconds": "设置了 'on_timeout' 就需要 'timeout'（秒数）",
    "{path!r} is not a path into JSON; write names joined by dots with list indexes in "
    "brackets, like data.items[0].name": (
        "{path} 不是 JSON 路径；请用点连接名称、方括号写列表下标，如 data.items[0].name"
    ),
    "'labels' has {count} names but 'levels' is {levels}": (
        "'labels' 有 {count} 个名称，但 'levels' 是 {levels}"
    ),
    "unknown timezone {value!r}; use an IANA name like Asia/Shanghai or UTC": (
        "未知的时区 {value}；请使用 IANA 名称，如 Asia/Shanghai 或 UTC"
    ),
    # chatflow validate's own (engine/validate.py): the command line prints them in English
    "no such file or folder: {path}": "没有这个文件或文件夹：{path}",
    "no *.flow.yaml, *.test.yaml or chatflow.yaml under {folder}; is it the right folder?": (
        "{folder} 下没有 *.flow.yaml、*.test.yaml 或 chatflow.yaml；文件夹对吗？"
    ),
    "no such config file: {path}": "没有这个配置文件：{path}",
    "cannot tell what this file is; name it *.flow.yaml, *.test.yaml or chatflow.yaml": (
        "无法判断这是什么文件；请命名为 *.flow.yaml、*.test.yaml 或 chatflow.yaml"
    ),
    "the yaml-language-server $schema {ref!r} does not exist (resolved to {target}); the editor "
    "cannot check this file. Point it at schemas/*.schema.json, relative to this file; "
    "`chatflow schema --write` writes them into schemas/.": (
        "yaml-language-server 的 $schema {ref} 不存在（解析为 {target}）；编辑器无法检查此文件。"
        "请指向 schemas/*.schema.json（相对于此文件）；`chatflow schema --write` 会把它们写入 schemas/。"
    ),
    "flow id {id!r} is already used by {other}; flow ids must be unique in a deployment. "
    "Rename one of them.": (
        "流程 id {id} 已被 {other} 使用；同一部署中的流程 id 必须唯一。请重命名其中一个。"
    ),
}
"""zh-CN texts keyed on the English of the checks (see the module's docstring)."""


CHECKS = Catalogue(ZH_CN, TERMS, lenient=True)


def check_message(text: str, lang: str) -> str:
    """A check's message in ``lang``; English, or a text the catalogue does not know, as it is."""
    return CHECKS.translate(text, lang)


def worded_issues(issues: Iterable[IssueOut], lang: str) -> list[IssueOut]:
    """The issues with their messages in ``lang``."""
    return [
        issue.model_copy(update={"message": check_message(issue.message, lang)}) for issue in issues
    ]


def worded_check(found: FlowCheck, lang: str) -> FlowCheck:
    """What a check found, its messages in ``lang``."""
    return found.model_copy(
        update={
            "errors": worded_issues(found.errors, lang),
            "warnings": worded_issues(found.warnings, lang),
        }
    )


def word_refusal(exc: ApiProblem, lang: str) -> None:
    """Words the issues of a refusal of a flow with errors (422 ``invalid_flow``) in ``lang``, in
    place, before it is raised on (``problems.py`` words its ``detail``); any other problem is
    left as it is."""
    if exc.code != "invalid_flow" or lang != CHINESE:
        return
    extra = dict(exc.extra)
    for key in ("errors", "warnings"):
        if isinstance(extra.get(key), list):
            extra[key] = [_worded(issue, lang) for issue in extra[key]]
    exc.extra = extra


def template_of(text: str) -> str | None:
    """The English template of the catalogue that words ``text``, or None (for the tests)."""
    return CHECKS.template_of(text)


def _worded(issue: Any, lang: str) -> Any:
    if isinstance(issue, dict) and isinstance(issue.get("message"), str):
        return {**issue, "message": check_message(issue["message"], lang)}
    return issue

"""The hand-written prose of ``docs/flow-language.md``.

:mod:`~chatflow.engine.refdocs` puts it around the tables it generates from the models; each node
type's example is the node class's ``example``.
"""

from __future__ import annotations

INTRO = """\
A **flow** (`*.flow.yaml`) is a graph of nodes that the interpreter runs for each conversation:
it starts at `start`, does what each node says and follows the node's `next` (or the branch the
visitor chose). Nodes that need the visitor (menu, form, bot, transfer, survey) wait; the others
run at once and chain to the next node.

Start every flow with the editor line, so VS Code (with the YAML extension by Red Hat) completes
and checks fields as you type:

```yaml
# yaml-language-server: $schema=../schemas/flow.schema.json
```

Check flows with `chatflow validate flows/` (schema plus semantic checks, see the end of this
page) and draw one with `chatflow graph flows/reception.flow.yaml`. New here? Read
[Write your first flow](first-flow.md).
"""

FLOW_EXAMPLE = """\
```yaml
# yaml-language-server: $schema=../schemas/flow.schema.json
id: presales
name: 在线会话接待
start: welcome
vars: {phone: "", score: 0}
settings:
  timezone: Asia/Shanghai
  idle_timeout: 300
  idle_message: 由于您长时间未回复，本次服务已自动结束，感谢您的支持。
  agent_end_message: 本次服务已结束，感谢您的支持。
interrupts:
  - {keywords: [转人工, 人工客服, human], goto: to_agent}
nodes:
  welcome: {type: message, text: "您好，欢迎咨询 {{ sys.channel_name }}", next: menu}
  menu:
    type: menu
    prompt: 请选择您需要的服务：
    options:
      - {label: 售前咨询, next: to_agent}
      - {label: 结束咨询, next: bye}
  to_agent: {type: transfer, group: presales, next: bye}
  bye: {type: end, message: 感谢您的咨询，再见！}
```
"""

TEMPLATES = """\
Text fields described below as a *template* are
[Jinja2](https://jinja.palletsprojects.com/templates/) templates: `您好 {{ name }}`,
`{% if vip %}尊敬的会员{% endif %}`. *Expressions* (`condition` branches, `set` values) are
Jinja2 expressions: `score | int >= 80 and vip`,
`'您好 ' ~ name`. Both run in a sandbox: no attribute tricks, no imports, bounded output.
Visitor text only ever arrives as data in variables; it is never run as a template.

Variables are the flow's `vars` (with their defaults) and whatever a node sets (`form.var`,
`http.outputs`, `set.vars`, `survey.var`). `chatflow validate` reports a template that reads
any other name. The seed product's `${Name}` placeholders work too: `${phone}` is
`{{ phone }}`, and the system parameters map as in the table below.
"""

NODE_REFS = """\
Fields that name another node (`start`, interrupts' `goto`, `next`, `open`, `on_fail`,
`options[].next`, `branches[].next`, ...) hold a node id. In `schemas/flow.schema.json` the string
schema of each such field carries `"x-node-ref": true` (for an optional field, the `string` branch
of its `anyOf`; for `options[].next`, the `next` property of the option's definition), so editors
and tools find every node reference from the schema instead of a list of field names.
"""

SYSTEM_VARIABLE_DOCS: dict[str, str] = {
    "session_id": "Id of the conversation.",
    "visitor_id": "Id of the visitor (the widget's visitor id, or one made up for them).",
    "channel_id": "Key of the site (channel) the visitor came through.",
    "channel_name": "Display name of that site.",
    "wait_no": "Visitors ahead in the queue (0 when first); in `transfer.queue_message`.",
    "staff_no": "Staff number of the agent serving the visitor.",
    "staff_nickname": "Nickname of the agent serving the visitor.",
    "now": "The current time in the flow's timezone.",
    "last_input": (
        "The visitor's last message (on an IM channel, at first the message that opened the "
        "conversation)."
    ),
}
"""What each ``sys.*`` variable holds (a test checks every system variable is described)."""

CHECKS = """\
`chatflow validate PATH...` reads every `*.flow.yaml`, `*.test.yaml` and `chatflow.yaml` under
the paths and reports every problem at once as `path:line:column: severity: message [json.path]`
(or `--format json`). Besides the schema on this page it checks that:

- `start`, every `next`/branch and every interrupt `goto` name an existing node (with the
  closest name suggested);
- every node is reachable from `start` or an interrupt (*warning*);
- some path from `start` reaches an `end` (or a node that can end the session);
- no loop runs without waiting for the visitor (a `message`/`set`/`condition`/`http` cycle would
  spin until the step limit);
- templates and expressions parse, and read only declared or assigned variables and known
  `sys.*` names;
- with a deployment config (`--config chatflow.yaml`, or a `chatflow.yaml` among the paths), every
  `transfer.group` is a group of a merchant whose site runs the flow.

`--strict` turns warnings into errors. The exit status is 1 when there is an error.
"""
